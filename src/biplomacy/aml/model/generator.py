"""Synthetic VASP transaction sets of any size: background retail traffic with planted, labelled typologies.

Pure and seeded (numpy's default_rng): the same (transactions, vasps, seed) gives the same set. Background
traffic is random retail transfers among accounts spread over the VASPs, log-normal amounts (median USD 150)
over a 180-day period; each planted instance uses fresh accounts for its suspicious party and background
accounts as counterparties, and every transaction of an instance is labelled (tx_id -> typology, instance).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TYPOLOGIES = ("structuring", "fan_in", "fan_out", "pass_through", "cycle", "cross_vasp_cycle", "peel_chain",
              "dormant_wake")
PERIOD_DAYS = 180.0
START = np.datetime64("2025-01-01T00:00:00", "s")
HOUR = 3600.0
DAY = 86400.0


@dataclass(frozen=True)
class Generated:
    columns: dict[str, list[str]]  # tx_id, timestamp, from_account, to_account, amount, asset, vasp
    labels: list[tuple[str, str, str]]  # (tx_id, typology, instance)


class _Builder:
    def __init__(self, rng: np.random.Generator, vasps: list[str], background: np.ndarray, acct_vasp: np.ndarray):
        self.rng, self.vasps, self.background, self.acct_vasp = rng, vasps, background, acct_vasp
        self.rows: list[tuple[float, str, str, float, str, str, str]] = []  # ts, src, dst, amount, vasp, typ, inst

    def bg(self, k: int = 1) -> list[str]:
        idx = self.rng.choice(len(self.background), size=k, replace=False)
        return [str(self.background[i]) for i in idx]

    def vasp_of(self, acct: str) -> str:
        if acct.startswith("U"):
            return str(self.acct_vasp[int(acct[1:])])
        return self.vasps[sum(map(ord, acct)) % len(self.vasps)]  # deterministic, unlike hash()

    def tx(self, t: float, src: str, dst: str, amount: float, typ: str, inst: str, vasp: str | None = None) -> None:
        self.rows.append((t, src, dst, round(amount, 2), vasp or self.vasp_of(src), typ, inst))

    def start(self, room_days: float = 3.0) -> float:
        return float(self.rng.uniform(0, (PERIOD_DAYS - room_days) * DAY))

    def plant(self, typ: str, k: int) -> None:
        r, inst = self.rng, f"{typ}-{k}"
        t = self.start()
        if typ == "structuring":
            s = f"S{k}"
            for h, d in zip(np.sort(r.uniform(0, 20, r.integers(3, 6))), self.bg(5), strict=False):
                self.tx(t + h * HOUR, s, d, r.uniform(900, 999.99), typ, inst)
        elif typ in ("fan_in", "fan_out"):
            hub = f"{'FI' if typ == 'fan_in' else 'FO'}{k}"
            n = int(r.integers(9, 15))
            for h, other in zip(np.sort(r.uniform(0, 20, n)), self.bg(n), strict=True):
                src, dst = (other, hub) if typ == "fan_in" else (hub, other)
                self.tx(t + h * HOUR, src, dst, r.uniform(100, 800), typ, inst)
        elif typ == "pass_through":
            a, b = self.bg(2)
            amt = r.uniform(2000, 20000)
            self.tx(t, a, f"PT{k}", amt, typ, inst)
            self.tx(t + r.uniform(1, 20) * HOUR, f"PT{k}", b, amt * r.uniform(0.92, 0.99), typ, inst)
        elif typ in ("cycle", "cross_vasp_cycle"):
            n = int(r.integers(3, 5))
            accts = [f"{'CY' if typ == 'cycle' else 'CX'}{k}-{j}" for j in range(n)]
            first = int(r.integers(len(self.vasps)))
            amt = r.uniform(5000, 50000)
            for j in range(n):
                v = self.vasps[first] if typ == "cycle" else self.vasps[(first + j) % len(self.vasps)]
                t += r.uniform(2, 12) * HOUR
                self.tx(t, accts[j], accts[(j + 1) % n], amt, typ, inst, v)
                amt *= r.uniform(0.985, 0.999)
        elif typ == "peel_chain":
            n = int(r.integers(4, 8))
            accts = [f"PC{k}-{j}" for j in range(n + 1)]
            amt = r.uniform(20000, 100000)
            for j in range(n):
                t += r.uniform(1, 6) * HOUR
                self.tx(t, accts[j], accts[j + 1], amt, typ, inst)
                if j + 1 < n:  # the receiver peels a small part off to a background account
                    keep = r.uniform(0.80, 0.95)
                    self.tx(t + r.uniform(1.5, 3) * HOUR, accts[j + 1], self.bg()[0], amt * (1 - keep), typ, inst)
                    amt *= keep
        elif typ == "dormant_wake":
            gap = r.uniform(95, 150) * DAY
            t0 = float(r.uniform(0, PERIOD_DAYS * DAY - gap - DAY))
            amt = r.uniform(20000, 80000)
            a, b = self.bg(2)
            self.tx(t0, a, f"DW{k}", amt, typ, inst)
            self.tx(t0 + gap, f"DW{k}", b, r.uniform(10000, amt), typ, inst)
        else:
            raise ValueError(f"unknown typology {typ!r}")


def generate(transactions: int, vasps: int = 3, seed: int = 1, per_typology: int | None = None) -> Generated:
    """Generate about `transactions` transfers (at least the planted ones) across `vasps` VASPs."""
    if transactions < 1 or vasps < 2:
        raise ValueError("need at least 1 transaction and 2 VASPs (cross-VASP cycles span several)")
    rng = np.random.default_rng(seed)
    names = [f"VASP-{chr(65 + i)}" if i < 26 else f"VASP-{i + 1}" for i in range(vasps)]
    n_acct = max(100, transactions // 4)
    acct_vasp = np.asarray(names)[rng.integers(0, vasps, n_acct)]
    background = np.asarray([f"U{i}" for i in range(n_acct)])
    b = _Builder(rng, names, background, acct_vasp)
    k_each = per_typology if per_typology is not None else max(1, transactions // 2500)
    for typ in TYPOLOGIES:
        for k in range(k_each):
            b.plant(typ, k)
    n_bg = max(0, transactions - len(b.rows))
    src = rng.integers(0, n_acct, n_bg)
    dst = (src + rng.integers(1, n_acct, n_bg)) % n_acct
    ts = rng.uniform(0, PERIOD_DAYS * DAY, n_bg)
    amount = np.round(np.exp(rng.normal(np.log(150.0), 1.2, n_bg)), 2)
    planted = np.asarray([r[0] for r in b.rows]) if b.rows else np.empty(0)
    all_ts = np.concatenate([ts, planted])
    order = np.argsort(all_ts, kind="stable")
    n = len(all_ts)
    src_s = np.concatenate([background[src], np.asarray([r[1] for r in b.rows], dtype=str)]).astype(object)
    dst_s = np.concatenate([background[dst], np.asarray([r[2] for r in b.rows], dtype=str)]).astype(object)
    amt_s = np.concatenate([amount, np.asarray([r[3] for r in b.rows])])
    vasp_s = np.concatenate([acct_vasp[src], np.asarray([r[4] for r in b.rows], dtype=str)]).astype(object)
    ids = np.asarray([f"tx{i:08d}" for i in range(n)])
    stamps = np.datetime_as_string(START + np.floor(all_ts[order]).astype("timedelta64[s]"), unit="s")
    columns = {
        "tx_id": ids.tolist(),
        "timestamp": [s + "+00:00" for s in stamps.tolist()],
        "from_account": src_s[order].tolist(),
        "to_account": dst_s[order].tolist(),
        "amount": [f"{a:.2f}" for a in amt_s[order]],
        "asset": ["USDT"] * n,
        "vasp": vasp_s[order].tolist(),
    }
    position = np.empty(n, dtype=int)
    position[order] = np.arange(n)
    labels = [(str(ids[position[n_bg + j]]), r[5], r[6]) for j, r in enumerate(b.rows)]
    labels.sort()
    return Generated(columns, labels)
