"""The fictional demo register carries well-formed LEIs, so the travel-rule exchange can address its VASPs."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from biplomacy.aml.travel_rule_exchange import discover
from biplomacy.core.errors import InputError
from biplomacy.core.lei import lei_problem
from biplomacy.core.permissions import LOCAL_ADMIN
from biplomacy.supervision.demo import load_demo_register
from biplomacy.supervision.model.licensing import LICENSED
from biplomacy.supervision.tables import LicenceRow
from biplomacy.supervision.vasp_directory import TRANSFER_ACTIVITIES


def test_every_demo_entity_has_a_distinct_valid_lei_and_licensed_exchanges_are_discoverable(store) -> None:
    load_demo_register(store)
    with store.read() as s:
        rows = s.scalars(select(LicenceRow).where(LicenceRow.fictional.is_(True))).all()
        entities = [(r.lei, r.state, set(json.loads(r.activities))) for r in rows]
    leis = [lei for lei, _, _ in entities]
    assert leis and all(lei and lei_problem(lei) is None for lei in leis) and len(set(leis)) == len(leis)
    movers = [e for e in entities if e[1] in {s.value for s in LICENSED} and e[2] & {a.value for a in TRANSFER_ACTIVITIES}]
    assert movers, "the demo register should hold at least one licensed VASP that moves clients' assets"
    for lei, _, _ in movers:
        assert discover(store, LOCAL_ADMIN, lei).accepts_transfers is True
    others = [e for e in entities if e not in movers]
    for lei, _, _ in others:
        with pytest.raises(InputError):
            discover(store, LOCAL_ADMIN, lei)
