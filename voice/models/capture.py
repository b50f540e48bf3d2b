"""Child-mode sessions and the child's answers, versioned and encrypted under the case key."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, new_id, now
from .core import Case, User

__all__ = ["CaptureSession", "Answer", "AnswerVersion", "ANSWER_FORMS_STORED"]

# What a stored answer version holds: an option list, words, a media file, or nothing (the child
# emptied an earlier answer; the earlier versions stay for staff).
ANSWER_FORMS_STORED = ("feelings", "choice", "text", "voice", "drawing", "photo", "cleared")


class CaptureSession(Base):
    """One sitting: an ICTG hands the device to the child for one questionnaire."""

    __tablename__ = "capture_session"
    __erase_with_case__ = True
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("child_case.id"), index=True)
    questionnaire_id: Mapped[str] = mapped_column(String(64))
    questionnaire_version: Mapped[int]
    language: Mapped[str] = mapped_column(String(10))
    started_by_id: Mapped[str] = mapped_column(ForeignKey("user_account.id"))
    started_at: Mapped[datetime] = mapped_column(default=now)
    # Who was in the room, as the ICTG recorded it at the start (sealed: field "present").
    present: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Argon2 hash of the PIN that unlocks the device instead of the ICTG's password.
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    wrong_unlocks: Mapped[int] = mapped_column(default=0)
    finished_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship()
    started_by: Mapped[User] = relationship()


class Answer(Base):
    """The child's answer to one step of one session; its content lives in its versions."""

    __tablename__ = "capture_answer"
    __erase_with_case__ = True
    __table_args__ = (UniqueConstraint("session_id", "step_id"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("child_case.id"), index=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("capture_session.id", ondelete="CASCADE"),
                                            index=True)
    step_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=now)

    session: Mapped[CaptureSession] = relationship()
    versions: Mapped[list["AnswerVersion"]] = relationship(
        back_populates="answer", order_by="AnswerVersion.number", passive_deletes=True)

    @property
    def latest(self) -> "AnswerVersion | None":
        return self.versions[-1] if self.versions else None


class AnswerVersion(Base):
    """One version of an answer. Never changed: a changed answer is a new version."""

    __tablename__ = "capture_answer_version"
    __erase_with_case__ = True
    __table_args__ = (UniqueConstraint("answer_id", "number"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("child_case.id"), index=True)
    answer_id: Mapped[str] = mapped_column(ForeignKey("capture_answer.id", ondelete="CASCADE"),
                                           index=True)
    number: Mapped[int]
    form: Mapped[str] = mapped_column(String(20))
    # Sealed under the case key with this version's id: "value" (JSON option ids or the words)
    # and "present" (who was in the room).
    value: Mapped[bytes | None] = mapped_column(LargeBinary)
    present: Mapped[bytes | None] = mapped_column(LargeBinary)
    language: Mapped[str] = mapped_column(String(10))
    # An encrypted file in storage (voice, drawing, photo).
    media_file_id: Mapped[str | None] = mapped_column(String(32))
    media_type: Mapped[str | None] = mapped_column(String(40))
    media_bytes: Mapped[int | None]
    media_seconds: Mapped[float | None]
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=now)

    answer: Mapped[Answer] = relationship(back_populates="versions")
    case: Mapped[Case] = relationship()
