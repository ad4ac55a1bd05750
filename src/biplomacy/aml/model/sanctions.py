"""Sanctions lists: OFAC's SDN digital-currency addresses (and other plain lists) parsed and checked.

Every line must be a valid Bitcoin address (base58check or bech32/bech32m, via embit); anything else (the
2024-09-27 snapshot has one misfiled TRON address) is reported with its line number, never silently kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from biplomacy.core.errors import Issue

_SDN_XBT = re.compile(r"Digital Currency Address - XBT[^<]*</[^>]+>\s*<[^>]*>([^<]+)<", re.S)


@dataclass(frozen=True)
class SanctionsList:
    name: str
    addresses: frozenset[str]
    rejected: tuple[Issue, ...]


def is_bitcoin_address(text: str) -> bool:
    from embit.script import address_to_scriptpubkey

    # embit decodes any base58check string, so the version prefix of Bitcoin's networks is checked first
    if not text.lower().startswith(("bc1", "tb1", "bcrt1")) and text[:1] not in {"1", "3", "m", "n", "2"}:
        return False
    try:
        address_to_scriptpubkey(text)
        return True
    except Exception:  # embit raises several types for a malformed address
        return False


def parse_address_lines(text: str, name: str) -> SanctionsList:
    good, bad = set(), []
    for n, line in enumerate(text.splitlines(), 1):
        a = line.strip()
        if not a or a.startswith("#"):
            continue
        if is_bitcoin_address(a):
            good.add(a)
        else:
            kind = "a TRON address (misfiled under XBT)" if a.startswith("T") and len(a) == 34 else "not a Bitcoin address"
            bad.append(Issue("sanctions.address", f"{name}: line {n}", f"{a!r} is {kind}; left out"))
    return SanctionsList(name, frozenset(good), tuple(bad))


def screen_name(name: str, names: list[str], limit: int = 5, cutoff: float = 80.0) -> list[tuple[str, float]]:
    """Fuzzy name screening (token-set ratio, 0-100); each match reports its score."""
    return [(m, float(s)) for m, s, _ in process.extract(name, names, scorer=fuzz.token_set_ratio,
                                                                     processor=utils.default_process, limit=limit)
            if s >= cutoff]


def parse_sdn_xml(text: str, name: str) -> SanctionsList:
    """OFAC's sdn_advanced.xml: the values of its "Digital Currency Address - XBT" features, each validated."""
    found = [m.strip() for m in _SDN_XBT.findall(text)]
    if "Digital Currency Address" not in text and not found:
        raise ValueError(f"{name}: no 'Digital Currency Address - XBT' feature; is this OFAC's sdn_advanced.xml?")
    return parse_address_lines("\n".join(found), name)


def screen_address(address: str, lst: SanctionsList) -> bool:
    """Exact address screening (bech32 addresses compared in lower case, as they are case-insensitive)."""
    a = address.strip()
    return a in lst.addresses or (a.lower().startswith("bc1") and a.lower() in {x.lower() for x in lst.addresses})
