"""Collecting M signatures on a PSBT of a reserve wallet: the step spend proposals and reserve statements share.

A signer (or the coordinator, with the files signers sent) uploads what their wallet produced: a PSBT (binary,
base64 or hex), a finalised PSBT, or the finished transaction (model/signed_forms.py reads the signatures back
out of a finalised witness). It is checked against the
stored unsigned one and the wallet's keys (spend_psbt.check_upload: every ECDSA partial signature, or taproot
script-path Schnorr signature, verified; keys outside the quorum refused); each signer counts once, by their
key's fingerprint, whoever uploaded the file.
An upload is stored only when it adds a new valid signer, and the target turns ready at its threshold;
a refusal says why and changes nothing. Finalising (broadcast, publish) is each service's own step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from embit.psbt import PSBT
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from biplomacy.core.errors import InputError, NotFound, PermissionDenied
from biplomacy.core.permissions import Actor, authorize
from biplomacy.house import audit, users
from biplomacy.reserve.model import signed_forms as forms
from biplomacy.reserve.model import spend_psbt as sp
from biplomacy.reserve.model.psbt_fields import without_undefined_fields
from biplomacy.reserve.model.states import SpendState, StatementState
from biplomacy.reserve.results import SignatureReceipt, SigningProgress
from biplomacy.reserve.tables import WalletRow
from biplomacy.reserve.wallets import descriptor_of
from biplomacy.store.db import Store


@dataclass(frozen=True)
class Ceremony:
    """One kind of PSBT that M signers sign, with its tables, the words its refusals use and the signer calls.

    `target`: the table of what is signed (id, wallet_id, psbt: the unsigned PSBT in base64, threshold, state:
    one of `states`); `signatures`: its signature table (`parent` column naming the target, fingerprint, psbt,
    submitted_by, created_at; unique per target and fingerprint). `describe(session, row)`: what the service
    reports about its target, a SigningProgress with the service's own fields (`progress` gives the shared ones).
    """

    noun: str  # "proposal", "statement"
    title: str  # "spend proposal", "reserve statement": in "no such" errors
    target: Any
    signatures: Any
    states: type[SpendState] | type[StatementState]
    parent: str
    coordinator: str  # the permission of who may upload the files signers sent
    action: str  # the audit action of an accepted signature
    closed: Callable[[Any], str | None]  # why the target takes no more signatures, or None
    inputs: Callable[[Any], list[sp.SpendInput]]  # the coin each input of the unsigned PSBT spends
    describe: Callable[[Session, Any], SigningProgress]
    other_transaction: str | None = None  # why an upload of another transaction is refused (None: check_upload says)
    path: Callable[[Any], str] = lambda row: "primary"  # the spending path whose keys sign the target

    def may_upload(self, actor: Actor) -> None:
        """A signer uploads their own PSBT, or the coordinator uploads the files signers sent.

        Either way the signatures inside are what count: each is verified against the wallet's keys and the
        signer is named by their key's fingerprint, not by who uploaded the file.
        """
        try:
            authorize(actor, "reserve.spend.sign")
        except PermissionDenied:
            authorize(actor, self.coordinator)

    def load(self, session: Session, target_id: str) -> Any:
        row = session.get(self.target, target_id.strip())
        if row is None:
            raise NotFound(f"no {self.title} {target_id[:40]!r}", field="id")
        return row

    def valid_signers(self, session: Session, row: Any) -> list[str]:
        """Fingerprints of the distinct signers whose valid signatures are stored, in the order they came."""
        table = self.signatures
        return list(session.scalars(select(table.fingerprint).where(getattr(table, self.parent) == row.id)
                                    .order_by(table.id)))

    def progress(self, session: Session, row: Any) -> dict[str, Any]:
        """The fields every SigningProgress has: the wallet, threshold, valid signers so far, whether M is
        reached, and the state (keyword arguments for the service's record)."""
        signers = self.valid_signers(session, row)
        wallet = session.get(WalletRow, row.wallet_id)
        assert wallet is not None
        return {"id": row.id, "wallet": wallet.name, "threshold": row.threshold, "valid_signers": tuple(signers),
                "ready": len(signers) >= row.threshold, "state": row.state}

    def signed_psbts(self, session: Session, row: Any) -> list[PSBT]:
        """The signed PSBTs stored for `row`, for the service to finalise; InputError unless M are in."""
        count = len(self.valid_signers(session, row))
        if count < row.threshold:
            raise InputError(f"{self.noun} {row.id} is not ready: {count} of {row.threshold} valid signatures",
                             field="id")
        table = self.signatures
        return [PSBT.from_base64(s.psbt)
                for s in session.scalars(select(table).where(getattr(table, self.parent) == row.id))]

    def unsigned_psbt(self, store: Store, actor: Actor, target_id: str) -> str:
        """The unsigned PSBT (base64), for a signer to take to their device."""
        self.may_upload(actor)
        with store.read() as session:
            return str(self.load(session, target_id).psbt)

    def status(self, store: Store, actor: Actor, target_id: str) -> SigningProgress:
        """Signatures so far, threshold and state (anyone who may read the reserve)."""
        authorize(actor, "reserve.read")
        with store.read() as session:
            return self.describe(session, self.load(session, target_id))

    def submit(self, store: Store, actor: Actor, target_id: str, data: bytes) -> SignatureReceipt:
        """Check a signer's PSBT; store it only when it adds a new valid signer. A refusal changes nothing."""
        self.may_upload(actor)
        given = forms.read_upload(data)  # a PSBT in any encoding, finalised or not, or a finished transaction
        with store.read() as session:
            row = self.load(session, target_id)
            wallet = descriptor_of(session.get(WalletRow, row.wallet_id))  # type: ignore[arg-type]
            unsigned = PSBT.from_base64(row.psbt)
            inputs = self.inputs(row)
            closed = self.closed(row)
            info = self.describe(session, row)
            path = self.path(row)

        def refused(reason: str, now: SigningProgress | None = None) -> SignatureReceipt:
            return SignatureReceipt(False, reason, None, now or info)

        if closed:
            return refused(closed)
        if self.other_transaction and forms.txid_of(given) != unsigned.tx.txid():
            return refused(self.other_transaction)
        upload = forms.signatures_of(wallet, unsigned, inputs, given, path)
        if isinstance(upload, str):
            return refused(upload)
        check = sp.check_upload(wallet, unsigned, inputs, upload, path)
        if not check.accepted:
            return refused(check.reason)
        new = [fp for fp in check.fingerprints if fp not in info.valid_signers]
        if actor.role == "signer" and (bound := users.key_fingerprints(store, actor.name)):
            foreign = [fp for fp in check.fingerprints if fp not in bound]
            if foreign:  # a signer signs with their own devices' keys, never another institution's
                return refused(f"{actor.name} is tied to key(s) {', '.join(bound)}; this file carries signatures "
                               f"of {', '.join(foreign)}: the coordinator uploads files other signers sent")
        if not new:
            return refused(f"duplicate signer: {', '.join(check.fingerprints)} already signed this {self.noun}")
        try:
            return self._record(store, actor, target_id, new, upload)
        except IntegrityError:  # the same signer's other upload won the race: nothing of this one is stored
            with store.read() as session:
                fresh = self.describe(session, self.load(session, target_id))
            return refused(f"duplicate signer: {', '.join(new)} already signed this {self.noun}", fresh)

    def _record(self, store: Store, actor: Actor, target_id: str, new: list[str], upload: PSBT) -> SignatureReceipt:
        upload, dropped = without_undefined_fields(upload)  # a private key hidden in a proprietary field is not kept
        with store.transaction() as session:
            row = self.load(session, target_id)
            for fp in new:
                session.add(self.signatures(**{self.parent: row.id}, fingerprint=fp, psbt=upload.to_base64(),
                                            submitted_by=actor.name, created_at=datetime.now(UTC)))
            session.flush()
            count = len(self.valid_signers(session, row))
            if count >= row.threshold:
                row.state = self.states.READY
            audit.record(session, actor=actor.name, action=self.action, subject=row.id,
                         payload={"signers": new, "count": count, "threshold": row.threshold, "state": row.state,
                                  **({"dropped_fields": dropped} if dropped else {})})
            return SignatureReceipt(True, None, tuple(new), self.describe(session, row))
