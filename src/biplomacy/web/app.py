"""The web portal: FastAPI app factory; pages and the JSON API under /api/v1, one router module per pillar."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from biplomacy.adapters.store.db import open_store
from biplomacy.config import Settings
from biplomacy.errors import BiplomacyError, InputError
from biplomacy.web import routers

HERE = Path(__file__).parent


def create_app(settings: Settings) -> FastAPI:
    """Build the portal for `settings`; the store is opened here, not at import time."""
    app = FastAPI(title="Biplomacy", version="0.1.0", docs_url="/api/docs", openapi_url="/api/v1/openapi.json")
    app.state.settings = settings
    app.state.store = open_store(settings)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(BiplomacyError)
    async def _biplomacy_error(_request: Request, exc: BiplomacyError) -> JSONResponse:
        body: dict[str, object] = {"detail": str(exc)}
        if isinstance(exc, InputError):
            body["field"] = exc.field
            body["issues"] = [i.as_dict() for i in exc.issues]
        return JSONResponse(body, status_code=exc.http_status)

    @app.get("/healthz", tags=["house"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    routers.include_all(app)
    return app
