"""Use cases: load a sanctions list (plain or OFAC's XML) with its rejects reported, and screen an address or name."""

from __future__ import annotations

from pathlib import Path

from biplomacy.aml.model.sanctions import SanctionsList, parse_address_lines, parse_sdn_xml, screen_address, screen_name
from biplomacy.aml.results import AddressScreening, Match, NameScreening, SanctionsLoaded, ScreeningResult
from biplomacy.aml.scan import SHIPPED_SDN, shipped_sanctions
from biplomacy.core.errors import InputError
from biplomacy.core.files import read_text


def load_list(path: Path | None, field: str = "path") -> SanctionsList:
    """The shipped snapshot when no file is given; else the user's plain list or sdn_advanced.xml (a file that
    cannot be read is named as `field`)."""
    if path is None:
        return shipped_sanctions()
    text = read_text(path, field)
    if path.suffix.lower() == ".xml" or text.lstrip().startswith("<"):
        try:
            return parse_sdn_xml(text, path.name)
        except ValueError as exc:
            raise InputError(str(exc), field=field) from None
    return parse_address_lines(text, path.name)


def load_file(path: Path) -> SanctionsLoaded:
    lst = load_list(path)
    if not lst.addresses:
        raise InputError(f"{path}: no valid Bitcoin address in it", field="path")
    return SanctionsLoaded(lst.name, len(lst.addresses), lst.rejected)


def screen(address: str | None, name: str | None, list_file: Path | None, names_file: Path | None,
           cutoff: float = 80.0, stored: SanctionsList | None = None) -> ScreeningResult:
    """Screen an address (exact) against `stored`, else the list file, else the shipped snapshot; or a name
    (fuzzy) against a names file."""
    if (address is None) == (name is None):
        raise InputError("give exactly one of an address and a name", field="address")
    if address is not None:
        lst = stored if stored is not None and list_file is None else load_list(list_file, "list")
        hit = screen_address(address, lst)
        return AddressScreening({"address": address}, hit, lst.name or SHIPPED_SDN, len(lst.addresses),
                                (Match(address.strip(), 100.0),) if hit else ())
    if names_file is None:
        raise InputError("name screening needs a file of sanctioned names (one a line): the shipped OFAC snapshot "
                         "holds addresses only", field="names")
    names = [ln.strip() for ln in read_text(names_file, "names").splitlines() if ln.strip() and not ln.startswith("#")]
    assert name is not None
    found = screen_name(name, names, cutoff=cutoff)
    return NameScreening({"name": name}, bool(found), names_file.name, len(names), cutoff,
                         tuple(Match(m, round(s, 1)) for m, s in found))
