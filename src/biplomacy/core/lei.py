"""Legal Entity Identifiers (ISO 17442): 18 alphanumerics and two check digits under ISO 7064 MOD 97-10."""

from __future__ import annotations

import re

_SHAPE = re.compile(r"[0-9A-Z]{18}[0-9]{2}")


def lei_problem(lei: str) -> str | None:
    """None when `lei` is a well-formed LEI whose check digits hold, else what is wrong with it."""
    if not _SHAPE.fullmatch(lei):
        return f"{lei!r} is not 20 characters: 18 upper-case letters or digits then 2 check digits"
    # Letters count as two digits (A=10 .. Z=35), as in IBANs; a valid LEI leaves remainder 1.
    digits = "".join(str(int(c, 36)) for c in lei)
    if int(digits) % 97 != 1:
        return f"{lei!r} fails the ISO 17442 check digits (MOD 97-10)"
    return None


def lei_check_digits(base18: str) -> str:
    """The two check digits for an 18-character LEI prefix."""
    digits = "".join(str(int(c, 36)) for c in base18.upper() + "00")
    return f"{98 - int(digits) % 97:02d}"
