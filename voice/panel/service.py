"""The panel's side: the agenda, read receipts, the panel's reference, the outcome and message
for the child, the ICTG's record that the child was told, chairs, and the evaluation figures.

Everything a panel member sees of a summary comes from `summary.door.for_panel`.
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload
from sqlalchemy.exc import IntegrityError

from .. import audit, db, events
from ..alerts import service as alerts
from ..cases.service import cipher
from ..consent import service as consent
from ..models import (PANEL, PANEL_MEMBER, PROVIDER, SERVICE_ADMIN, SHARE_PANEL, SHARE_WORDS,
                      AgendaEntry, Answer, AnswerVersion, CaptureSession, Case, Outcome,
                      PanelChair, PanelReference, ReadReceipt, Summary, User, new_id, now)
from ..summary import door

REFERENCE_MAX = 100
TEXT_MAX = 10000
FEWER_THAN = 5  # a figure about fewer children than this is not shown


# --- the panel's reference -------------------------------------------------------------------

def set_reference(summary: Summary, user: User, reference: str) -> None:
    reference = reference.strip()[:REFERENCE_MAX]
    row = door.reference_row(summary.case_id, summary.panel_id)
    if row is None:
        row = PanelReference(id=new_id(), case_id=summary.case_id, panel_id=summary.panel_id)
        db.session().add(row)
    row.reference = cipher(summary.case).seal(row.id, "reference", reference)
    row.set_by_id, row.set_at = user.id, now()
    audit.record("panel.reference", row)


# --- read receipts ---------------------------------------------------------------------------

def record_read(summary: Summary, user: User) -> None:
    """A panel member opened this version: keep the first time."""
    if user.role != PANEL_MEMBER:
        return
    exists = db.session().scalar(select(ReadReceipt.id).where(
        ReadReceipt.summary_id == summary.id, ReadReceipt.user_id == user.id))
    if exists is None:
        try:  # two tabs opening it at once: the first receipt wins
            with db.session().begin_nested():
                db.session().add(ReadReceipt(case_id=summary.case_id, summary_id=summary.id,
                                             user_id=user.id, read_at=now()))
        except IntegrityError:
            pass


@dataclass
class Receipt:
    name: str
    read_at: datetime
    before_panel_date: bool | None  # None: the case has no panel date


def receipts(summary: Summary) -> list[Receipt]:
    panel_date = summary.case.panel_date
    rows = db.session().scalars(select(ReadReceipt).where(ReadReceipt.summary_id == summary.id)
                                .options(joinedload(ReadReceipt.user))
                                .order_by(ReadReceipt.read_at)).all()
    return [Receipt(r.user.display_name, r.read_at,
                    None if panel_date is None else r.read_at.date() < panel_date) for r in rows]


def not_read(summary: Summary) -> list[User]:
    """The panel's members who have not opened this version (for the chair)."""
    read = select(ReadReceipt.user_id).where(ReadReceipt.summary_id == summary.id)
    return list(db.session().scalars(select(User).where(
        User.org_id == summary.panel_id, User.role == PANEL_MEMBER, User.active.is_(True),
        User.id.not_in(read)).order_by(User.display_name)))


# --- chairs ----------------------------------------------------------------------------------

def is_chair(user: User) -> bool:
    return user.role == PANEL_MEMBER and db.session().scalar(select(PanelChair.id).where(
        PanelChair.user_id == user.id, PanelChair.org_id == user.org_id)) is not None


def members(org_id: str) -> list[User]:
    return list(db.session().scalars(select(User).where(
        User.org_id == org_id, User.role == PANEL_MEMBER, User.active.is_(True))
        .order_by(User.display_name)))


def chair_ids(org_id: str) -> set[str]:
    return set(db.session().scalars(select(PanelChair.user_id).where(PanelChair.org_id == org_id)))


def set_chairs(org_id: str, user_ids: list[str], by: User) -> None:
    wanted = {u.id for u in members(org_id)} & set(user_ids)
    current = {c.user_id: c for c in db.session().scalars(
        select(PanelChair).where(PanelChair.org_id == org_id))}
    for user_id, chair in current.items():
        if user_id not in wanted:
            db.session().delete(chair)
    for user_id in wanted - current.keys():
        db.session().add(PanelChair(org_id=org_id, user_id=user_id, set_by_id=by.id))
    audit.record("panel.chairs", None, org_id=org_id)


# --- the agenda ------------------------------------------------------------------------------

@dataclass
class AgendaRow:
    summary: Summary
    called: str
    reference: str | None
    age_band: str
    items: int
    withdrawn: int
    read: bool
    outcome: bool


@dataclass
class AgendaDate:
    panel_date: date | None
    arrived: list = field(default_factory=list)
    awaited: int = 0


def _date_key(panel_date: date | None):
    return (panel_date is None, panel_date or date.max)


def _dates_between(low, high) -> list:
    """SQL conditions for panel dates from `low` to `high` (date keys, None: no bound), both
    included: the page's dates only, read through the panel-date index, however many cases."""
    conditions = []
    if low is not None:
        no_date, low_date = low
        conditions.append(Case.panel_date.is_(None) if no_date else
                          or_(Case.panel_date.is_(None), Case.panel_date >= low_date))
    if high is not None and not high[0]:
        conditions.append(Case.panel_date <= high[1])
    return conditions


def agenda(user: User, page: int = 1) -> tuple[db.Page, list[AgendaDate]] | None:
    """A page of the panel's agenda by panel date: the newest version of each child's summary
    that has arrived (newest first within a date) and how many are still awaited for the dates
    the page covers. Reads of names are audited. None past the last page."""
    session = db.session()
    # The page's lines first, in order, from the agenda's index: each line holds its summary
    # and the date it is listed under (AgendaEntry, agenda_place).
    query = (select(AgendaEntry).where(AgendaEntry.panel_id == user.org_id)
             .order_by(AgendaEntry.undated, AgendaEntry.panel_date,
                       AgendaEntry.approved_at.desc(), AgendaEntry.summary_id))
    shown = db.page_of(query, page, total=select(func.count()).select_from(AgendaEntry)
                       .where(AgendaEntry.panel_id == user.org_id))
    if shown is None:
        return None
    lines = shown.items + ([shown.following] if shown.following is not None else [])
    listed_under = {line.summary_id: line.panel_date for line in lines}
    loaded = {row.id: row for row in session.scalars(select(Summary).options(
        joinedload(Summary.case)).where(Summary.id.in_(listed_under)))}
    shown.items = [loaded[line.summary_id] for line in shown.items]
    shown.following = shown.following and loaded[shown.following.summary_id]

    ids = [summary.id for summary in shown.items]
    mine = set(session.scalars(select(ReadReceipt.summary_id).where(
        ReadReceipt.user_id == user.id, ReadReceipt.summary_id.in_(ids))))
    decided = set(session.scalars(select(Outcome.summary_id).where(
        Outcome.panel_id == user.org_id, Outcome.summary_id.in_(ids))))
    dates: dict = {}
    audit.record_each("summary.read_name", shown.items)
    for summary, document in zip(shown.items, door.for_panel_all(shown.items, validated=False)):
        withdrawn = sum(1 for item in document["items"] if item["withdrawn"])
        row = AgendaRow(summary, document["child"]["called"], document["case"]["panel_reference"],
                        document["child"]["age_band"], len(document["items"]), withdrawn,
                        summary.id in mine, summary.id in decided)
        listed = listed_under[summary.id]
        dates.setdefault(listed, AgendaDate(listed)).arrived.append(row)
    # Awaited children: under the dates on this page, and dates where nothing has arrived yet
    # on the page whose dates they fall between.
    low = _date_key(listed_under[shown.items[0].id]) if page > 1 and shown.items else None
    high = _date_key(listed_under[shown.following.id]) if shown.following is not None else None
    awaited = session.execute(select(Case.panel_date, func.count()).where(
        Case.panel_id == user.org_id, Case.erased_at.is_(None), Case.closed_at.is_(None),
        *_dates_between(low, high),
        ~select(Summary.id).where(Summary.case_id == Case.id,
                                  Summary.panel_id == user.org_id).exists())
        .group_by(Case.panel_date))
    for awaited_date, count in awaited:
        key = _date_key(awaited_date)
        if awaited_date in dates or ((low is None or key >= low) and (high is None or key < high)):
            dates.setdefault(awaited_date, AgendaDate(awaited_date)).awaited = count
    return shown, sorted(dates.values(), key=lambda d: _date_key(d.panel_date))


# --- outcome, message and feedback -----------------------------------------------------------

OUTCOME_FIELDS = ("decision", "considered", "message")


def record_outcome(summary: Summary, user: User, decision: str, considered: str,
                   message: str) -> Outcome:
    """The panel's outcome; the ICTG is told that feedback has arrived."""
    case = summary.case
    outcome = Outcome(id=new_id(), case_id=case.id, panel_id=summary.panel_id,
                      summary_id=summary.id, recorded_by_id=user.id, recorded_at=now())
    seal = cipher(case)
    for name, value in zip(OUTCOME_FIELDS, (decision, considered, message)):
        setattr(outcome, name, seal.seal(outcome.id, name, value.strip()[:TEXT_MAX]))
    db.session().add(outcome)
    audit.record("panel.outcome", outcome)
    events.feedback_recorded.send(outcome)
    return outcome


@dataclass
class OutcomeView:
    outcome: Outcome
    decision: str = ""
    considered: str = ""
    message: str = ""
    feedback_note: str = ""


def _view(case: Case, outcome: Outcome, read: bool) -> OutcomeView:
    view = OutcomeView(outcome)
    if read:
        seal = cipher(case)
        for name in OUTCOME_FIELDS:
            setattr(view, name, seal.open_text(outcome.id, name, getattr(outcome, name)) or "")
        view.feedback_note = seal.open_text(outcome.id, "feedback_note",
                                            outcome.feedback_note) or ""
        audit.record("panel.outcome_read", outcome)
    return view


def outcomes_for_case(case: Case, read: bool) -> list[OutcomeView]:
    """The case's outcomes, newest first; their words only when `read` (the reads audited)."""
    rows = db.session().scalars(select(Outcome).where(Outcome.case_id == case.id)
                                .order_by(Outcome.recorded_at.desc())).all()
    return [_view(case, row, read) for row in rows]


def outcomes_for_summary(summary: Summary) -> list[OutcomeView]:
    """The outcomes the summary's panel recorded for the case (its own words)."""
    rows = db.session().scalars(select(Outcome).where(
        Outcome.case_id == summary.case_id, Outcome.panel_id == summary.panel_id)
        .order_by(Outcome.recorded_at.desc())).all()
    return [_view(summary.case, row, True) for row in rows]


def awaiting_feedback(case: Case) -> Outcome | None:
    return db.session().scalar(select(Outcome).where(
        Outcome.case_id == case.id, Outcome.feedback_at.is_(None))
        .order_by(Outcome.recorded_at.desc()).limit(1))


def record_feedback(outcome: Outcome, user: User, how: str, note: str) -> None:
    outcome.feedback_at, outcome.feedback_by_id, outcome.feedback_how = now(), user.id, how
    if note and note.strip():
        outcome.feedback_note = cipher(db.session().get(Case, outcome.case_id)).seal(
            outcome.id, "feedback_note", note.strip()[:TEXT_MAX])
    audit.record("panel.feedback", outcome)


# --- evaluation figures ----------------------------------------------------------------------

ALERT_FIGURES = ("alerts", "alert_minutes")
FIGURES = ("sessions", "shared", "read_before", "feedback", "median_days") + ALERT_FIGURES
FIGURE_LABELS = {
    "sessions": _l("Sessions held"),
    "shared": _l("Share of the child's answers shared with the panel"),
    "read_before": _l("Share of summaries read before the panel date"),
    "feedback": _l("Share of decisions with feedback relayed to the child"),
    "median_days": _l("Median days from session to panel"),
    "alerts": _l("Safety alerts raised"),
    "alert_minutes": _l("Median minutes to acknowledge a safety alert"),
}
FIGURE_UNITS = {"sessions": "count", "shared": "percent", "read_before": "percent",
                "feedback": "percent", "median_days": "days", "alerts": "count",
                "alert_minutes": "minutes"}


@dataclass
class Figure:
    value: float | None
    children: int

    @property
    def suppressed(self) -> bool:
        return self.children < FEWER_THAN


def sees_alerts(user: User) -> bool:
    """Safety alerts are counted for the provider and the service, never for a panel, which
    hears only what the child shares."""
    return user.role == SERVICE_ADMIN or (user.org is not None and user.org.kind == PROVIDER)


def figure_keys(user: User) -> tuple[str, ...]:
    return FIGURES if sees_alerts(user) else tuple(k for k in FIGURES if k not in ALERT_FIGURES)


def _scope(user: User):
    """The cases whose figures this person may see (no case is ever shown, only counts)."""
    query = select(Case.id)
    if user.role == SERVICE_ADMIN:
        return query
    org = user.org
    if org is not None and org.kind == PROVIDER:
        return query.where(Case.provider_id == user.org_id)
    if org is not None and org.kind == PANEL:
        return query.where(Case.panel_id == user.org_id)
    return query.where(Case.id.is_(None))


def _month(moment) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def figures(user: User, months: int = 12) -> list[tuple[str, dict[str, Figure]]]:
    """Per month, newest first: each figure and how many children it counts."""
    session = db.session()
    scope = _scope(user)
    table: dict[str, dict[str, Figure]] = defaultdict(dict)

    # Sessions held (by the month they were held).
    by_month = defaultdict(lambda: [0, set()])
    finished = session.execute(select(CaptureSession.case_id, CaptureSession.started_at).where(
        CaptureSession.case_id.in_(scope), CaptureSession.finished_at.is_not(None))).all()
    for case_id, started in finished:
        by_month[_month(started)][0] += 1
        by_month[_month(started)][1].add(case_id)
    for month, (count, children) in by_month.items():
        table[month]["sessions"] = Figure(count, len(children))

    # Share of answers shared (by the month of the session).
    answers = session.execute(
        select(Answer.id, Answer.case_id, CaptureSession.started_at, AnswerVersion.form,
               AnswerVersion.number)
        .join(CaptureSession, CaptureSession.id == Answer.session_id)
        .join(AnswerVersion, AnswerVersion.answer_id == Answer.id)
        .where(Answer.case_id.in_(scope), CaptureSession.finished_at.is_not(None))).all()
    latest = {}
    for answer_id, case_id, started, form, number in answers:
        if answer_id not in latest or number > latest[answer_id][3]:
            latest[answer_id] = (case_id, started, form, number)
    kept = {a: row for a, row in latest.items() if row[2] != "cleared"}
    choices = consent.current_choices(kept)
    shares = defaultdict(lambda: [0, 0, set()])
    for answer_id, (case_id, started, _form, _n) in kept.items():
        entry = shares[_month(started)]
        entry[0] += choices[answer_id] in (SHARE_PANEL, SHARE_WORDS)
        entry[1] += 1
        entry[2].add(case_id)
    for month, (shared, total, children) in shares.items():
        table[month]["shared"] = Figure(100 * shared / total, len(children))

    # Summaries read before the panel date, and days from session to panel (by panel month).
    cases = session.execute(select(Case.id, Case.panel_date).where(
        Case.id.in_(scope), Case.panel_date.is_not(None))).all()
    panel_dates = dict(cases)
    submitted = set(session.scalars(select(Summary.case_id).where(Summary.case_id.in_(scope))))
    first_read: dict[str, datetime] = {}
    for case_id, read_at in session.execute(select(ReadReceipt.case_id, ReadReceipt.read_at)
                                            .where(ReadReceipt.case_id.in_(scope))):
        if case_id not in first_read or read_at < first_read[case_id]:
            first_read[case_id] = read_at
    reads = defaultdict(lambda: [0, 0])
    for case_id in submitted & panel_dates.keys():
        entry = reads[_month(panel_dates[case_id])]
        entry[0] += case_id in first_read and first_read[case_id].date() < panel_dates[case_id]
        entry[1] += 1
    for month, (read, total) in reads.items():
        table[month]["read_before"] = Figure(100 * read / total, total)
    last_session: dict[str, date] = {}
    for case_id, started in finished:
        held = started.date()
        panel_date = panel_dates.get(case_id)
        if panel_date is not None and held <= panel_date and held > last_session.get(case_id, date.min):
            last_session[case_id] = held
    days = defaultdict(list)
    for case_id, held in last_session.items():
        days[_month(panel_dates[case_id])].append((panel_dates[case_id] - held).days)
    for month, values in days.items():
        table[month]["median_days"] = Figure(statistics.median(values), len(values))

    # Decisions with feedback relayed to the child (by the month of the decision).
    relayed = defaultdict(lambda: [0, 0, set()])
    for case_id, recorded, told in session.execute(
            select(Outcome.case_id, Outcome.recorded_at, Outcome.feedback_at)
            .where(Outcome.case_id.in_(scope))):
        entry = relayed[_month(recorded)]
        entry[0] += told is not None
        entry[1] += 1
        entry[2].add(case_id)
    for month, (told, total, children) in relayed.items():
        table[month]["feedback"] = Figure(100 * told / total, len(children))

    # Safety alerts raised, and the median minutes to acknowledge one (by the month raised).
    if sees_alerts(user):
        for month, row in alerts.figures(scope).items():
            table[month].update({key: Figure(*value) for key, value in row.items()})

    return sorted(table.items(), reverse=True)[:months]
