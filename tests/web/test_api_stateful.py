"""schemathesis's stateful phase over the portal's API (#20): sequences of calls, the responses of one feeding
the next along the links schemathesis infers, as an admin and as a VASP user. Zero HTTP 500s.

Bounded for the suite (a few short sequences per identity on SQLite and PostgreSQL); a longer run is
`BIPLOMACY_FUZZ_STEPS=200 pytest tests/web/test_api_stateful.py`. Each failure prints the sequence that
reproduces it, which is then kept as a regression test.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from biplomacy.core.config import Settings
from biplomacy.core.permissions import LOCAL_ADMIN
from biplomacy.house import users
from biplomacy.supervision.demo import load_demo_register
from biplomacy.web.app import create_app
from tests.vasps import ALPHA, register_vasps

STEPS = int(os.environ.get("BIPLOMACY_FUZZ_STEPS", "12"))


@pytest.mark.parametrize("role", ["admin", "vasp"])
def test_sequences_of_api_calls_never_fail_the_portal(settings: Settings, role: str) -> None:
    app = create_app(settings)
    store = app.state.store
    try:
        load_demo_register(store)
        register_vasps(store)
        users.add_user(store, LOCAL_ADMIN, "fuzzer", role, lei=ALPHA[1] if role == "vasp" else None)
        _, token = users.issue_token(store, LOCAL_ADMIN, "fuzzer")
        headers = {"Authorization": f"Bearer {token}"}
        schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
        machine: Any = schema.as_state_machine()
        seen: list[str] = []

        class Portal(machine):  # type: ignore[misc, valid-type]
            def get_call_kwargs(self, case: Any) -> dict[str, Any]:
                return {"headers": headers}

            def validate_response(self, response: Any, case: Any, additional_checks: Any = None,
                                  **kwargs: Any) -> None:
                seen.append(f"{case.method} {case.path}")
                assert response.status_code < 500, f"{case.method} {case.path}: HTTP {response.status_code}"

        run_state_machine_as_test(Portal, settings=settings_for_run())
        assert len(set(seen)) > 1, f"the state machine made too few calls to test anything: {seen}"
    finally:
        store.dispose()


def settings_for_run() -> Any:
    return settings(max_examples=3, stateful_step_count=STEPS, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))
