"""The signer endpoints spend proposals and reserve statements share: status, unsigned PSBT, signed upload.

Not a router of its own: web.py and web_statements.py each add these three routes for their ceremony
(signatures.py underneath). The answers are the records' JSON (results.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from biplomacy.core.errors import InputError
from biplomacy.reserve.signatures import Ceremony
from biplomacy.web.auth import ActorDep

MAX_PSBT_BYTES = 1_000_000


def add_signer_routes(api: APIRouter, path: str, ceremony: Ceremony, status_for_signers: bool = False) -> None:
    """GET {path}/status (or {path} itself), GET {path}/psbt, POST {path}/signatures; `path` has {target_id}.

    `status_for_signers`: the status shows only to who may download the PSBT (signers, coordinator).
    """
    status_path = path if status_for_signers else f"{path}/status"
    what = f"A {ceremony.title}"

    @api.get(status_path, summary=f"{what}'s signatures, threshold and state (signers, coordinator)")
    def signing_status(request: Request, actor: ActorDep, target_id: str) -> Any:
        store = request.app.state.store
        if status_for_signers:
            ceremony.may_upload(actor)  # the same permission as downloading the PSBT
        return ceremony.status(store, actor, target_id).to_json()

    @api.get(f"{path}/psbt", response_class=PlainTextResponse,
             summary=f"{what}'s unsigned PSBT (base64) to sign on a hardware wallet")
    def unsigned_psbt(request: Request, actor: ActorDep, target_id: str) -> PlainTextResponse:
        return PlainTextResponse(ceremony.unsigned_psbt(request.app.state.store, actor, target_id))

    @api.post(f"{path}/signatures",
              summary=f"Upload what a signer's wallet produced for a {ceremony.title}: a PSBT (binary, base64 or "
                      "hex; finalised or not) or the finished transaction; accepted, or refused with the reason")
    async def upload(request: Request, actor: ActorDep, target_id: str) -> Any:
        body = await request.body()
        if len(body) > MAX_PSBT_BYTES:
            raise InputError("the PSBT is larger than 1 MB", field="psbt")
        return ceremony.submit(request.app.state.store, actor, target_id, body).to_json()
