"""The web portal: FastAPI app factory; pages and the JSON API under /api/v1, one router module per pillar."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from biplomacy import __version__
from biplomacy.core.config import Settings
from biplomacy.core.errors import BiplomacyError, InputError
from biplomacy.core.permissions import ANONYMOUS
from biplomacy.core.samples import sample_for_route
from biplomacy.house.audit_cache import LatestHead
from biplomacy.store.db import open_store
from biplomacy.web import jobs, rendering, routers
from biplomacy.web.auth import COOKIE_NAME, current_actor
from biplomacy.web.body_limit import BodyLimit
from biplomacy.web.page_cache import PageCache, RenderCache

HERE = Path(__file__).parent
log = logging.getLogger("biplomacy.web")

DESCRIPTION = (
    "JSON API of Biplomacy. Read endpoints of public data need no login; officers authenticate with "
    "`Authorization: Bearer <token>` (tokens: `biplomacy users token`). Errors are JSON objects with "
    "`detail`, and for bad input `field` and `issues` (code, path, message)."
)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_page(request: Request, status: int, title: str, message: str,
                issues: list[dict[str, str]] | None = None) -> HTMLResponse:
    try:
        current_actor(request)
    except StarletteHTTPException:
        request.state.actor = ANONYMOUS  # a bad token must not break the page that says so
    return rendering.render(request, "error.html", status_code=status, title=title, message=message,
                            issues=issues or [], status=status)


_TITLES = {400: "Bad request", 401: "Not signed in", 403: "Not allowed", 404: "Not found",
           405: "Method not allowed", 409: "Refused by policy", 422: "Check your input", 500: "Server error"}


def _cross_site_write(request: Request) -> bool:
    """A state-changing request that a browser sent from another site's page (bearer-token calls are exempt)."""
    origin = request.headers.get("origin")
    if request.method in {"GET", "HEAD", "OPTIONS"} or not origin or "authorization" in request.headers:
        return False
    return urlsplit(origin).netloc != request.headers.get("host", "")


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(BiplomacyError)
    async def _biplomacy_error(request: Request, exc: BiplomacyError) -> Response:
        issues = [i.as_dict() for i in exc.issues] if isinstance(exc, InputError) else []
        if exc.http_status >= 500:
            log.error("request %s failed: %s", request.url.path, exc)
        if _wants_json(request):
            body: dict[str, object] = {"detail": str(exc)}
            if isinstance(exc, InputError):
                body["field"] = exc.field
                body["issues"] = issues
                if sample := sample_for_route(request.url.path):
                    body["sample"] = sample  # the valid sample in examples/ to compare the request body with
            return JSONResponse(body, status_code=exc.http_status)
        return _error_page(request, exc.http_status, _TITLES.get(exc.http_status, "Error"), str(exc), issues)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        response = _error_page(request, exc.status_code, _TITLES.get(exc.status_code, "Error"), str(exc.detail))
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        issues = [{"code": str(e.get("type", "invalid")), "path": ".".join(str(p) for p in e.get("loc", ())),
                   "message": str(e.get("msg", ""))} for e in exc.errors()]
        message = f"the request has {len(issues)} problem(s): " + "; ".join(
            f"{i['path']}: {i['message']}" for i in issues[:10])
        if _wants_json(request):
            return JSONResponse({"detail": message, "field": issues[0]["path"] if issues else None,
                                 "issues": issues}, status_code=422)
        return _error_page(request, 422, _TITLES[422], message, issues)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        message = "Something went wrong on our side; the error has been logged."
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=500)
        return _error_page(request, 500, _TITLES[500], message)


def _install_docs(app: FastAPI) -> None:
    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        # Swagger UI from the vendored copy: the portal fetches nothing from a CDN.
        return get_swagger_ui_html(
            openapi_url="/api/v1/openapi.json", title="Biplomacy API",
            swagger_js_url="/static/vendor/swagger-ui-bundle.js", swagger_css_url="/static/vendor/swagger-ui.css",
            swagger_favicon_url="/static/vendor/swagger-favicon-32x32.png",
        )


def create_app(settings: Settings) -> FastAPI:
    """Build the portal for `settings`; the store is opened here, not at import time."""
    store = open_store(settings)
    head = LatestHead(store)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        runner.shutdown()
        head.close()
        store.dispose()

    app = FastAPI(title="Biplomacy", version=__version__, description=DESCRIPTION, docs_url=None,
                  redoc_url=None, openapi_url="/api/v1/openapi.json", lifespan=lifespan)
    app.state.settings = settings
    app.state.store = store
    rendering.install(app)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.middleware("http")
    async def _security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if _cross_site_write(request):
            # Defence in depth next to the SameSite=Lax cookie: a form posted from another site is refused.
            return JSONResponse({"detail": "cross-site request refused"}, status_code=403)
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    _install_error_handlers(app)
    _install_docs(app)

    @app.get("/healthz", tags=["house"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers. (It does not query the database.)"""
        return {"status": "ok"}

    runner = jobs.install(app, store)
    routers.include_all(app)
    # Public reads come from what was rendered at this audit head (web/page_cache.py); the rest is gzipped here.
    app.add_middleware(GZipMiddleware, minimum_size=500)
    app.state.page_cache = RenderCache()
    app.add_middleware(PageCache, head=head, cache=app.state.page_cache, cookie_name=COOKIE_NAME)
    app.add_middleware(BodyLimit)  # before anything reads a body: an oversized one is refused unread
    if settings.trusted_proxies:  # outermost, so every layer sees the client the trusted proxy forwarded for
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))
    return app


def app_from_environment() -> FastAPI:
    """The portal for the environment's settings (BIPLOMACY_*, biplomacy.toml), for running several worker
    processes under uvicorn: `uvicorn biplomacy.web.app:app_from_environment --factory --workers 2`."""
    from uvicorn.config import STARTUP_FAILURE

    from biplomacy.core.config import load_settings
    from biplomacy.store.migrate import check_migrated

    try:
        settings = load_settings()
        app = create_app(settings)
        check_migrated(app.state.store)  # as `biplomacy serve` does: an unmigrated database is refused at start
    except BiplomacyError as exc:
        # One clear line, and the exit code that tells uvicorn's supervisor not to restart this worker in a
        # loop (the next one would fail the same way): the whole portal stops and says why.
        logging.getLogger("uvicorn.error").error("the portal cannot start: %s", exc)
        sys.exit(STARTUP_FAILURE)
    return app
