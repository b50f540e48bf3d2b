"""The panel's side: its own reference for a case, read receipts, the outcome and message for
the child (and the ICTG's record that it was told to the child), and who chairs the panel."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, new_id, now
from .core import User

__all__ = ["PanelReference", "ReadReceipt", "Outcome", "PanelChair", "FEEDBACK_HOW"]

# How the ICTG told the child what the panel decided.
# "on_device": on the child-mode page "What the panel decided", in the child's language.
FEEDBACK_HOW = ("in_person", "interpreter", "phone", "letter", "on_device")


class PanelReference(Base):
    """The panel's own reference for a case, entered by the panel (sealed: "reference")."""

    __tablename__ = "panel_reference"
    __erase_with_case__ = True
    __table_args__ = (UniqueConstraint("case_id", "panel_id"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("child_case.id"), index=True)
    panel_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"))
    reference: Mapped[bytes] = mapped_column(LargeBinary)
    set_by_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    set_at: Mapped[datetime] = mapped_column(default=now)


class ReadReceipt(Base):
    """A panel member opened a version of the summary: the first time is kept."""

    __tablename__ = "summary_read"
    __erase_with_case__ = True
    __table_args__ = (UniqueConstraint("summary_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("child_case.id"), index=True)
    summary_id: Mapped[str] = mapped_column(ForeignKey("summary.id", ondelete="CASCADE"),
                                            index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    read_at: Mapped[datetime] = mapped_column(default=now)

    user: Mapped[User] = relationship()


class Outcome(Base):
    """What the panel decided, how the child's views were considered and its message to the
    child (sealed: "decision", "considered", "message"); then the ICTG's record that the child
    was told, and how (sealed: "feedback_note")."""

    __tablename__ = "panel_outcome"
    __erase_with_case__ = True
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("child_case.id"), index=True)
    panel_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    summary_id: Mapped[str] = mapped_column(ForeignKey("summary.id", ondelete="CASCADE"),
                                            index=True)
    decision: Mapped[bytes] = mapped_column(LargeBinary)
    considered: Mapped[bytes] = mapped_column(LargeBinary)
    message: Mapped[bytes] = mapped_column(LargeBinary)
    recorded_by_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=now)
    feedback_at: Mapped[datetime | None]
    feedback_by_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    feedback_how: Mapped[str | None] = mapped_column(String(20))
    feedback_note: Mapped[bytes | None] = mapped_column(LargeBinary)

    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    feedback_by: Mapped[User | None] = relationship(foreign_keys=[feedback_by_id])


class PanelChair(Base):
    """A panel member who chairs their panel (set by the panel's org admin)."""

    __tablename__ = "panel_chair"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         unique=True)
    set_by_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    set_at: Mapped[datetime] = mapped_column(default=now)
