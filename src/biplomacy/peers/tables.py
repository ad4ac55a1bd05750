"""Peers tables: the bundles this program published, the parts it adopted from peers' bundles, what-if runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from biplomacy.store.db import Base


class PublishedBundleRow(Base):
    """A bundle this installation exported (signed with its key): offered for download on the portal, with the
    public key that verifies it. The whole file is kept byte for byte (its SHA-256 is the bundle's hash)."""

    __tablename__ = "peers_published_bundles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    program: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(8))
    public_key: Mapped[str] = mapped_column(String(120))
    bundle_version: Mapped[str] = mapped_column(String(60))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    parts: Mapped[str] = mapped_column(Text)  # JSON list of part names
    content: Mapped[str] = mapped_column(Text)  # the bundle file as written
    created_by: Mapped[str] = mapped_column(String(120))


class AdoptionRow(Base):
    """One part of a peer's verified bundle that this program chose to adopt (one row per bundle and part)."""

    __tablename__ = "peers_adoptions"
    __table_args__ = (UniqueConstraint("bundle_sha256", "part", name="uq_peers_adoption_part"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bundle_sha256: Mapped[str] = mapped_column(String(64))
    part: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(80))
    part_sha256: Mapped[str] = mapped_column(String(64))
    program: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(8))
    public_key: Mapped[str] = mapped_column(String(120))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    content: Mapped[str] = mapped_column(Text)  # the part's content (canonical JSON)
    adopted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    adopted_by: Mapped[str] = mapped_column(String(120))


class WhatIfRow(Base):
    """A stored what-if: one program's choices run on another's figures, with its inputs, so it can be rerun."""

    __tablename__ = "peers_whatifs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(120))
    inputs_sha256: Mapped[str] = mapped_column(String(64))
    inputs_json: Mapped[str] = mapped_column(Text)
    result_json: Mapped[str] = mapped_column(Text)
