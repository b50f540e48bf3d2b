"""Safety alerts: a child chose an answer that says they may not be safe."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, new_id, now
from .capture import AnswerVersion
from .core import Case, User

__all__ = ["SafetyAlert"]


class SafetyAlert(Base):
    """Raised when a child's answer is a safety signal, whether or not they share it. It holds no
    words of the child: only which answer version raised it. What the person who acknowledged it
    did is sealed under the case key ("action")."""

    __tablename__ = "safety_alert"
    __erase_with_case__ = True
    # The alerts waiting for someone, oldest first (escalation and /metrics).
    __table_args__ = (Index("ix_safety_alert_waiting", "acknowledged_at", "raised_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("child_case.id"), index=True)
    answer_id: Mapped[str] = mapped_column(ForeignKey("capture_answer.id", ondelete="CASCADE"),
                                           index=True)
    version_id: Mapped[str] = mapped_column(
        ForeignKey("capture_answer_version.id", ondelete="CASCADE"))
    raised_at: Mapped[datetime] = mapped_column(default=now)
    escalated_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[bytes | None] = mapped_column(LargeBinary)

    case: Mapped[Case] = relationship()
    version: Mapped[AnswerVersion] = relationship()
    acknowledged_by: Mapped[User | None] = relationship()
