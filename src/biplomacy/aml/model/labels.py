"""Confirmed laundering as account labels, and the checks that a labels file belongs to the transactions.

Every labels layout (our labels table, AMLSim's nodes.csv / accounts.csv / alerts files, a transactions file's
own is_sar or Is Laundering column) comes down to AccountLabels: the accounts confirmed as laundering, the
accounts the file says are not (None: every other account of the transactions, as for an alerts file), and
the typology of each positive where the file names one.
"""

from __future__ import annotations

from dataclasses import dataclass

from biplomacy.core.errors import InputError


@dataclass(frozen=True)
class AccountLabels:
    positive: frozenset[str]
    negative: frozenset[str] | None  # None: every account of the transactions that is not positive
    typology: dict[str, str]  # positive account -> typology, where the file names one
    source: str
    layout: str  # which layout was read: labels-table, amlsim-accounts, amlsim-alerts, transactions


@dataclass(frozen=True)
class Population:
    """The accounts scored and which of them are labelled laundering (the ones the figures count)."""

    accounts: tuple[str, ...]
    positive: frozenset[str]
    left_out: int  # labelled not-laundering accounts that never appear in the transactions


def population(labels: AccountLabels, accounts: set[str], own_positive: frozenset[str] | None,
               transactions: str, strict: bool = True) -> Population:
    """The accounts of the transactions with their labels; bad labels are an InputError naming what is wrong.

    strict=False (a time split: the earlier half need not hold every labelled account) only leaves out the
    labelled accounts that do not appear. `own_positive`: the accounts of transfers the transactions file
    itself marks as laundering (None when it marks none), to catch labels of another data set."""
    named = set(labels.positive) | set(labels.negative or ())
    if not labels.positive:
        raise InputError(f"{labels.source}: no account is labelled as laundering (no positive label); a calibration "
                         "needs confirmed cases", field="labels")
    unknown = named - accounts
    if strict and len(unknown) > len(named) / 2:
        raise InputError(f"{labels.source}: {len(unknown):,} of the {len(named):,} labelled accounts never appear in "
                         f"{transactions} (first: {sorted(unknown)[:3]}): labels of another data set?", field="labels")
    missing = sorted(labels.positive - accounts)
    if strict and missing:
        raise InputError(f"{labels.source}: {len(missing):,} accounts labelled as laundering never appear in "
                         f"{transactions} (first: {missing[:5]})", field="labels")
    positive = labels.positive & accounts
    if not positive:
        raise InputError(f"{labels.source}: none of the accounts labelled as laundering appears in {transactions}",
                         field="labels")
    if own_positive and not own_positive & positive:
        raise InputError(f"{labels.source}: none of the {len(own_positive):,} accounts of the transfers that "
                         f"{transactions} marks as laundering is labelled positive: labels of another data set?",
                         field="labels")
    scored = accounts if labels.negative is None else accounts & named
    return Population(tuple(sorted(scored)), frozenset(positive), len((labels.negative or set()) - accounts))
