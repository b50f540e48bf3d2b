"""Pushing events about a case into the panel's own case record system.

Other capabilities call `emit(...)` in the transaction of the change it reports (the
transactional outbox); `flask --app voice worker` sends what is due (see worker.py). Panel org
admins manage their endpoints with the functions below; `deliveries_for_case` says where each
event about a case has reached.
"""
from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update

from .. import audit, db, keys, signing
from ..cases.service import cipher
from ..crypto import KeyDestroyed, open_with_kek, seal_with_kek
from ..models import (CANCELLED, DELIVERED, FAILED, PENDING, WEBHOOK, Case, DeliveryAttempt,
                      OutboxDelivery, OutboxEvent, WebhookEndpoint, WorkerHeartbeat, new_id, now)
from . import outbound

SUMMARY_SUBMITTED, SUMMARY_UPDATED, SUMMARY_RETRACTED, CASE_ERASED = (
    "summary.submitted", "summary.updated", "summary.retracted", "case.erased")
EVENT_TYPES = (SUMMARY_SUBMITTED, SUMMARY_UPDATED, SUMMARY_RETRACTED, CASE_ERASED)
EVENT_LABELS = {
    SUMMARY_SUBMITTED: _l("A summary of the child's views is submitted"),
    SUMMARY_UPDATED: _l("A submitted summary is changed"),
    SUMMARY_RETRACTED: _l("The child withdraws part or all of a summary"),
    CASE_ERASED: _l("A case is erased"),
}
# Events whose body holds a child's content: sealed under the case key. A case.erased event
# is written when the key is destroyed, so its body must not need it (and holds no content).
SEALED_EVENTS = {SUMMARY_SUBMITTED, SUMMARY_UPDATED, SUMMARY_RETRACTED}

STATUS_LABELS = {PENDING: _l("Waiting to send"), DELIVERED: _l("Delivered"),
                 FAILED: _l("Failed"), CANCELLED: _l("Not sent: the case was erased")}
STATUS_COLOURS = {PENDING: "yellow", DELIVERED: "green", FAILED: "red", CANCELLED: "grey"}

# Retries at about 30 s, 2 min, 10 min, 1 h, 6 h and 12 h, then every 12 h, up to 3 days.
RETRY_DELAYS = (30, 120, 600, 3600, 6 * 3600, 12 * 3600)
GIVE_UP_AFTER = timedelta(days=3)
ROTATION_OVERLAP = timedelta(hours=24)
SECRET_PREFIX = signing.WEBHOOK_SECRET_PREFIX


# --- events into the outbox ------------------------------------------------------------------

def emit(event_type: str, panel_id: str, case_id: str, body: dict | None = None,
         summary_id: str | None = None, base_url: str | None = None) -> OutboxEvent | None:
    """Queue an event for every endpoint of the panel that wants this type, on or off.

    Call it in the transaction of the change it reports: nothing is committed here, so the
    event exists exactly when the change does. A summary event names its summary
    (`summary_id`): its body is built when it is sent, through the panel's one door, so it never
    holds what the child has withdrawn by then. Any other event's `body` is its `data`, sealed
    under the case key when it may carry content. An endpoint that is off keeps its events
    waiting until it is turned on. `base_url` is where the service is reached: its media links
    are signed under it. Returns the event, or None when no endpoint wants it.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type}")
    session = db.session()
    endpoints = [e for e in session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.org_id == panel_id).order_by(WebhookEndpoint.created_at))
        if event_type in (e.events or [])]
    if not endpoints:
        return None
    moment = now()
    sequence = session.execute(update(Case).where(Case.id == case_id).values(
        event_sequence=Case.event_sequence + 1).returning(Case.event_sequence)).scalar_one()
    event = OutboxEvent(id="msg_" + new_id(), type=event_type, panel_id=panel_id,
                        case_id=case_id, sequence=sequence, summary_id=summary_id,
                        base_url=base_url,
                        sealed=event_type in SEALED_EVENTS, created_at=moment)
    if summary_id is None:
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
        if event.sealed:
            data = cipher(session.get(Case, case_id)).seal(event.id, "body", data)
        event.body = data
    session.add(event)
    for endpoint in endpoints:
        session.add(OutboxDelivery(kind=WEBHOOK, event=event, endpoint_id=endpoint.id,
                                   case_id=case_id, sequence=sequence, next_attempt_at=moment,
                                   give_up_at=moment + GIVE_UP_AFTER, created_at=moment))
    return event


def emit_case_erased(case: Case) -> OutboxEvent | None:
    """The `case.erased` event: which case, and when. No content, no key needed."""
    erased = case.erased_at or now()
    return emit(CASE_ERASED, case.panel_id, case.id, {"case_id": case.id,
                                                      "erased_at": _iso(erased)})


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def stored_data(event: OutboxEvent, session) -> dict:
    """The `data` of an event that is not a summary; raises crypto.KeyDestroyed when the case
    has been erased."""
    body = event.body
    if event.sealed:
        case = session.get(Case, event.case_id) if event.case_id else None
        if case is None:
            raise KeyDestroyed(event.case_id or "")
        body = cipher(case).open(event.id, "body", body)
    return json.loads(body)


def envelope(event: OutboxEvent, data: dict) -> bytes:
    """The JSON body as sent: the Standard Webhooks envelope, with the case's sequence number
    (a receiver keeps the highest it has applied and refuses anything older)."""
    return json.dumps({"type": event.type, "timestamp": _iso(event.created_at),
                       "case_id": event.case_id, "sequence": event.sequence, "data": data},
                      ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


# --- signing (the Standard Webhooks scheme) --------------------------------------------------

def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _seal_secret(endpoint_id: str, secret: str) -> bytes:
    return seal_with_kek(keys.kek(), secret.encode(), f"webhook-secret:{endpoint_id}")


def signing_secrets(endpoint: WebhookEndpoint, moment: datetime | None = None) -> list[str]:
    """The secrets to sign with now: the current one, and the previous one during a rotation."""
    moment = moment or now()
    purpose = f"webhook-secret:{endpoint.id}"
    found = [open_with_kek(keys.kek(), endpoint.secret, purpose).decode()]
    if endpoint.previous_secret and endpoint.previous_until and endpoint.previous_until > moment:
        found.append(open_with_kek(keys.kek(), endpoint.previous_secret, purpose).decode())
    return found


def signed_headers(webhook_id: str, body: bytes, secrets_: list[str], timestamp: int) -> dict:
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signing.webhook_signature(s, webhook_id, timestamp, body)
                                      for s in secrets_),
        "Content-Type": "application/json",
    }


# --- endpoints (a panel's org admin) ---------------------------------------------------------

def url_problem(url: str) -> str | None:
    """Why url cannot be an endpoint (a sentence for the person), or None."""
    try:
        outbound.check(url)
    except outbound.Refused as refused:
        return url_problem_words(str(refused))
    return None


def url_problem_words(refused: str) -> str:
    reasons = {
        "must start with https://": _l("The web address must start with https://"),
        "the address could not be found": _l("That web address could not be found"),
        "the address is not on the public internet": _l(
            "The web address must be on the public internet, not a private network"),
    }
    return str(reasons.get(refused, _l("Enter a web address like https://example.org/hooks")))


def endpoints_of(org_id: str) -> list[WebhookEndpoint]:
    return list(db.session().scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.org_id == org_id).order_by(WebhookEndpoint.created_at)))


def create_endpoint(org_id: str, name: str, url: str, events: list[str]) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (shown to the person once, never again)."""
    secret = new_secret()
    endpoint = WebhookEndpoint(id=new_id(), org_id=org_id, name=name.strip(), url=url.strip(),
                               events=[e for e in EVENT_TYPES if e in events])
    endpoint.secret = _seal_secret(endpoint.id, secret)
    db.session().add(endpoint)
    audit.record("endpoint.create", endpoint, org_id=org_id)
    return endpoint, secret


def rotate_secret(endpoint: WebhookEndpoint) -> str:
    """A new secret; the old one is also signed with for ROTATION_OVERLAP."""
    secret = new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_until = now() + ROTATION_OVERLAP
    endpoint.secret = _seal_secret(endpoint.id, secret)
    audit.record("endpoint.rotate_secret", endpoint, org_id=endpoint.org_id)
    return secret


def set_active(endpoint: WebhookEndpoint, active: bool, reason: str = "admin") -> None:
    """Turn an endpoint on or off. Turned on, what waited is sent now, with 3 days of tries."""
    endpoint.active = active
    endpoint.disabled_reason = None if active else reason
    endpoint.disabled_at = None if active else now()
    if active:
        moment = now()
        endpoint.failing_since = endpoint.last_error = None
        db.session().execute(update(OutboxDelivery).where(
            OutboxDelivery.endpoint_id == endpoint.id, OutboxDelivery.status == PENDING).values(
            next_attempt_at=moment, give_up_at=moment + GIVE_UP_AFTER, attempts=0)
            .execution_options(synchronize_session=False))
    if reason == "admin":
        audit.record("endpoint.enable" if active else "endpoint.disable", endpoint,
                     org_id=endpoint.org_id)


def explain(error: str | None) -> str:
    """A failed try's code (see worker.error_code) in plain words for the panel's admin."""
    if not error:
        return ""
    if error.startswith("http:") and error[5:].isdigit():
        code = int(error[5:])
        if code == 410:
            return str(_l("The receiver answered 410: it is gone"))
        if code == 429:
            return str(_l("The receiver answered 429: too many requests, try later"))
        if code >= 500:
            return str(_l("The receiver answered %(code)d: a server error on its side", code=code))
        return str(_l("The receiver answered %(code)d: it refused the request", code=code))
    if error.startswith("refused:"):
        return url_problem_words(error.removeprefix("refused:"))
    words = {
        "timeout": _l("The receiver did not answer within %(seconds)d seconds",
                      seconds=int(outbound.TIMEOUT)),
        "connect": _l("Could not connect to the receiver"),
        "dropped": _l("The connection closed before the receiver answered"),
        "tls": _l("The receiver's security certificate could not be checked"),
        "prepare": _l("voice could not prepare the event"),
        "erased": _l("Not sent: the case was erased"),
        "gone": _l("Not sent: the device or person is gone"),
        "push_not_configured": _l("Not sent: Web Push is not set up on this service"),
    }
    return str(words.get(error, _l("The delivery failed")))


@dataclass(frozen=True)
class EndpointState:
    """How an endpoint is doing, for its admin: one of on / failing / off, with the detail."""
    state: str
    since: datetime | None
    detail: str         # what is wrong, or that all is well
    waiting: int

    @property
    def label(self) -> str:
        """A word for the tag (tags are narrow); the detail says the rest."""
        return str({"on": _l("On"), "failing": _l("Failing"), "off": _l("Off")}[self.state])

    @property
    def colour(self) -> str:
        return {"on": "green", "failing": "red", "off": "grey"}[self.state]


def endpoint_state(endpoint: WebhookEndpoint) -> EndpointState:
    waiting = db.session().scalar(select(func.count()).select_from(OutboxDelivery).where(
        OutboxDelivery.endpoint_id == endpoint.id, OutboxDelivery.status == PENDING)) or 0
    if not endpoint.active:
        why = _l("The receiver answered that it is gone (HTTP 410)") \
            if endpoint.disabled_reason == "gone" else _l("Turned off by an administrator")
        return EndpointState("off", endpoint.disabled_at, str(why), waiting)
    if endpoint.failing_since is not None:
        return EndpointState("failing", endpoint.failing_since, explain(endpoint.last_error),
                             waiting)
    return EndpointState("on", None, str(_l("On and healthy")), waiting)


def recent_deliveries(endpoint: WebhookEndpoint, limit: int = 50) -> list[OutboxDelivery]:
    return list(db.session().scalars(select(OutboxDelivery).where(
        OutboxDelivery.endpoint_id == endpoint.id).order_by(
        OutboxDelivery.created_at.desc(), OutboxDelivery.id).limit(limit)))


def recent_attempts(endpoint: WebhookEndpoint, limit: int = 20) -> list[tuple[DeliveryAttempt, OutboxDelivery]]:
    return list(db.session().execute(select(DeliveryAttempt, OutboxDelivery).join(
        OutboxDelivery, OutboxDelivery.id == DeliveryAttempt.delivery_id).where(
        OutboxDelivery.endpoint_id == endpoint.id).order_by(
        DeliveryAttempt.id.desc()).limit(limit)))


def can_send_again(delivery: OutboxDelivery) -> bool:
    return delivery.status in (DELIVERED, FAILED) or (
        delivery.status == PENDING and delivery.attempts > 0)


def send_again(endpoint: WebhookEndpoint, delivery_id: str) -> bool:
    """Queue a delivery of this endpoint once more, now, with the same webhook-id."""
    delivery = db.session().get(OutboxDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id or not can_send_again(delivery):
        return False
    moment = now()
    delivery.status, delivery.attempts = PENDING, 0
    delivery.next_attempt_at, delivery.give_up_at = moment, moment + GIVE_UP_AFTER
    delivery.delivered_at = None
    audit.record("endpoint.send_again", endpoint, org_id=endpoint.org_id)
    return True


# --- where a case's events have reached ------------------------------------------------------

@dataclass(frozen=True)
class Reach:
    event_type: str
    event_at: datetime
    endpoint_name: str
    endpoint_active: bool
    status: str          # pending / delivered / failed / cancelled
    at: datetime | None  # delivered, or last tried
    attempts: int

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def event_label(self) -> str:
        return str(EVENT_LABELS[self.event_type])


def deliveries_for_case(case_id: str) -> list[Reach]:
    """Where each event about the case has reached, oldest event first.

    The caller's view decides who may see it (it names the panel's endpoints, not the child).
    """
    rows = db.session().execute(
        select(OutboxEvent, OutboxDelivery, WebhookEndpoint)
        .join(OutboxDelivery, OutboxDelivery.event_id == OutboxEvent.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == OutboxDelivery.endpoint_id)
        .where(OutboxEvent.case_id == case_id)
        .order_by(OutboxEvent.created_at, OutboxEvent.id, WebhookEndpoint.name))
    return [Reach(event.type, event.created_at, endpoint.name, endpoint.active, delivery.status,
                  delivery.delivered_at or delivery.last_attempt_at, delivery.attempts)
            for event, delivery, endpoint in rows]


def retry_delay(attempts: int, delays: tuple = RETRY_DELAYS) -> int:
    """Seconds to wait after the attempts-th failed try."""
    return delays[min(max(attempts, 1), len(delays)) - 1]


# --- for operators -----------------------------------------------------------------------------

STALLED_AFTER = timedelta(seconds=60)


def outbox_health() -> dict:
    """Counts and ages only (no personal data): for /healthz and monitoring.

    `waiting` is what the worker has to send (`failing`: of those, how many have failed at least
    once); `held` waits for an endpoint that is turned off. The worker is `stalled` when none has
    said it is alive for a minute while something waits, `none` when none runs and nothing waits.
    """
    session, moment = db.session(), now()
    on = or_(OutboxDelivery.endpoint_id.is_(None), OutboxDelivery.endpoint_id.in_(
        select(WebhookEndpoint.id).where(WebhookEndpoint.active.is_(True))))
    pending = select(func.count(), func.min(OutboxDelivery.created_at),
                     func.count().filter(OutboxDelivery.attempts > 0)).where(
        OutboxDelivery.status == PENDING)
    waiting, oldest, failing = session.execute(pending.where(on)).one()
    held = session.execute(pending.where(~on)).one()[0]
    seen = session.scalar(select(func.max(WorkerHeartbeat.seen_at)))
    if seen is not None and moment - seen <= STALLED_AFTER:
        worker = "running"
    else:
        worker = "stalled" if waiting else "none"
    return {"waiting": waiting, "failing": failing, "held": held,
            "oldest_waiting_seconds": int((moment - oldest).total_seconds()) if oldest else 0,
            "worker": worker,
            "worker_seen_seconds_ago": int((moment - seen).total_seconds()) if seen else None}
