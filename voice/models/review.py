"""The advocate's review of the child's shared items, the summaries it produces, safeguarding
concerns, sending back, and the child's withdrawals of sharing.

Every field holding a child's words or a person's free text about the child is sealed under the
case key (the record id and the field name are the associated data). Everything here goes with
the case when it is erased.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, new_id, now
from .core import Case, User

__all__ = ["ItemReview", "CaseReview", "SendBack", "SafeguardingConcern", "Summary",
           "Withdrawal", "PROVENANCES", "CHECKED_PROVENANCES", "WITHDRAWAL_HOW"]

# Who put the child's words into English: an interpreter, the advocate, or a draft nobody has
# checked yet (a draft blocks approval when the child used another language).
PROVENANCES = ("interpreter", "advocate", "draft")
CHECKED_PROVENANCES = ("interpreter", "advocate")
# How the child told their ICTG that they want to withdraw what they shared.
WITHDRAWAL_HOW = ("in_person", "interpreter", "phone", "writing")


class ItemReview(Base):
    """The advocate's work on one shared item (one answer version): translation and account."""

    __tablename__ = "review_item"
    __erase_with_case__ = True
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("child_case.id"), index=True)
    answer_id: Mapped[str] = mapped_column(ForeignKey("capture_answer.id", ondelete="CASCADE"),
                                           index=True)
    version_id: Mapped[str] = mapped_column(
        ForeignKey("capture_answer_version.id", ondelete="CASCADE"), unique=True)
    # Sealed: "translation" (the child's words in English), "account" (the advocate's written
    # account of a recording shared as words only).
    translation: Mapped[bytes | None] = mapped_column(LargeBinary)
    provenance: Mapped[str | None] = mapped_column(String(20))
    account: Mapped[bytes | None] = mapped_column(LargeBinary)
    updated_by_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(default=now)


class CaseReview(Base):
    """The advocate's overview of a case, in their own words (sealed: "overview")."""

    __tablename__ = "review_case"
    __erase_with_case__ = True
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("child_case.id"), unique=True)
    overview: Mapped[bytes | None] = mapped_column(LargeBinary)
    updated_by_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(default=now)


class SendBack(Base):
    """The advocate sent the review back to the ICTG for another session (sealed: "reason")."""

    __tablename__ = "review_send_back"
    __erase_with_case__ = True
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("child_case.id"), index=True)
    reason: Mapped[bytes] = mapped_column(LargeBinary)
    sent_by_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    sent_at: Mapped[datetime] = mapped_column(default=now)

    sent_by: Mapped[User | None] = relationship()


class SafeguardingConcern(Base):
    """A concern the advocate flagged (sealed: "concern"). Never part of a summary."""

    __tablename__ = "safeguarding_concern"
    __erase_with_case__ = True
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("child_case.id"), index=True)
    concern: Mapped[bytes] = mapped_column(LargeBinary)
    raised_by_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    raised_at: Mapped[datetime] = mapped_column(default=now)

    raised_by: Mapped[User | None] = relationship()


class Summary(Base):
    """One approved version of the summary of the child's views, as submitted to a panel.

    Never changed: a change is a new version. `body` is the child-views-summary JSON sealed
    under the case key (record id: this id, field "body"); the rest is plain metadata.
    """

    __tablename__ = "summary"
    __erase_with_case__ = True
    # The agenda: each case's newest version submitted to a panel.
    __table_args__ = (UniqueConstraint("case_id", "number"),
                      # Its sort too, from the index alone (the sealed body makes rows long).
                      Index("ix_summary_agenda", "panel_id", "case_id", "number", "approved_at",
                            "id"))
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("child_case.id"), index=True)
    panel_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    number: Mapped[int]
    schema_version: Mapped[int] = mapped_column(default=1)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    # What changed since the previous version: [{"change": code, "count": n}], no content.
    changes: Mapped[list] = mapped_column(JSON, default=list)
    item_count: Mapped[int] = mapped_column(default=0)
    approved_by_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime] = mapped_column(default=now)

    case: Mapped[Case] = relationship()
    approved_by: Mapped[User | None] = relationship()


class Withdrawal(Base):
    """The child, through their ICTG, withdrew sharing of some items or of everything.

    The items' new `private` sharing records are written with it; this row says who recorded
    it, when, how the child said so, and (sealed: "note") anything more the ICTG wrote.
    """

    __tablename__ = "sharing_withdrawal"
    __erase_with_case__ = True
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("child_case.id"), index=True)
    everything: Mapped[bool] = mapped_column(default=False)
    answer_ids: Mapped[list] = mapped_column(JSON, default=list)
    how: Mapped[str] = mapped_column(String(20))
    note: Mapped[bytes | None] = mapped_column(LargeBinary)
    recorded_by_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=now)

    recorded_by: Mapped[User | None] = relationship()
