"""CSV cells that a spreadsheet would run as a formula are defused (OWASP, "CSV Injection").

A cell starting with =, +, -, @, a tab or a carriage return is read by Excel, LibreOffice and Google Sheets
as a formula (`=HYPERLINK(...)`, `=cmd|...`). A register entry's name or website is typed by an applicant,
so every text cell of an export goes through `safe_cell`: such a cell gets a leading apostrophe, which the
spreadsheet shows as text. Numbers (also negative ones, written as numbers) are left alone.
"""

from __future__ import annotations

import re

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def safe_cell(value: object) -> object:
    """`value`, or a text that no spreadsheet evaluates (OWASP's advice: prefix an apostrophe)."""
    if isinstance(value, str) and value.startswith(_TRIGGERS) and not _NUMBER.match(value):
        return "'" + value
    return value
