"""IVMS101 (interVASP 2020 JSON naming) validation: every problem of an IdentityPayload, with its field path.

Checks the structure (originator, beneficiary, originatingVASP, beneficiaryVASP; natural and legal persons),
the code lists (name and identification types, address types), ISO 3166-1 alpha-2 country codes, dates of
birth, LEIs (ISO 17442 check digits) and the model's constraints: a legal name (LEGL) for every person, an
originator natural person identified by an address, a national or customer id, or a date and place of birth,
and a geographic address with a town and either address lines or a street with a building.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pycountry

from biplomacy.core.errors import Issue
from biplomacy.core.lei import lei_problem

NATURAL_NAME_TYPES = {"ALIA", "BIRT", "MAID", "LEGL", "MISC"}
LEGAL_NAME_TYPES = {"LEGL", "SHRT", "TRAD"}
NATIONAL_ID_TYPES = {"ARNU", "CCPT", "RAID", "DRLC", "FIIN", "TXID", "SOCS", "IDCD", "LEIX", "MISC"}
LEGAL_ID_TYPES = {"RAID", "MISC", "LEIX", "TXID"}
ADDRESS_TYPES = {"HOME", "BIZZ", "GEOG"}
MAX_TEXT = 100


def is_country(code: object) -> bool:
    return isinstance(code, str) and len(code) == 2 and code.isupper() and pycountry.countries.get(alpha_2=code) is not None


class _Checker:
    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def add(self, path: str, message: str, code: str = "ivms101") -> None:
        self.issues.append(Issue(code, path, message))

    def obj(self, value: Any, path: str, required: bool = True) -> dict[str, Any] | None:
        if value is None:
            if required:
                self.add(path, "is required")
            return None
        if not isinstance(value, dict):
            self.add(path, f"must be an object, got {type(value).__name__}")
            return None
        return value

    def array(self, value: Any, path: str, required: bool = True) -> list[Any]:
        if value is None:
            if required:
                self.add(path, "is required (a non-empty array)")
            return []
        if not isinstance(value, list):
            self.add(path, f"must be an array, got {type(value).__name__}")
            return []
        if required and not value:
            self.add(path, "must not be empty")
        return value

    def text(self, value: Any, path: str, required: bool = True, max_len: int = MAX_TEXT) -> str | None:
        if value is None or value == "":
            if required:
                self.add(path, "is required")
            return None
        if not isinstance(value, str):
            self.add(path, f"must be a string, got {type(value).__name__}")
            return None
        if len(value) > max_len:
            self.add(path, f"is longer than {max_len} characters")
        return value

    def country(self, value: Any, path: str, required: bool = False) -> None:
        if value is None:
            if required:
                self.add(path, "is required (ISO 3166-1 alpha-2 code)")
            return
        if not is_country(value):
            self.add(path, f"{value!r} is not an ISO 3166-1 alpha-2 country code", "ivms101.country")

    def enum(self, value: Any, allowed: set[str], path: str) -> None:
        if value not in allowed:
            self.add(path, f"{value!r} is not one of {', '.join(sorted(allowed))}")

    def names(self, name: Any, path: str, legal: bool) -> None:
        # IVMS101 JSON carries `name` as an object; some implementations send a list of them: accept both
        entries = name if isinstance(name, list) else [name]
        if name is None:
            self.add(path, "is required")
            return
        has_legl = False
        for i, entry in enumerate(entries):
            p = f"{path}[{i}]" if isinstance(name, list) else path
            e = self.obj(entry, p)
            if e is None:
                continue
            for j, ident in enumerate(self.array(e.get("nameIdentifier"), f"{p}.nameIdentifier")):
                q = f"{p}.nameIdentifier[{j}]"
                n = self.obj(ident, q)
                if n is None:
                    continue
                if legal:
                    self.text(n.get("legalPersonName"), f"{q}.legalPersonName")
                    kind = n.get("legalPersonNameIdentifierType")
                    self.enum(kind, LEGAL_NAME_TYPES, f"{q}.legalPersonNameIdentifierType")
                else:
                    self.text(n.get("primaryIdentifier"), f"{q}.primaryIdentifier")
                    self.text(n.get("secondaryIdentifier"), f"{q}.secondaryIdentifier", required=False)
                    kind = n.get("nameIdentifierType")
                    self.enum(kind, NATURAL_NAME_TYPES, f"{q}.nameIdentifierType")
                has_legl = has_legl or kind == "LEGL"
        if not has_legl:
            self.add(path, "needs at least one name identifier of type LEGL (the legal name)")

    def address(self, value: Any, path: str) -> None:
        a = self.obj(value, path)
        if a is None:
            return
        self.enum(a.get("addressType"), ADDRESS_TYPES, f"{path}.addressType")
        self.country(a.get("country"), f"{path}.country", required=True)
        lines = self.array(a.get("addressLine"), f"{path}.addressLine", required=False)
        if len(lines) > 7:
            self.add(f"{path}.addressLine", "has more than 7 lines")
        for i, line in enumerate(lines):
            self.text(line, f"{path}.addressLine[{i}]", max_len=70)
        if not lines:
            self.text(a.get("townName"), f"{path}.townName")
            if not a.get("streetName") or not (a.get("buildingNumber") or a.get("buildingName")):
                self.add(path, "needs addressLine, or streetName with buildingNumber or buildingName")

    def national_id(self, value: Any, path: str, legal: bool) -> None:
        n = self.obj(value, path, required=False)
        if n is None:
            return
        ident = self.text(n.get("nationalIdentifier"), f"{path}.nationalIdentifier", max_len=35)
        kind = n.get("nationalIdentifierType")
        self.enum(kind, LEGAL_ID_TYPES if legal else NATIONAL_ID_TYPES, f"{path}.nationalIdentifierType")
        if kind == "LEIX":
            if ident and (why := lei_problem(ident)):
                self.add(f"{path}.nationalIdentifier", why, "ivms101.lei")
            if n.get("countryOfIssue") is not None:
                self.add(f"{path}.countryOfIssue", "must be absent for an LEI (LEIX)")
        else:
            self.country(n.get("countryOfIssue"), f"{path}.countryOfIssue")

    def person(self, value: Any, path: str, originator: bool) -> None:
        p = self.obj(value, path)
        if p is None:
            return
        kinds = [k for k in ("naturalPerson", "legalPerson") if k in p]
        if len(kinds) != 1:
            self.add(path, "must hold exactly one of naturalPerson or legalPerson")
            return
        q = f"{path}.{kinds[0]}"
        body = self.obj(p[kinds[0]], q)
        if body is None:
            return
        legal = kinds[0] == "legalPerson"
        self.names(body.get("name"), f"{q}.name", legal)
        for i, addr in enumerate(self.array(body.get("geographicAddress"), f"{q}.geographicAddress", required=False)):
            self.address(addr, f"{q}.geographicAddress[{i}]")
        self.national_id(body.get("nationalIdentification"), f"{q}.nationalIdentification", legal)
        self.text(body.get("customerIdentification" if not legal else "customerNumber"),
                  f"{q}.{'customerNumber' if legal else 'customerIdentification'}", required=False, max_len=50)
        if legal:
            self.country(body.get("countryOfRegistration"), f"{q}.countryOfRegistration")
            if originator and not (body.get("geographicAddress") or body.get("customerNumber")
                                   or body.get("nationalIdentification")):
                self.add(q, "an originating legal person needs an address, a customer number or a national id")
            return
        self.country(body.get("countryOfResidence"), f"{q}.countryOfResidence")
        birth = self.obj(body.get("dateAndPlaceOfBirth"), f"{q}.dateAndPlaceOfBirth", required=False)
        if birth is not None:
            d = birth.get("dateOfBirth")
            try:
                if not isinstance(d, str) or date.fromisoformat(d) >= date.today():
                    raise ValueError
            except ValueError:
                self.add(f"{q}.dateAndPlaceOfBirth.dateOfBirth", f"{d!r} is not a date (YYYY-MM-DD) in the past")
            self.text(birth.get("placeOfBirth"), f"{q}.dateAndPlaceOfBirth.placeOfBirth")
        if originator and not (body.get("geographicAddress") or body.get("nationalIdentification")
                               or body.get("customerIdentification") or birth):
            self.add(q, "an originator needs an address, a national id, a customer id, or a date and place of birth")


def validate_identity_payload(doc: Any) -> list[Issue]:
    """Every problem of an IVMS101 IdentityPayload, with paths like beneficiary.beneficiaryPersons[0]..."""
    c = _Checker()
    root = c.obj(doc, "$")
    if root is None:
        return c.issues
    for side, persons_key in (("originator", "originatorPersons"), ("beneficiary", "beneficiaryPersons")):
        part = c.obj(root.get(side), side)
        if part is None:
            continue
        for i, person in enumerate(c.array(part.get(persons_key), f"{side}.{persons_key}")):
            c.person(person, f"{side}.{persons_key}[{i}]", originator=side == "originator")
        accounts = c.array(part.get("accountNumber"), f"{side}.accountNumber")
        for i, acc in enumerate(accounts):
            c.text(acc, f"{side}.accountNumber[{i}]")
    for key in ("originatingVASP", "beneficiaryVASP"):
        wrapper = c.obj(root.get(key), key)
        if wrapper is not None:
            c.person(wrapper.get(key), f"{key}.{key}", originator=False)
    return c.issues
