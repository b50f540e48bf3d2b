"""Read-aloud recordings of a questionnaire's words, and the panel's message in the child's
language.

A recording holds an interpreter's voice saying a prompt, hint or option label: public service
content, the same for every child, so it is kept in the database as it is (not sealed) and served
to anyone under a URL named after its content. The panel's message is the child's: sealed under
the case key like every other word about them.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, new_id, now
from .core import User

__all__ = ["PromptRecording", "MessageTranslation"]


class PromptRecording(Base):
    """One recorded part (a step's prompt, hint or an option's label) of a questionnaire in one
    language; recording it again replaces it (and its check)."""

    __tablename__ = "prompt_recording"
    __table_args__ = (UniqueConstraint("questionnaire_id", "language", "part"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    questionnaire_id: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(10))
    # "<step id>:prompt", "<step id>:hint" or "<step id>:option:<option id>".
    part: Mapped[str] = mapped_column(String(200))
    # The English words it says: a recording of words that changed since counts as missing.
    source_text: Mapped[str] = mapped_column(String(2000))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    digest: Mapped[str] = mapped_column(String(64), index=True)
    media_type: Mapped[str] = mapped_column(String(40))
    seconds: Mapped[float]
    recorded_by_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=now)
    checked_by_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    checked_at: Mapped[datetime | None]

    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    checked_by: Mapped[User | None] = relationship(foreign_keys=[checked_by_id])


class MessageTranslation(Base):
    """The panel's message for the child in the child's language (sealed: "message"), with who
    translated it and how (provenance, as for the child's own words), and a recording of it read
    aloud, if someone made one (a file encrypted under the case key, like the child's media)."""

    __tablename__ = "outcome_message_translation"
    __erase_with_case__ = True
    __table_args__ = (UniqueConstraint("outcome_id", "language"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("child_case.id"), index=True)
    outcome_id: Mapped[str] = mapped_column(ForeignKey("panel_outcome.id", ondelete="CASCADE"),
                                            index=True)
    language: Mapped[str] = mapped_column(String(10))
    message: Mapped[bytes] = mapped_column(LargeBinary)
    provenance: Mapped[str] = mapped_column(String(20))
    media_file_id: Mapped[str | None] = mapped_column(String(32))
    media_type: Mapped[str | None] = mapped_column(String(40))
    media_bytes: Mapped[int | None]
    translated_by_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    translated_at: Mapped[datetime] = mapped_column(default=now)

    translated_by: Mapped[User | None] = relationship()
