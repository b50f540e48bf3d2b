"""Safety alerts: raise, acknowledge, escalate, and their figures.

An alert is raised (by the subscriber to `events.safety_signal`) in the transaction that saves the
child's answer, whether or not the child shares it: the panel never sees it unless the child
shares the item. It tells the case's ICTG and the provider's safeguarding leads at once; it waits
on the case page until someone records what they did; one that waits longer than
ALERT_ESCALATE_MINUTES goes to the provider's org admins (`escalate_due`, run by the worker and
by `flask --app voice escalate-alerts`). Every step is audited; no words of the child are kept
here.
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from .. import audit, db, keys
from ..cases.service import cipher
from ..delivery import push
from ..models import (ORG_ADMIN, AnswerVersion, Case, SafetyAlert, User, new_id, now)

ACTION_MAX = 2000
DEFAULT_ESCALATE_MINUTES = 30


def escalate_after() -> timedelta:
    return timedelta(minutes=keys.setting("ALERT_ESCALATE_MINUTES") or DEFAULT_ESCALATE_MINUTES)


def _active(session, query) -> list[str]:
    return list(session.scalars(query.where(User.active.is_(True))))


def safeguarding_leads(session, org_id: str) -> list[str]:
    return _active(session, select(User.id).where(User.org_id == org_id,
                                                  User.safeguarding_lead.is_(True)))


def org_admins(session, org_id: str) -> list[str]:
    return _active(session, select(User.id).where(User.org_id == org_id, User.role == ORG_ADMIN))


def _target(alert: SafetyAlert) -> dict:
    return {"target": "alerts.show", "target_args": {"alert_id": alert.id}}


def raise_for(version: AnswerVersion) -> SafetyAlert | None:
    """Raise an alert for a safety-signal answer and tell the ICTG and the safeguarding leads;
    None when an alert for the same answer is still waiting (it already says so)."""
    session = db.session()
    answer = version.answer
    if session.scalar(select(SafetyAlert.id).where(SafetyAlert.answer_id == answer.id,
                                                   SafetyAlert.acknowledged_at.is_(None))):
        return None
    case = version.case
    alert = SafetyAlert(id=new_id(), case_id=case.id, answer_id=answer.id, version_id=version.id,
                        raised_at=now())
    session.add(alert)
    audit.record("alert.raise", alert, case_id=case.id)
    people = set(safeguarding_leads(session, case.provider_id))
    if case.ictg_id:
        people.add(case.ictg_id)
    push.notify(people, push.SAFETY_ALERT, **_target(alert))
    audit.record("alert.notify", alert, case_id=case.id)
    return alert


def waiting(case: Case) -> list[SafetyAlert]:
    """The case's alerts nobody has acknowledged yet, oldest first."""
    return list(db.session().scalars(select(SafetyAlert).where(
        SafetyAlert.case_id == case.id, SafetyAlert.acknowledged_at.is_(None))
        .order_by(SafetyAlert.raised_at)))


def acknowledge(alert: SafetyAlert, user: User, action: str) -> bool:
    """Record who acted on the alert and what they did; False if someone already had."""
    if alert.acknowledged_at is not None:
        return False
    alert.acknowledged_at, alert.acknowledged_by_id = now(), user.id
    alert.action = cipher(alert.case).seal(alert.id, "action", action.strip()[:ACTION_MAX])
    audit.record("alert.acknowledge", alert, case_id=alert.case_id)
    return True


def action_of(alert: SafetyAlert) -> str | None:
    return cipher(alert.case).open_text(alert.id, "action", alert.action)


def escalate_due(moment: datetime | None = None) -> int:
    """Tell the provider's org admins of every alert waiting longer than the setting; each alert
    once, even with several workers. Its own transaction; returns how many were escalated."""
    moment = moment or now()
    escalated = 0
    with db.transaction() as session:
        due = session.scalars(select(SafetyAlert).where(
            SafetyAlert.acknowledged_at.is_(None), SafetyAlert.escalated_at.is_(None),
            SafetyAlert.raised_at <= moment - escalate_after())).all()
        for alert in due:
            taken = session.execute(update(SafetyAlert).where(
                SafetyAlert.id == alert.id, SafetyAlert.escalated_at.is_(None),
                SafetyAlert.acknowledged_at.is_(None)).values(escalated_at=moment)).rowcount
            if not taken:
                continue
            case = session.get(Case, alert.case_id)
            push.notify(org_admins(session, case.provider_id), push.SAFETY_ALERT_ESCALATED,
                        session=session, **_target(alert))
            audit.record_in(session, "alert.escalate", alert, case_id=alert.case_id)
            escalated += 1
    return escalated


def waiting_count() -> int:
    return db.session().scalar(select(func.count()).select_from(SafetyAlert).where(
        SafetyAlert.acknowledged_at.is_(None))) or 0


def _month(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def figures(scope) -> dict[str, dict[str, tuple[float, int]]]:
    """Per month of raising: alerts raised, and the median minutes to acknowledge, each with how
    many children it counts (the caller suppresses small numbers). `scope`: a select of case ids."""
    raised = defaultdict(lambda: [0, set()])
    minutes = defaultdict(lambda: ([], set()))
    for case_id, at, acknowledged in db.session().execute(
            select(SafetyAlert.case_id, SafetyAlert.raised_at, SafetyAlert.acknowledged_at)
            .where(SafetyAlert.case_id.in_(scope))):
        entry = raised[_month(at)]
        entry[0] += 1
        entry[1].add(case_id)
        if acknowledged is not None:
            values, children = minutes[_month(at)]
            values.append((acknowledged - at).total_seconds() / 60)
            children.add(case_id)
    table: dict[str, dict[str, tuple[float, int]]] = defaultdict(dict)
    for month, (count, children) in raised.items():
        table[month]["alerts"] = (count, len(children))
    for month, (values, children) in minutes.items():
        table[month]["alert_minutes"] = (statistics.median(values), len(children))
    return table


def set_safeguarding_lead(person: User, lead: bool) -> None:
    person.safeguarding_lead = lead
    audit.record("person.safeguarding_lead" if lead else "person.safeguarding_lead_end", person)
