"""The generator at national size: one part at a time, so that 100 M transfers never sit in memory together.

Part p of a set holds `size` transfers among all `accounts` background accounts (the same population for every
part, so that a part's transfers meet other parts' accounts as a national flow does), spread over the same
180-day period as generator.generate, with every typology planted at generate's rate (one instance per 2,500
transfers and typology). Planted accounts and transfer ids carry the part number, so parts never collide. Pure
and seeded: part p of (accounts, vasps, seed) is the same whichever machine makes it and in whatever order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from biplomacy.aml.model.generator import DAY, PERIOD_DAYS, START, TYPOLOGIES, _Builder

PLANT_EVERY = 2500  # transfers per planted instance of each typology (generator.generate's rate)


@dataclass(frozen=True)
class Part:
    columns: dict[str, np.ndarray]  # tx_id, timestamp, from_account, to_account, amount, asset, vasp (text)
    labels: list[tuple[str, str, str]]  # (tx_id, typology, instance)


class _Homes:
    """Each background account's VASP name, looked up from a small code array."""

    def __init__(self, names: list[str], home: np.ndarray):
        self.names, self.home = names, home

    def __getitem__(self, i: int) -> str:
        return self.names[int(self.home[i])]


class _Accounts:
    """The background accounts U0..U{n-1} without a list of n names (25 M names would be a gigabyte)."""

    def __init__(self, n: int):
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> str:
        return f"U{int(i)}"


def vasp_names(vasps: int) -> list[str]:
    return [f"VASP-{chr(65 + i)}" if i < 26 else f"VASP-{i + 1}" for i in range(vasps)]


def part(index: int, size: int, accounts: int, vasps: int = 3, seed: int = 1) -> Part:
    """Part `index` (from 0) of a partitioned set: about `size` transfers (at least the planted ones)."""
    if size < 1 or accounts < 100 or vasps < 2:
        raise ValueError("need at least 1 transfer a part, 100 accounts and 2 VASPs")
    names = vasp_names(vasps)
    # each account's VASP: a pure function of the account number, the same in every part
    home = np.random.default_rng([seed, 0]).integers(0, vasps, accounts).astype(np.int8)
    rng = np.random.default_rng([seed, index + 1])
    b = _Builder(rng, names, _Accounts(accounts), _Homes(names, home))  # type: ignore[arg-type]
    for typ in TYPOLOGIES:
        for k in range(max(1, size // PLANT_EVERY)):
            b.plant(typ, k)
    tag = f"p{index}."
    planted_src = [r[1] if r[1].startswith("U") else tag + r[1] for r in b.rows]
    planted_dst = [r[2] if r[2].startswith("U") else tag + r[2] for r in b.rows]
    n_bg = max(0, size - len(b.rows))
    src = rng.integers(0, accounts, n_bg)
    dst = (src + rng.integers(1, accounts, n_bg)) % accounts
    ts = np.concatenate([rng.uniform(0, PERIOD_DAYS * DAY, n_bg), np.asarray([r[0] for r in b.rows])])
    amount = np.concatenate([np.round(np.exp(rng.normal(np.log(150.0), 1.2, n_bg)), 2),
                             np.asarray([r[3] for r in b.rows])])
    order = np.argsort(ts, kind="stable")
    n = len(ts)
    u = np.char.add("U", np.concatenate([src, dst]).astype(str))
    src_s = np.concatenate([u[:n_bg], np.asarray(planted_src, dtype=str)])
    dst_s = np.concatenate([u[n_bg:], np.asarray(planted_dst, dtype=str)])
    vasp_s = np.concatenate([np.asarray(names)[home[src]], np.asarray([r[4] for r in b.rows], dtype=str)])
    ids = np.char.add(f"tx{index:05d}-", np.char.zfill(np.arange(n).astype(str), 8))
    stamps = np.char.add(np.datetime_as_string(START + np.floor(ts[order]).astype("timedelta64[s]"), unit="s"),
                         "+00:00")
    columns = {"tx_id": ids, "timestamp": stamps, "from_account": src_s[order], "to_account": dst_s[order],
               "amount": np.char.mod("%.2f", amount[order]), "asset": np.full(n, "USDT"), "vasp": vasp_s[order]}
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    labels = sorted((str(ids[position[n_bg + j]]), r[5], f"{tag}{r[6]}") for j, r in enumerate(b.rows))
    return Part(columns, labels)
