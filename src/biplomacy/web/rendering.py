"""Rendering pages: one Jinja2 environment for the portal, and `render(request, "x.html", **ctx)` for routers.

Every page gets `actor` (who is looking), `audit_head` (the audit log's latest hash, shown in the footer)
and `nav` (the header links) without the router passing them.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import SQLAlchemyError

from biplomacy import __version__
from biplomacy.core.errors import BiplomacyError
from biplomacy.house.audit_cache import read_head
from biplomacy.web.auth import current_actor

TEMPLATES_DIR = Path(__file__).parent / "templates"

# (label, path): the header navigation. Pillar pages are owned by their engineers' routers.
NAV: tuple[tuple[str, str], ...] = (
    ("Home", "/"),
    ("Energy", "/energy"),
    ("Reserve", "/reserve"),
    ("Supervision", "/supervision"),
    ("Peers", "/peers"),
    ("Sources", "/sources"),
)

# Vega evaluates expressions with `new Function`, hence 'unsafe-eval'; no inline script is ever needed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def make_templates() -> Jinja2Templates:
    """The portal's template set, with autoescaping on and a few globals every template may use."""
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    templates.env.globals["nav"] = NAV
    templates.env.globals["static"] = _static_url
    templates.env.tests["numeric"] = _is_numeric
    return templates


def _is_numeric(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _static_url(path: str) -> str:
    # The version in the query string makes browsers refetch assets after an upgrade.
    return f"/static/{path}?v={__version__}"


def install(app: FastAPI) -> None:
    app.state.templates = make_templates()


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render `template` with `context` plus the per-request globals, as an HTML response."""
    templates: Jinja2Templates = request.app.state.templates
    base: dict[str, Any] = {"actor": current_actor(request), **context}
    if "audit_head" not in base:
        base["audit_head"] = _safe_audit_head(request)
    response = templates.TemplateResponse(request, template, base, status_code=status_code)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


def _safe_audit_head(request: Request) -> str | None:
    # The footer must never turn a good page (or an error page) into a failure.
    try:
        head = read_head(request.app.state.store)
        return None if head is None else head[1]
    except (BiplomacyError, SQLAlchemyError):
        return None
