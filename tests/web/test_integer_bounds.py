"""No integer a request carries reaches the database beyond 64 bits (#20: a 20-digit case id was an HTTP 500,
OverflowError on SQLite and "bigint out of range" on PostgreSQL).

Every route of the portal, the pillars' routers merged later included, is read from the app itself: each
integer in a path, query or body model must declare bounds inside the signed 64-bit range, and a request with
a 20-digit number, or with the largest number a route accepts, is answered without a server error on both
backends. The store refuses a larger integer on its own as well (store/db.py), for the CLI and any new route.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel

from biplomacy.core.config import Settings
from biplomacy.core.errors import InputError
from biplomacy.core.permissions import LOCAL_ADMIN
from biplomacy.house import users
from biplomacy.store.db import Store
from biplomacy.web.app import create_app

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):  # an included router keeps its own routes
            yield from _routes(route.original_router.routes, prefix + route.include_context.prefix)


def _has_int(tp: Any) -> bool:
    return tp is int or any(_has_int(a) for a in typing.get_args(tp))


def _bounds(field: Any) -> tuple[int | None, int | None]:
    """The smallest and largest value a field accepts (inclusive), None where it sets no bound."""
    lo = hi = None
    for m in getattr(field, "metadata", []):
        lo = m.ge if getattr(m, "ge", None) is not None else m.gt + 1 if getattr(m, "gt", None) is not None else lo
        hi = m.le if getattr(m, "le", None) is not None else m.lt - 1 if getattr(m, "lt", None) is not None else hi
    return lo, hi


def _model_ints(model: type[BaseModel], where: str) -> Iterator[tuple[str, Any]]:
    for name, field in model.model_fields.items():
        if _has_int(field.annotation):
            yield f"{where}.{name}", field
        for arg in (field.annotation, *typing.get_args(field.annotation)):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                yield from _model_ints(arg, f"{where}.{name}")


def integer_inputs() -> list[tuple[str, str, str, Any]]:
    """(methods, path, parameter, field info) of every integer a request can carry."""
    app = create_app(Settings(database_url="sqlite://"))
    out = []
    for path, route in _routes(app.routes):
        params = [*route.dependant.path_params, *route.dependant.query_params, *route.dependant.body_params]
        for dep in route.dependant.dependencies:
            params += [*dep.path_params, *dep.query_params, *dep.body_params]
        for p in params:
            info = p.field_info
            if _has_int(info.annotation):
                out.append((",".join(sorted(route.methods)), path, p.name, info))
            for arg in (info.annotation, *typing.get_args(info.annotation)):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    out += [(",".join(sorted(route.methods)), path, n, f) for n, f in _model_ints(arg, p.name)]
    return out


INPUTS = integer_inputs()


def test_the_portal_has_integer_inputs_to_check() -> None:
    assert any(path == "/supervision/aml/cases/{case_id}" for _, path, _, _ in INPUTS)


@pytest.mark.parametrize(("methods", "path", "name", "info"), INPUTS, ids=[f"{m} {p} {n}" for m, p, n, _ in INPUTS])
def test_every_integer_a_request_carries_is_bounded_within_64_bits(methods: str, path: str, name: str,
                                                                   info: Any) -> None:
    lo, hi = _bounds(info)
    assert lo is not None and hi is not None, f"{methods} {path}: {name} has no bounds (ge=..., le=...)"
    assert INT64_MIN <= lo and hi <= INT64_MAX, f"{methods} {path}: {name} allows [{lo}, {hi}]"


def _url(path: str, value: int) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: str(value) if _is_int_param(path, m.group(0)[1:-1]) else "x", path)


def _is_int_param(path: str, name: str) -> bool:
    return any(p == path and n == name for _, p, n, _ in INPUTS)


PATH_INPUTS = [(m, p, n, i) for m, p, n, i in INPUTS if "{" + n + "}" in p]


@pytest.mark.parametrize(("methods", "path", "name", "info"), PATH_INPUTS,
                         ids=[f"{m} {p}" for m, p, _, _ in PATH_INPUTS])
def test_a_20_digit_or_the_largest_accepted_id_is_answered_without_a_server_error(
        settings: Settings, methods: str, path: str, name: str, info: Any) -> None:
    app = create_app(settings)
    store = app.state.store
    try:
        users.add_user(store, LOCAL_ADMIN, "bounds-admin", "admin")
        _, token = users.issue_token(store, LOCAL_ADMIN, "bounds-admin")
        client = TestClient(app, headers={"Authorization": f"Bearer {token}"})
        _, largest = _bounds(info)
        assert largest is not None
        for value in (10**20, largest):
            for method in methods.split(","):
                if method in ("GET", "POST"):
                    r = client.request(method, _url(path, value), json={} if method == "POST" else None)
                    assert r.status_code < 500, f"{method} {_url(path, value)}: HTTP {r.status_code} {r.text[:200]}"
    finally:
        store.dispose()


def test_the_store_refuses_an_integer_beyond_64_bits_as_input(store: Store) -> None:
    from sqlalchemy import text

    with pytest.raises(InputError, match="out of range"), store.read() as session:
        session.execute(text("SELECT :n"), {"n": 2**63})
    with store.read() as session:  # the largest 64-bit integer still goes through, on either backend
        assert session.execute(text("SELECT :n"), {"n": INT64_MAX}).scalar_one() == INT64_MAX
