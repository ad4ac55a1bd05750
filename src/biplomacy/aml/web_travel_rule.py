"""API of the TRP-like travel-rule exchange between licensed VASPs, addressed by LEI.

A `vasp` user sends as its own VASP, reads its own inbox and decides what is addressed to it; supervisors
and admins read every exchange (oversight). The services check who may do what (403 with the reason).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from biplomacy.web.auth import ActorDep

api = APIRouter(tags=["travel rule"])

Lei = Annotated[str, Field(min_length=1, max_length=40, description="LEI (ISO 17442), 20 characters")]
LeiPath = Annotated[str, Path(min_length=1, max_length=40, description="LEI (ISO 17442) of a VASP in the register")]
MessageId = Annotated[int, Path(ge=1, le=2**62, description="travel-rule message id")]


class TransferInquiry(BaseModel):
    """A transfer inquiry to the beneficiary VASP (by LEI) with the IVMS101 payload (bare or in an envelope).

    The originator is the sending vasp user's own VASP; `originator_lei`, if given, must be that LEI.
    """

    model_config = ConfigDict(extra="forbid")

    beneficiary_lei: Lei
    originator_lei: Lei | None = None
    payload: dict[str, Any] = Field(description="IVMS101 IdentityPayload, or {'ivms101': {...}, 'transfer': {...}}")


class Decision(BaseModel):
    """The beneficiary VASP's reason for approving or rejecting."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


@api.get("/travel-rule/vasps/{lei}", summary="Discover a VASP by LEI: licensed, and allowed to receive transfers?")
def discover(request: Request, lei: LeiPath, actor: ActorDep) -> dict[str, Any]:
    from biplomacy.aml.travel_rule_exchange import discover as run

    return run(request.app.state.store, actor, lei).to_json()


@api.post("/travel-rule/transfers", status_code=201, summary="Send a transfer inquiry to a licensed VASP (by LEI)")
def send(request: Request, body: TransferInquiry, actor: ActorDep) -> JSONResponse:
    from biplomacy.aml import travel_rule_exchange as ex

    store = request.app.state.store
    message_id = ex.send(store, actor, body.beneficiary_lei, body.payload, body.originator_lei)
    return JSONResponse({"id": message_id, "state": ex.PENDING}, status_code=201)


@api.get("/travel-rule/transfers", summary="Messages sent or received (oversight: all; a VASP: its own)")
def messages(request: Request, actor: ActorDep,
             lei: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
             state: Annotated[Literal["pending", "approved", "rejected"] | None, Query()] = None) -> dict[str, Any]:
    from biplomacy.aml.travel_rule_exchange import messages as run

    return run(request.app.state.store, actor, lei, state).to_json()


@api.get("/travel-rule/inbox", summary="Pending transfer inquiries addressed to the caller's own VASP")
def own_inbox(request: Request, actor: ActorDep) -> dict[str, Any]:
    from biplomacy.aml.travel_rule_exchange import inbox as run

    return run(request.app.state.store, actor).to_json()


@api.get("/travel-rule/inbox/{lei}", summary="Pending transfer inquiries addressed to a VASP (by LEI)")
def inbox(request: Request, lei: LeiPath, actor: ActorDep) -> dict[str, Any]:
    from biplomacy.aml.travel_rule_exchange import inbox as run

    return run(request.app.state.store, actor, lei).to_json()


@api.get("/travel-rule/transfers/{message_id}", summary="One message with its payload and status history")
def show(request: Request, message_id: MessageId, actor: ActorDep) -> dict[str, Any]:
    from biplomacy.aml.travel_rule_exchange import show as run

    return run(request.app.state.store, actor, message_id).to_json()


@api.post("/travel-rule/transfers/{message_id}/approve", summary="Approve a pending inquiry addressed to you")
def approve(request: Request, message_id: MessageId, body: Decision, actor: ActorDep) -> dict[str, Any]:
    from biplomacy.aml.travel_rule_exchange import approve as run

    return run(request.app.state.store, actor, message_id, body.reason).to_json()


@api.post("/travel-rule/transfers/{message_id}/reject", summary="Reject a pending inquiry addressed to you")
def reject(request: Request, message_id: MessageId, body: Decision, actor: ActorDep) -> dict[str, Any]:
    from biplomacy.aml.travel_rule_exchange import reject as run

    return run(request.app.state.store, actor, message_id, body.reason).to_json()
