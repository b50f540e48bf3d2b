"""Who listens to which domain event: every subscriber, connected in one place.

Each runs in the transaction of the change that sent the event, so the outbox event for the
panels and the notices for people exist exactly when the change does.
"""
from __future__ import annotations

from flask import has_request_context, request
from sqlalchemy import select

from . import db, events, keys
from .alerts import service as alerts
from .delivery import push
from .delivery import service as delivery
from .models import ORG_ADMIN, PANEL_MEMBER, Case, User
from .summary.document import SCHEMA_NAME, SCHEMA_VERSION
from .summary.door import reference_for


def _base_url() -> str | None:
    """Where the service is reached: the base of links in what is sent to panels."""
    return request.host_url if has_request_context() else keys.setting("BASE_URL")


def _active(org_id: str, role: str) -> list[str]:
    return list(db.session().scalars(select(User.id).where(
        User.org_id == org_id, User.role == role, User.active.is_(True))))


def _summary_approved(summary, first_for_panel: bool) -> None:
    delivery.emit(delivery.SUMMARY_SUBMITTED if first_for_panel else delivery.SUMMARY_UPDATED,
                  summary.panel_id, summary.case_id, summary_id=summary.id, base_url=_base_url())
    push.notify(_active(summary.panel_id, PANEL_MEMBER), push.SUMMARY_ARRIVED,
                target="review.summary", target_args={"summary_id": summary.id})


def _items_withdrawn(withdrawal, reached: dict) -> None:
    for panel_id, (summary_id, answer_ids) in reached.items():
        delivery.emit(delivery.SUMMARY_RETRACTED, panel_id, withdrawal.case_id, {
            "schema": {"name": SCHEMA_NAME, "version": SCHEMA_VERSION},
            "case_id": withdrawal.case_id,
            "panel_reference": reference_for(withdrawal.case_id, panel_id),
            "summary_id": summary_id, "items": answer_ids, "everything": withdrawal.everything,
            "withdrawn_at": withdrawal.recorded_at.strftime("%Y-%m-%dT%H:%M:%SZ")})


def _case_erased(case) -> None:
    delivery.emit_case_erased(case)


def _session_finished(capture) -> None:
    case = db.session().get(Case, capture.case_id)
    if case is not None and case.advocate_id:
        push.notify([case.advocate_id], push.SESSION_READY_FOR_REVIEW, target="review.review",
                    target_args={"case_id": case.id})


def _concern_raised(concern) -> None:
    case = db.session().get(Case, concern.case_id)
    target = {"case_id": case.id}
    if case.ictg_id:
        push.notify([case.ictg_id], push.SAFEGUARDING_ICTG, target="cases.show",
                    target_args=target)
    push.notify(_active(case.provider_id, ORG_ADMIN), push.SAFEGUARDING_ADMIN,
                target="cases.show", target_args=target)


def _feedback_recorded(outcome) -> None:
    case = db.session().get(Case, outcome.case_id)
    if case.ictg_id:
        push.notify([case.ictg_id], push.FEEDBACK_ARRIVED, target="cases.show",
                    target_args={"case_id": case.id})


def _safety_signal(version) -> None:
    alerts.raise_for(version)


SUBSCRIBERS = (
    (events.summary_approved, _summary_approved),
    (events.items_withdrawn, _items_withdrawn),
    (events.case_erased, _case_erased),
    (events.session_finished, _session_finished),
    (events.concern_raised, _concern_raised),
    (events.feedback_recorded, _feedback_recorded),
    (events.safety_signal, _safety_signal),
)


def connect() -> None:
    """Called by the app factory. Connecting again is harmless (blinker keeps one of each)."""
    for signal, subscriber in SUBSCRIBERS:
        signal.connect(subscriber)
