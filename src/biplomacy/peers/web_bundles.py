"""The exchange on the portal: this program's published bundles and keys (public), checking a peer's bundle
against its pinned key with the diff of each part (public: it changes nothing), and adopting parts (supervisors
and admins). The same as JSON under /api/v1/peers/bundles."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from biplomacy.core.errors import InputError
from biplomacy.core.jsonable import to_jsonable
from biplomacy.core.permissions import allowed, authorize
from biplomacy.peers import bundles
from biplomacy.web.auth import ActorDep
from biplomacy.web.rendering import render

pages = APIRouter(tags=["pages"])
api = APIRouter(prefix="/peers", tags=["peers"])

Trust = Annotated[str, Query(min_length=1, max_length=400, description="the issuer's public key, ed25519:<base64>")]
AdoptQ = Annotated[list[str], Query(max_length=20, description="parts to adopt (repeat); none: diff only")]


async def _upload(file: UploadFile | None, encoded: str) -> bytes:
    """The bundle from the form: an uploaded file, or the base64 the check page carried over to the adopt form."""
    if file is not None and file.filename:
        data = await file.read(bundles.MAX_BUNDLE_BYTES + 1)
    elif encoded:
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise InputError("the carried-over bundle is not base64; upload the file again", field="bundle") from None
    else:
        raise InputError("choose a bundle file to check", field="bundle")
    if len(data) > bundles.MAX_BUNDLE_BYTES:
        raise InputError(f"a bundle is at most {bundles.MAX_BUNDLE_BYTES:,} bytes", field="bundle")
    return data


def _page(request: Request, actor: Any, **context: Any) -> HTMLResponse:
    store = request.app.state.store
    return render(request, "peers/bundles.html", published=bundles.published(store),
                  adoptions=bundles.adoptions(store), may_adopt=allowed(actor.role, "peers.bundle.adopt"), **context)


@pages.get("/peers/bundles", response_class=HTMLResponse, summary="Exchange bundles: published, check, adopt")
def bundles_page(request: Request, actor: ActorDep) -> HTMLResponse:
    return _page(request, actor)


@pages.post("/peers/bundles/check", response_class=HTMLResponse,
            summary="Check a peer's bundle against its key and show each part's diff (changes nothing)")
async def check_page(request: Request, actor: ActorDep, trust: Annotated[str, Form(max_length=400)],
                     bundle: Annotated[UploadFile | None, File()] = None,
                     bundle_b64: Annotated[str, Form(max_length=50_000_000)] = "") -> HTMLResponse:
    data = await _upload(bundle, bundle_b64)
    check = bundles.verify_bundle(data, trust)
    if check.valid:
        check = bundles.import_bundle(request.app.state.store, actor, data, trust, ())
    return _page(request, actor, check=check, trust=trust, carried=base64.b64encode(data).decode("ascii"))


@pages.post("/peers/bundles/adopt", response_class=HTMLResponse,
            summary="Adopt the parts ticked from a verified bundle (supervisors and admins); audited")
async def adopt_page(request: Request, actor: ActorDep, trust: Annotated[str, Form(max_length=400)],
                     adopt: Annotated[list[str], Form(max_length=20)],
                     bundle: Annotated[UploadFile | None, File()] = None,
                     bundle_b64: Annotated[str, Form(max_length=50_000_000)] = "") -> HTMLResponse:
    authorize(actor, "peers.bundle.adopt")
    data = await _upload(bundle, bundle_b64)
    check = bundles.import_bundle(request.app.state.store, actor, data, trust, adopt)
    return _page(request, actor, check=check, trust=trust, carried=base64.b64encode(data).decode("ascii"))


@api.get("/bundles", summary="The bundles this program published, with the public key that verifies each")
def published_api(request: Request) -> Any:
    return to_jsonable(bundles.published(request.app.state.store))


@api.get("/bundles/{ident}/file", summary="Download a published bundle (`latest` for the newest)")
def published_file(request: Request, ident: Annotated[str, Path(max_length=20)]) -> Response:
    found, text = bundles.published_file(request.app.state.store, ident)
    return PlainTextResponse(text, media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="bundle-{found.country.lower()}-{found.sha256[:12]}.json"'})


@api.get("/keys", summary="The public keys this program signed its bundles with (pin one with --trust)")
def keys_api(request: Request) -> Any:
    seen: dict[str, Any] = {}
    for b in bundles.published(request.app.state.store):
        seen.setdefault(b.public_key, {"public_key": b.public_key, "program": b.program, "country": b.country,
                                        "first_bundle": b.sha256, "latest_issued_at": b.issued_at})
    return list(seen.values())


@api.post("/bundles/verify", summary="Verify a bundle (the request body) against a pinned key: valid and every "
                                     "problem (changes nothing)")
async def verify_api(request: Request, trust: Trust) -> Any:
    body = await request.body()
    return bundles.verify_bundle(body, trust).to_json()


@api.post("/bundles/import", summary="Import a bundle (the request body): 422 naming every problem when it is "
                                     "invalid; each part's diff; adopt the parts named (supervisors, admins)")
async def import_api(request: Request, actor: ActorDep, trust: Trust, adopt: AdoptQ = []) -> Any:  # noqa: B006
    body = await request.body()
    return bundles.import_bundle(request.app.state.store, actor, body, trust, adopt).to_json()


@api.get("/adoptions", summary="The parts this program adopted from peers' bundles, each with the bundle's hash")
def adoptions_api(request: Request) -> Any:
    return to_jsonable(bundles.adoptions(request.app.state.store))
