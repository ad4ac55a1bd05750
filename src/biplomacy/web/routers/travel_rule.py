"""API of the TRP-like travel-rule exchange between licensed VASPs: send an inquiry, read an inbox, decide."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from biplomacy.web.auth import ActorDep

api = APIRouter(tags=["travel rule"])

VaspRef = Annotated[str, Field(min_length=1, max_length=40, description="register reference, e.g. PVARA-2025-9001")]
MessageId = Annotated[int, Path(ge=1, le=2**62, description="travel-rule message id")]


class TransferInquiry(BaseModel):
    """A transfer inquiry: the originating and beneficiary VASPs and the IVMS101 payload (bare or in an envelope)."""

    model_config = ConfigDict(extra="forbid")

    originator_vasp: VaspRef
    beneficiary_vasp: VaspRef
    payload: dict[str, Any] = Field(description="IVMS101 IdentityPayload, or {'ivms101': {...}, 'transfer': {...}}")


class Decision(BaseModel):
    """The beneficiary VASP's reason for approving or rejecting."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


@api.post("/travel-rule/transfers", status_code=201, summary="Send a transfer inquiry to a licensed VASP")
def send(request: Request, body: TransferInquiry, actor: ActorDep) -> JSONResponse:
    from biplomacy.services import travel_rule_exchange as ex

    store = request.app.state.store
    message_id = ex.send(store, actor, body.originator_vasp, body.beneficiary_vasp, body.payload)
    return JSONResponse({"id": message_id, "state": ex.PENDING}, status_code=201)


@api.get("/travel-rule/inbox/{vasp_ref}", summary="Pending transfer inquiries addressed to a VASP")
def inbox(request: Request, vasp_ref: Annotated[str, Path(min_length=1, max_length=40)],
          actor: ActorDep) -> dict[str, Any]:
    from biplomacy.services.travel_rule_exchange import inbox as run

    return run(request.app.state.store, vasp_ref, actor)


@api.get("/travel-rule/transfers/{message_id}", summary="One travel-rule message with its payload and decision")
def show(request: Request, message_id: MessageId, actor: ActorDep) -> dict[str, Any]:
    from biplomacy.services.travel_rule_exchange import show as run

    return run(request.app.state.store, actor, message_id)


@api.post("/travel-rule/transfers/{message_id}/approve", summary="Approve a pending transfer inquiry")
def approve(request: Request, message_id: MessageId, body: Decision, actor: ActorDep) -> dict[str, Any]:
    from biplomacy.services.travel_rule_exchange import approve as run

    return run(request.app.state.store, actor, message_id, body.reason)


@api.post("/travel-rule/transfers/{message_id}/reject", summary="Reject a pending transfer inquiry")
def reject(request: Request, message_id: MessageId, body: Decision, actor: ActorDep) -> dict[str, Any]:
    from biplomacy.services.travel_rule_exchange import reject as run

    return run(request.app.state.store, actor, message_id, body.reason)
