"""Tables of the energy pillar: stored plans with their inputs, summary and sources."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from biplomacy.store.db import Base


class EnergyPlanRow(Base):
    __tablename__ = "energy_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    scenario: Mapped[str] = mapped_column(String(200), index=True)
    objective: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(120))
    inputs_sha256: Mapped[str] = mapped_column(String(64))
    inputs_toml: Mapped[str] = mapped_column(Text)
    summary_json: Mapped[str] = mapped_column(Text)
    out_dir: Mapped[str] = mapped_column(String(500))
    # what the risk model reads from the scenario (energy/model/plan_inputs.PlanEconomics as JSON), so that a
    # stored plan outlives changes to its scenario's files; NULL for plans stored before 0008_energy_plan_inputs
    inputs_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    # a plan is a draft until adopted (0010_energy_plan_adopted); adopting one withdraws the one adopted before
    adopted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    adopted_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
