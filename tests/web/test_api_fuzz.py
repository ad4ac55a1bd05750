"""Every operation in the portal's OpenAPI document, fuzzed with schemathesis: bad input is never a 500.

The schema is read from the app when the tests are collected, so endpoints that pillars add later are
fuzzed too; each operation then runs against a portal on a fresh migrated database (SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings

from biplomacy.config import Settings
from biplomacy.web.app import create_app

# Only to read the OpenAPI document: an in-memory database that no request of the fuzz run touches.
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(Settings(database_url="sqlite://")))


@pytest.fixture
def portal(settings: Settings) -> Iterator[FastAPI]:
    app = create_app(settings)
    yield app
    app.state.store.dispose()


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_no_input_makes_the_portal_fail(case: Any, portal: FastAPI) -> None:
    case.call_and_validate(app=portal, checks=[schemathesis.checks.not_a_server_error])
