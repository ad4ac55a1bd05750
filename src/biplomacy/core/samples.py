"""The valid samples in examples/ that an error about a bad input file points to, by the command or API route that
read the file: "compare with examples/licence-application.json" is quicker to act on than a field path alone."""

from __future__ import annotations

EXAMPLES = "examples"

# command words (as typed after `biplomacy`) -> the sample file of what that command reads
BY_COMMAND: dict[tuple[str, ...], str] = {
    ("supervise", "licence", "apply"): "licence-application.json",
    ("supervise", "returns", "file"): "supervisory-return.json",
    ("supervise", "returns", "validate"): "supervisory-return.json",
    ("supervise", "solvency", "build"): "liabilities.csv",
    ("supervise", "solvency", "reserves"): "reserves.csv",
    ("supervise", "stablecoin", "check"): "stablecoin-attestation.json",
    ("supervise", "travel-rule", "validate"): "travel-rule-envelope.json",
    ("supervise", "travel-rule", "send"): "travel-rule-envelope.json",
    ("supervise", "aml", "scan"): "transactions.csv",
    ("supervise", "aml", "calibrate"): "transactions.csv",
    ("reserve", "prices", "import"): "btc-prices.csv",
    ("reserve", "wallet", "add"): "rehearsal-wallet-descriptor.txt",
}

# API routes (path prefixes under /api/v1) -> the sample of their request body
BY_ROUTE: dict[str, str] = {
    "/api/v1/supervision/stablecoin/attestations": "stablecoin-attestation.json",
    "/api/v1/travel-rule/transfers": "travel-rule-envelope.json",
    "/api/v1/travel-rule/validate": "travel-rule-envelope.json",
    "/api/v1/supervision/aml/score": "transactions.csv",
}


def sample_for_command(words: list[str]) -> str | None:
    """The sample for the command `words` names (its leading words; options and arguments after them ignored)."""
    for n in (3, 2):
        found = BY_COMMAND.get(tuple(words[:n]))
        if found:
            return f"{EXAMPLES}/{found}"
    return None


def sample_for_route(path: str) -> str | None:
    found = next((v for k, v in BY_ROUTE.items() if path == k or path.startswith(k + "/")), None)
    return f"{EXAMPLES}/{found}" if found else None
