"""The advocate's review of the child's shared items, the summaries it produces, safeguarding
concerns, sending back, and the child's withdrawals of sharing.

Every field holding a child's words or a person's free text about the child is sealed under the
case key (the record id and the field name are the associated data). Everything here goes with
the case when it is erased.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, ForeignKey, Index, LargeBinary, String, UniqueConstraint, event,
                        insert, inspect, select, update)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, new_id, now
from .core import Case, User

__all__ = ["ItemReview", "CaseReview", "SendBack", "SafeguardingConcern", "Summary",
           "AgendaEntry", "agenda_place", "Withdrawal", "PROVENANCES", "CHECKED_PROVENANCES",
           "WITHDRAWAL_HOW"]

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
    __table_args__ = (UniqueConstraint("case_id", "number"),
                      # A case's versions sent to a panel, from the index alone (the sealed body
                      # makes rows long): the agenda's children still awaited.
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


class AgendaEntry(Base):
    """A line of a panel's agenda, in the order the agenda shows it, so that a page is read from
    one index however many summaries the panel has: for each case with a summary submitted to
    the panel, its newest version, the case's panel date while the case is this panel's (else
    none: `undated`, listed last) and when the version was approved (newest first in a date).

    Written only by the two listeners below, when a summary is stored and when a case's panel
    or panel date changes."""

    __tablename__ = "agenda_entry"
    __erase_with_case__ = True
    __table_args__ = (Index("ix_agenda_entry_order", "panel_id", "undated", "panel_date",
                            "approved_at", "summary_id"),)
    panel_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("child_case.id"), primary_key=True)
    summary_id: Mapped[str] = mapped_column(ForeignKey("summary.id"), index=True)
    undated: Mapped[bool]
    panel_date: Mapped[date | None]
    approved_at: Mapped[datetime]


def agenda_place(panel_date: date | None, own_panel: bool) -> dict:
    """Where a case's line sorts on a panel's agenda: under its panel date while the case is
    that panel's (own_panel), else under "no panel date"."""
    dated = own_panel and panel_date is not None
    return {"undated": not dated, "panel_date": panel_date if dated else None}


@event.listens_for(Summary, "after_insert")
def _onto_the_agenda(_mapper, connection, summary):
    """A new version takes its case's line on the panel's agenda (or makes it)."""
    case = connection.execute(select(Case.panel_id, Case.panel_date)
                              .where(Case.id == summary.case_id)).one()
    values = {"summary_id": summary.id, "approved_at": summary.approved_at,
              **agenda_place(case.panel_date, case.panel_id == summary.panel_id)}
    line = (AgendaEntry.panel_id == summary.panel_id, AgendaEntry.case_id == summary.case_id)
    if connection.execute(update(AgendaEntry).where(*line).values(values)).rowcount == 0:
        connection.execute(insert(AgendaEntry).values(
            panel_id=summary.panel_id, case_id=summary.case_id, **values))


@event.listens_for(Case, "after_update")
def _agenda_follows_the_case(_mapper, connection, case):
    """A case's line moves with its panel date, and under "no date" on a panel it has left."""
    changed = inspect(case).attrs
    if not (changed.panel_date.history.has_changes() or changed.panel_id.history.has_changes()):
        return
    lines = AgendaEntry.case_id == case.id
    connection.execute(update(AgendaEntry).where(lines, AgendaEntry.panel_id == case.panel_id)
                       .values(agenda_place(case.panel_date, True)))
    connection.execute(update(AgendaEntry).where(lines, AgendaEntry.panel_id != case.panel_id)
                       .values(agenda_place(None, False)))


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
