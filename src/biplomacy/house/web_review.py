"""The IMF review pack as a portal page (/review), its PDF and JSON, and the diff against an earlier pack.
For auditors (the IMF's reviewers), supervisors and admins: the same pack `biplomacy review pack` writes."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from biplomacy.core.errors import InputError
from biplomacy.house import review, review_files
from biplomacy.web.auth import ActorDep
from biplomacy.web.rendering import render

pages = APIRouter(tags=["pages"])
api = APIRouter(prefix="/review", tags=["review"])

MAX_PACK_BYTES = 20 * 1024 * 1024


def _earlier(data: bytes) -> dict[str, Any]:
    if len(data) > MAX_PACK_BYTES:
        raise InputError(f"a review.json is at most {MAX_PACK_BYTES:,} bytes", field="earlier")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"the earlier pack is not JSON ({exc})", field="earlier") from None
    return review.check_pack(doc, "the earlier pack")


@pages.get("/review", response_class=HTMLResponse, summary="The IMF review pack (auditors, supervisors, admins)")
def review_page(request: Request, actor: ActorDep) -> HTMLResponse:
    return render(request, "review/index.html", pack=review.build_pack(request.app.state.store, actor))


@pages.get("/review/pack.pdf", summary="The IMF review pack as PDF")
def review_pdf(request: Request, actor: ActorDep) -> Response:
    pack = review.build_pack(request.app.state.store, actor)
    pdf = review_files.render_pdf(review_files.render_html(pack))
    name = f"review-{pack['generated_at'][:10]}.pdf"
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@pages.post("/review/diff", response_class=HTMLResponse, summary="What changed since an earlier pack (uploaded)")
async def review_diff_page(request: Request, actor: ActorDep,
                           earlier: Annotated[UploadFile, File(description="an earlier review.json")]) -> HTMLResponse:
    pack = review.build_pack(request.app.state.store, actor)
    before = _earlier(await earlier.read(MAX_PACK_BYTES + 1))
    result = review.diff_packs(before, pack)
    return render(request, "review/index.html", pack=pack, changes=result["changes"], earlier_at=result["from"])


@api.get("", summary="The IMF review pack as JSON (keep it to diff a later pack against)")
def review_api(request: Request, actor: ActorDep) -> Any:
    return review.build_pack(request.app.state.store, actor)


@api.post("/diff", summary="What changed since an earlier pack (its review.json is the request body)")
async def review_diff_api(request: Request, actor: ActorDep) -> Any:
    before = _earlier(await request.body())
    return review.diff_packs(before, review.build_pack(request.app.state.store, actor))
