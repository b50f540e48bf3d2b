"""What an offline device sends: the session's sealing key, the items accepted, resumable uploads.

A device seals every item it queues to its session's public key (ECDH P-256); the private key
is kept here sealed under the case key, so erasing the case erases it too. Each item has an id
made on the device and is accepted once (`ReceivedItem.id` is the device's id). An upload holds
sealed bytes only (the device sealed them before sending); they are opened once complete.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, now

__all__ = ["SessionKey", "ReceivedItem", "Upload"]


class SessionKey(Base):
    """A capture session's key pair: the public key in clear, the private key sealed (field
    "private_key" under the session's id) by the case key."""

    __tablename__ = "session_key"
    __erase_with_case__ = True
    session_id: Mapped[str] = mapped_column(
        ForeignKey("capture_session.id", ondelete="CASCADE"), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("child_case.id"), index=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    private_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=now)


class ReceivedItem(Base):
    """One item a device sent, accepted exactly once: its id is the device's (a UUID)."""

    __tablename__ = "received_item"
    __erase_with_case__ = True
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("child_case.id"), index=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("capture_session.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    # "stored", or "refused" with the reason's code (the device was told why).
    outcome: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(default=now)


class Upload(Base):
    """A tus upload of a sealed recording or picture: its size, how much arrived, the check."""

    __tablename__ = "offline_upload"
    __erase_with_case__ = True
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("child_case.id"), index=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("capture_session.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(String(36), unique=True)
    form: Mapped[str] = mapped_column(String(20))
    length: Mapped[int]
    offset: Mapped[int] = mapped_column(default=0)
    # None while incomplete; then "ok" or the code of the refusal (see offline/service.py).
    checked: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=now)
