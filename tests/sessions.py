"""Sign a test client in as a real user: portal sessions are checked against the users table on each request."""

from typing import Any

from biplomacy.core.permissions import LOCAL_ADMIN
from biplomacy.house import users
from biplomacy.web.auth import COOKIE_NAME, issue_session


def sign_in(client: Any, name: str, role: str, lei: str | None = None) -> Any:
    """Add user `name` with `role` to the client's portal (unless it is there already) and set its session cookie."""
    store = client.app.state.store
    if users.session_state(store, name) is None:
        users.add_user(store, LOCAL_ADMIN, name, role, lei=lei)
    actor, version = users.session_state(store, name)  # type: ignore[misc]
    assert actor.role == role, f"{name} already exists as {actor.role}, not {role}"
    client.cookies.set(COOKIE_NAME, issue_session(client.app.state.settings, actor, version=version))
    return client
