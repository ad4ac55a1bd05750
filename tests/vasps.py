"""A small register of fictional VASPs with well-formed LEIs, for the vasp role and the travel-rule exchange."""

import json
from datetime import UTC, date, datetime

from biplomacy.core.lei import lei_check_digits
from biplomacy.supervision.tables import LicenceRow


def lei(base18: str) -> str:
    return base18 + lei_check_digits(base18)


# (name, LEI, state, activities): fictional entities; the LEIs are made up but carry valid check digits
ALPHA = ("Alpha Exchange", lei("9999000000ALPHA000"), "approved", ["exchange"])
BETA = ("Beta Custody", lei("9999000000BETA0000"), "approved_with_conditions", ["custody"])
SUSPENDED = ("Gamma Suspended", lei("9999000000GAMMA000"), "suspended", ["exchange"])
ADVISER = ("Delta Advice", lei("9999000000DELTA000"), "approved", ["advisory"])
UNKNOWN_LEI = lei("9999000000NOBODY00")


def register_vasps(store) -> dict[str, str]:
    """Store the four entities; returns LEI -> register reference."""
    now = datetime(2026, 1, 5, tzinfo=UTC)
    refs = {}
    with store.transaction() as s:
        for i, (name, code, state, acts) in enumerate((ALPHA, BETA, SUSPENDED, ADVISER), start=1):
            ref = f"PVARA-2026-{9100 + i}"
            s.add(LicenceRow(reference=ref, legal_name=name, commercial_name=name, lei=code, address="Islamabad",
                             country="PK", website="", application="{}", activities=json.dumps(acts),
                             conditions="[]", state=state, state_since=now, created_at=now,
                             authorised_on=date(2026, 1, 5), fictional=True))
            refs[code] = ref
    return refs
