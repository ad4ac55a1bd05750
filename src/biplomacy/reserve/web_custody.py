"""The reserve operator's steps on the portal (issue #14): design a policy with recovery paths, add the wallet,
sync it, propose a spend by a named path, refresh coins before a recovery path opens, rotate signers, broadcast;
and each wallet's page (its paths in words, its coins against their timelocks, its predecessors).

Not a router of its own: web.py adds these routes to its `api` and `pages` routers. Every route calls the same
use case as the CLI command of the same name, so the answers are the CLI's `--json` documents, and the same
permissions apply (403 with the reason); bad input is a 422 naming the field, and nothing is stored.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from biplomacy.core.permissions import authorize
from biplomacy.reserve.model.policy import PROFILES
from biplomacy.web.auth import ActorDep, current_actor
from biplomacy.web.rendering import render

Name = Annotated[str, Path(min_length=1, max_length=64, description="the wallet's name")]
ProposalId = Annotated[str, Path(min_length=1, max_length=64, description="the spend proposal's id")]
Profile = Annotated[str | None, Field(default=None, max_length=40, description=f"one of {', '.join(PROFILES)}")]
Descriptor = Annotated[str, Field(min_length=1, max_length=20_000, description="an output descriptor: a multisig, "
                                                                                "or a policy with recovery paths")]
FeeRate = Annotated[int, Field(default=2, ge=1, le=10_000, description="sat/vB")]
Purpose = Annotated[str, Field(default="", max_length=2000)]
SpendPathName = Annotated[str, Field(default="primary", max_length=40,
                                     description="primary, recovery, recovery-2, ...")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PathDesign(_Body):
    threshold: int = Field(ge=0, le=1000)
    keys: list[Annotated[str, Field(max_length=400)]] = Field(max_length=999)
    after_blocks: int | None = Field(default=None, ge=0, le=2**31 - 1,
                                     description="a recovery path's relative timelock, in blocks")


class PolicyDesign(_Body):
    """The policy as `reserve wallet design --file` reads it."""

    script: Literal["wsh", "tr"] = "wsh"
    primary: PathDesign
    recovery: list[PathDesign] = Field(max_length=20)
    policy: Profile = None


class NewWallet(_Body):
    name: str = Field(min_length=1, max_length=64)
    descriptor: Descriptor
    policy: Profile = None
    public_addresses: bool = False


class NewSpend(_Body):
    wallet: str = Field(min_length=1, max_length=64)
    to: str = Field(min_length=1, max_length=120)
    amount: str = Field(min_length=1, max_length=40, description="BTC as a decimal string, e.g. 0.5")
    purpose: str = Field(min_length=1, max_length=2000)
    path: SpendPathName = "primary"
    fee_rate: FeeRate = 2
    approval: str = Field(default="", max_length=200)


class Rotation(_Body):
    to: str = Field(min_length=1, max_length=64)
    descriptor: Descriptor
    path: SpendPathName = "primary"
    fee_rate: FeeRate = 2
    policy: Profile = None
    purpose: Purpose = ""


class Refresh(_Body):
    within: int | None = Field(default=None, ge=0, le=2**31 - 1,
                               description="blocks (default: the registry's warning window)")
    all: bool = False
    fee_rate: FeeRate = 2
    purpose: Purpose = ""


def _chain(request: Request) -> Any:
    from biplomacy.reserve.rehearsal.source import chain_for

    return chain_for(request.app.state.store, request.app.state.settings)


def _network(request: Request) -> str:
    return str(request.app.state.settings.network)


def add_custody_routes(api: APIRouter, pages: APIRouter) -> None:
    """The operator's JSON routes under /api/v1/reserve, and the wallet page /reserve/wallets/{name}."""

    @api.post("/policies/design", summary="Design a policy with recovery paths: its descriptor and each path "
                                          "in words (stores nothing)")
    def design(request: Request, body: PolicyDesign, actor: ActorDep) -> Any:
        from biplomacy.reserve.model.policy import DEFAULT_PROFILE
        from biplomacy.reserve.wallets import design_wallet

        doc = body.model_dump(exclude={"policy"}, exclude_none=True)
        return design_wallet(_network(request), doc, body.policy or DEFAULT_PROFILE).to_json()

    @api.post("/wallets", status_code=201, summary="Add a watch-only wallet: a multisig or a policy with recovery "
                                                   "paths (the reserve operator)")
    def add(request: Request, body: NewWallet, actor: ActorDep) -> Any:
        from biplomacy.reserve.model.policy import DEFAULT_PROFILE
        from biplomacy.reserve.wallets import add_wallet

        return add_wallet(request.app.state.store, actor, _network(request), body.name, body.descriptor,
                          body.policy or DEFAULT_PROFILE, body.public_addresses).to_json()

    @api.get("/wallets/{name}", summary="A wallet: its paths in words, each coin against its recovery path's "
                                        "timelock (with refresh warnings), its predecessors and successor")
    def show(request: Request, name: Name, actor: ActorDep) -> Any:
        from biplomacy.reserve.refresh import wallet_detail

        return wallet_detail(request.app.state.store, actor, None, name).to_json()

    @api.post("/wallets/{name}/sync", summary="Bring the wallet's ledger to what the chain shows (the operator)")
    def sync(request: Request, name: Name, actor: ActorDep) -> Any:
        from biplomacy.reserve.wallets import sync as run

        authorize(actor, "reserve.ledger.write")  # a scan of the chain on demand: not for anyone passing by
        return run(request.app.state.store, actor, _chain(request), name).to_json()

    @api.post("/spends", status_code=201, summary="Propose a spend by a named path; a recovery path before its "
                                                  "timelock is refused with the blocks left (422)")
    def propose(request: Request, body: NewSpend, actor: ActorDep) -> Any:
        from biplomacy.reserve.spend import propose as run

        return run(request.app.state.store, actor, _chain(request), body.wallet, body.to, body.amount, body.purpose,
                   body.fee_rate, body.approval, body.path).to_json()

    @api.post("/spends/{proposal_id}/broadcast", summary="Broadcast a spend once its path's signatures are in")
    def broadcast(request: Request, proposal_id: ProposalId, actor: ActorDep) -> Any:
        from biplomacy.reserve.spend import broadcast as run

        return run(request.app.state.store, actor, _chain(request), proposal_id).to_json()

    @api.post("/wallets/{name}/refresh", status_code=201, summary="Propose a refresh: coins near their recovery "
                                                                  "path back into the wallet by the primary path")
    def refresh(request: Request, name: Name, body: Refresh, actor: ActorDep) -> Any:
        from biplomacy.reserve.refresh import refresh as run

        return run(request.app.state.store, actor, _chain(request), name, body.within, body.all, body.fee_rate,
                   body.purpose).to_json()

    @api.post("/wallets/{name}/rotate", status_code=201, summary="Rotate signers: create the successor wallet and "
                                                                 "the sweep proposal that moves every coin to it")
    def rotate(request: Request, name: Name, body: Rotation, actor: ActorDep) -> Any:
        from biplomacy.reserve.rotation import rotate as run

        return run(request.app.state.store, actor, _chain(request), name, body.to, body.descriptor, body.path,
                   body.fee_rate, body.policy, body.purpose).to_json()

    @pages.get("/reserve/wallets/{name}", response_class=HTMLResponse,
               summary="A reserve wallet: its policy in words, coins against their timelocks, predecessors")
    def wallet_page(request: Request, name: Name) -> HTMLResponse:
        from biplomacy.core.errors import PermissionDenied
        from biplomacy.reserve.refresh import wallet_detail
        from biplomacy.reserve.spend import waiting

        actor = current_actor(request)
        detail = wallet_detail(request.app.state.store, actor, None, name)
        try:  # signers and the operator see what waits for them; the public does not
            pending = [{"id": r.id, "amount": f"{r.amount_btc:f}", "to": r.to, "purpose": r.purpose,
                        "path": r.path, "signatures": f"{len(r.valid_signers)} of {r.threshold}", "state": r.state}
                       for r in waiting(request.app.state.store, actor, name)]
        except PermissionDenied:
            pending = None
        rows = [{"coin": f"{c.txid}:{c.vout}", "btc": f"{c.btc:f}", "height": c.height, "path": c.path,
                 "opens_at": c.opens_at, "left": "open now" if c.blocks_left == 0 else f"{c.blocks_left:,}"
                 + (" (refresh)" if c.warn else "")} for c in detail.coins]
        return render(request, "reserve/wallet.html", detail=detail, coin_rows=rows, pending=pending)
