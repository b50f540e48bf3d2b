"""The child's consent to a session and their item-by-item sharing choices. Both append-only.

A change is a new row; the current state is the newest row (highest id). Rows are never
updated; they are deleted only when the whole case is erased.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, new_id, now
from .capture import Answer, CaptureSession
from .core import User

__all__ = ["ConsentRecord", "SharingRecord", "CONSENT_HOW", "CONSENT_UNDERSTOOD",
           "SHARE_PRIVATE", "SHARE_PANEL", "SHARE_WORDS", "SHARING_CHOICES"]

CONSENT_HOW = ("spoken", "tapped", "interpreter")
CONSENT_UNDERSTOOD = ("yes", "partly", "no")

# Keep between the child and their ICTG/advocate; share with the panel; for a recording, share
# what was said but not the voice (only the advocate's written account goes to the panel).
SHARE_PRIVATE, SHARE_PANEL, SHARE_WORDS = "private", "panel", "panel_words"
SHARING_CHOICES = (SHARE_PRIVATE, SHARE_PANEL, SHARE_WORDS)


class ConsentRecord(Base):
    """The child's answer to "may we record what you say?", and how the ICTG saw it given."""

    __tablename__ = "consent_record"
    __erase_with_case__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("child_case.id"), index=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("capture_session.id", ondelete="CASCADE"),
                                            index=True)
    agreed: Mapped[bool]
    given_how: Mapped[str | None] = mapped_column(String(20))
    interpreter_language: Mapped[str | None] = mapped_column(String(10))
    understood: Mapped[str | None] = mapped_column(String(10))
    # The child was told, before they started, that saying they are not safe is passed on to
    # their guardian (the limit of confidentiality).
    limits_explained: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Who was present, sealed under the case key with `seal_id` as the record id (the integer id
    # is not known before the insert, and the row is never updated after it).
    present: Mapped[bytes | None] = mapped_column(LargeBinary)
    seal_id: Mapped[str] = mapped_column(String(32), default=new_id)
    recorded_by_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=now)

    session: Mapped[CaptureSession] = relationship()
    recorded_by: Mapped[User | None] = relationship()


class SharingRecord(Base):
    """The child's choice for one answer: who beyond their ICTG and advocate may see it."""

    __tablename__ = "sharing_record"
    __erase_with_case__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("child_case.id"), index=True)
    answer_id: Mapped[str] = mapped_column(ForeignKey("capture_answer.id", ondelete="CASCADE"),
                                           index=True)
    # The child-mode session in which the child made this choice.
    session_id: Mapped[str] = mapped_column(ForeignKey("capture_session.id", ondelete="CASCADE"),
                                            index=True)
    choice: Mapped[str] = mapped_column(String(20))
    recorded_by_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=now)

    answer: Mapped[Answer] = relationship()
    recorded_by: Mapped[User | None] = relationship()
