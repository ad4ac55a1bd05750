"""Use case: read a labels file of confirmed laundering, whatever its layout, as account labels.

Layouts: our labels table (tx_id, typology[, instance]: the accounts of each labelled transfer); AMLSim's
nodes.csv (nodeid or ACCOUNT_ID, isFraud) and accounts.csv (acct_id / ACCOUNT_ID, IS_SAR or isFraud) as they
are; AMLSim's alerts files (alert_type, orig_acct, bene_acct[, is_sar]; or the older ACCOUNT_ID, CHECK_NAME);
and a transactions file that marks its own laundering transfers (AMLworld's Is Laundering, AMLSim's is_sar).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from biplomacy.aml.model.labels import AccountLabels
from biplomacy.aml.model.transactions import Transactions, from_columns
from biplomacy.aml.scan import read_columns
from biplomacy.core.errors import InputError

ACCOUNT_KEYS = ("nodeid", "account_id", "acct_id", "accountid")
FLAG_KEYS = ("isfraud", "is_sar", "sar_flag", "is_laundering")
TRUE = {"1", "true", "yes", "y", "t"}


def _find(cols: dict[str, list[str]], keys: tuple[str, ...]) -> str | None:
    lower = {c.lower().replace(" ", "_"): c for c in cols}
    return next((lower[k] for k in keys if k in lower), None)


def _truthy(values: list[str], source: str, column: str) -> list[bool]:
    out = []
    for n, v in enumerate(values, 2):
        t = v.strip().lower()
        if t not in TRUE and t not in {"0", "false", "no", "n", "f", ""}:
            raise InputError(f"{source}: row {n}, {column}: {v!r} is not a 0/1 or true/false flag", field="labels")
        out.append(t in TRUE)
    return out


def read_labels(path: Path, tx: Transactions) -> AccountLabels:
    """The account labels of `path` (`tx`: the transactions they label, to map a labels table's tx ids)."""
    cols = read_columns(path, "labels")
    src = str(path)
    if not cols or not next(iter(cols.values()), None):
        raise InputError(f"{src}: no rows", field="labels")
    if "tx_id" in cols and "typology" in cols:
        return _labels_table(cols, tx, src)
    acct, flag = _find(cols, ACCOUNT_KEYS), _find(cols, FLAG_KEYS)
    if acct is not None and flag is not None:
        marks = _truthy(cols[flag], src, flag)
        ids = [a.strip() for a in cols[acct]]
        return AccountLabels(frozenset(a for a, m in zip(ids, marks, strict=True) if m),
                             frozenset(a for a, m in zip(ids, marks, strict=True) if not m), {}, src,
                             "amlsim-accounts")
    if {"orig_acct", "bene_acct", "alert_type"} <= set(cols):
        keep = _truthy(cols["is_sar"], src, "is_sar") if "is_sar" in cols else [True] * len(cols["orig_acct"])
        typ = {}
        for o, b, t, k in zip(cols["orig_acct"], cols["bene_acct"], cols["alert_type"], keep, strict=True):
            if k:
                typ[o.strip()] = typ[b.strip()] = t.strip()
        return AccountLabels(frozenset(typ), None, typ, src, "amlsim-alerts")
    if "ACCOUNT_ID" in cols and "CHECK_NAME" in cols:
        typ = {a.strip(): t.strip() for a, t in zip(cols["ACCOUNT_ID"], cols["CHECK_NAME"], strict=True)}
        return AccountLabels(frozenset(typ), None, typ, src, "amlsim-alerts")
    try:
        own = from_columns(cols, src)
    except InputError:
        own = None
    if own is not None and (own.label >= 0).any():
        hit = own.label > 0
        pos = frozenset(own.src[hit].tolist()) | frozenset(own.dst[hit].tolist())
        return AccountLabels(pos, None, {}, src, "transactions")
    raise InputError(f"{src}: not a labels file: expected tx_id, typology (our labels table); an account id "
                     "(nodeid, ACCOUNT_ID, acct_id) with isFraud or IS_SAR (AMLSim's nodes.csv, accounts.csv); "
                     "alert_type, orig_acct, bene_acct (AMLSim's alerts); or a transactions file with Is Laundering "
                     "or is_sar", field="labels")


def _labels_table(cols: dict[str, list[str]], tx: Transactions, src: str) -> AccountLabels:
    where = {t: i for i, t in enumerate(tx.tx_id.tolist())}
    unknown = [t for t in cols["tx_id"] if t not in where]
    if unknown:
        raise InputError(f"{src}: {len(unknown):,} labelled tx_id not in the transactions (first: {unknown[0]!r})",
                         field="labels")
    typ: dict[str, str] = {}
    for t, ty in zip(cols["tx_id"], cols["typology"], strict=True):
        i = where[t]
        for a in (str(tx.src[i]), str(tx.dst[i])):
            typ.setdefault(a, ty)
    return AccountLabels(frozenset(typ), None, typ, src, "labels-table")


def own_positive(tx: Transactions) -> frozenset[str] | None:
    """The accounts of the transfers the transactions file marks as laundering itself (None: it marks none)."""
    hit = tx.label > 0
    if not hit.any():
        return None
    return frozenset(np.concatenate([tx.src[hit], tx.dst[hit]]).tolist())
