"""The body of a streaming scoring request (the same fields as a row of a transactions file), for both servers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from biplomacy.aml.model.stream_state import Tx
from biplomacy.aml.stream import make_tx


class ScoreRequest(BaseModel):
    """One transfer to score; unknown fields are refused, each problem is reported with its field."""

    model_config = ConfigDict(extra="forbid")

    tx_id: str = Field(min_length=1, max_length=100)
    timestamp: datetime = Field(description="ISO 8601 with a UTC offset")
    from_account: str = Field(min_length=1, max_length=200)
    to_account: str = Field(min_length=1, max_length=200)
    amount: Decimal = Field(ge=0, max_digits=30, decimal_places=8, description="at most 8 decimals")
    asset: str = Field(default="USD", min_length=1, max_length=20)
    vasp: str = Field(default="", max_length=100)


def to_tx(body: ScoreRequest) -> Tx:
    """The rules' transfer (amounts are model input to the rules, as in the batch table: float)."""
    return make_tx(body.tx_id, body.timestamp, body.from_account, body.to_account, float(body.amount), body.asset,
                   body.vasp)
