"""Tries counted for rate limits (sign-in, codes, invitations, a child session's PIN)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, now

__all__ = ["RateLimitHit"]


class RateLimitHit(Base):
    """One try. `key` is a keyed hash of what was tried and by whom (an account or an address),
    so the table names no email and no address."""

    __tablename__ = "rate_limit_hit"
    __table_args__ = (Index("ix_rate_limit_hit_key_at", "key", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=now, index=True)
