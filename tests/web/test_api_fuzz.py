"""Every operation in the portal's OpenAPI document, fuzzed with schemathesis: bad input is never a 500.

The schema is read from the app when the tests are collected, so endpoints that pillars add later are
fuzzed too; each operation then runs against a portal on a fresh migrated database (SQLite and PostgreSQL),
with an admin's API token, so that bodies get past the permission check and reach the services.
Bounded for the suite: few examples per operation and no shrinking (a failure prints its curl reproduction).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, settings

from biplomacy.core.config import Settings
from biplomacy.core.permissions import LOCAL_ADMIN
from biplomacy.house import users
from biplomacy.web.app import create_app

# Only to read the OpenAPI document: an in-memory database that no request of the fuzz run touches.
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(Settings(database_url="sqlite://")))


@pytest.fixture
def portal(settings: Settings) -> Iterator[FastAPI]:
    app = create_app(settings)
    yield app
    app.state.store.dispose()


@pytest.fixture
def admin_headers(portal: FastAPI) -> dict[str, str]:
    """A bearer token of an admin (the widest role; only signers may sign spends)."""
    store = portal.state.store
    users.add_user(store, LOCAL_ADMIN, "fuzz-admin", "admin")
    _, token = users.issue_token(store, LOCAL_ADMIN, "fuzz-admin")
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_no_input_makes_the_portal_fail(case: Any, portal: FastAPI, admin_headers: dict[str, str]) -> None:
    case.call_and_validate(app=portal, headers=admin_headers, checks=[schemathesis.checks.not_a_server_error])
