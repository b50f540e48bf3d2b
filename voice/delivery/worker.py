"""The worker (`flask --app voice worker`): sends what the outbox holds.

Each pass claims a few due deliveries by giving them a lease (PostgreSQL: `SELECT ... FOR UPDATE
SKIP LOCKED`, so several workers never take the same row; SQLite: an atomic conditional UPDATE
per row, for a single worker), commits, sends each one outside any transaction and records the
attempt. A webhook is due only when no earlier event of its case is still pending for its
endpoint, so a case's events arrive in the order they happened. The body is built at the moment
of sending. The worker renews its leases before each send and writes a heartbeat on each pass;
a killed worker's deliveries are taken again when its short lease runs out; the event keeps its
`webhook-id`, so a receiver that dedupes on it keeps each event once.
"""
from __future__ import annotations

import email.utils
import os
import secrets
import signal
import socket
import time
from datetime import datetime, timedelta, timezone

import urllib3
from flask import current_app
from sqlalchemy import and_, delete, exists, or_, select, update
from sqlalchemy.orm import aliased, joinedload

from .. import db
from ..crypto import KeyDestroyed
from ..models import (CANCELLED, DELIVERED, FAILED, ORG_ADMIN, PENDING, PUSH, DeliveryAttempt,
                      Notification, OutboxDelivery, PushSubscription, Summary, User,
                      WebhookEndpoint, WorkerHeartbeat, now)
from ..summary import door
from . import outbound, push, service

D = OutboxDelivery
MAX_RETRY_AFTER = 12 * 3600
LEASE_SECONDS = 45          # more than one send can take (connect and read timeouts)
HEARTBEAT_SECONDS = 5
# Other periodic work the worker's loop runs (each a function of no argument, its own
# transaction), set by the app factory: safety alerts' escalation. Each runs every JOB_SECONDS.
JOBS = "voice.worker_jobs"
JOB_SECONDS = 10


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


def lease_seconds() -> int:
    """How long a claim holds without being renewed: a killed worker's deliveries are taken
    again after this (renewed before each send, so it need only outlast one send)."""
    return int(current_app.config.get("DELIVERY_LEASE_SECONDS") or LEASE_SECONDS)


def _due(moment: datetime):
    active = select(WebhookEndpoint.id).where(WebhookEndpoint.active.is_(True))
    earlier = aliased(D)
    waiting_behind = exists().where(earlier.endpoint_id == D.endpoint_id,
                                    earlier.case_id == D.case_id, earlier.status == PENDING,
                                    earlier.sequence < D.sequence)
    return and_(D.status == PENDING, D.next_attempt_at <= moment,
                or_(D.lease_until.is_(None), D.lease_until < moment),
                or_(D.endpoint_id.is_(None), D.endpoint_id.in_(active)), ~waiting_behind)


def claim(worker: str, batch: int = 10) -> list[str]:
    """Lease up to batch due deliveries to worker and commit; their ids, oldest due first."""
    moment = now()
    lease = moment + timedelta(seconds=lease_seconds())
    with db.transaction() as session:
        query = select(D.id).where(_due(moment)).order_by(D.next_attempt_at, D.id).limit(batch)
        if session.get_bind().dialect.name == "postgresql":
            claimed = list(session.scalars(query.with_for_update(skip_locked=True, of=D)))
            if claimed:
                session.execute(update(D).where(D.id.in_(claimed)).values(
                    lease_until=lease, leased_by=worker).execution_options(synchronize_session=False))
        else:
            claimed = []
            for delivery_id in session.scalars(query).all():
                taken = session.execute(update(D).where(D.id == delivery_id, _due(moment)).values(
                    lease_until=lease, leased_by=worker).execution_options(synchronize_session=False))
                if taken.rowcount == 1:
                    claimed.append(delivery_id)
    return claimed


def renew(session, worker: str) -> None:
    """Extend the worker's claims: it is alive and about to send one of them."""
    session.execute(update(D).where(D.leased_by == worker, D.status == PENDING).values(
        lease_until=now() + timedelta(seconds=lease_seconds()))
        .execution_options(synchronize_session=False))


def heartbeat(worker: str, started: datetime) -> None:
    """Say this worker is alive; forget workers not seen for a day."""
    moment = now()
    with db.transaction() as session:
        row = session.get(WorkerHeartbeat, worker)
        if row is None:
            session.add(WorkerHeartbeat(name=worker, started_at=started, seen_at=moment))
        else:
            row.seen_at = moment
        session.execute(delete(WorkerHeartbeat).where(
            WorkerHeartbeat.seen_at < moment - timedelta(days=1)))


def stopped(worker: str) -> None:
    with db.transaction() as session:
        session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.name == worker))


def release(worker: str, delivery_ids: list[str]) -> None:
    """Give back claimed deliveries that were not tried (the worker is stopping)."""
    if not delivery_ids:
        return
    with db.transaction() as session:
        session.execute(update(D).where(D.id.in_(delivery_ids), D.leased_by == worker).values(
            lease_until=None, leased_by=None).execution_options(synchronize_session=False))


# --- one delivery ----------------------------------------------------------------------------

class _Skip(Exception):
    def __init__(self, status: str | None, reason: str | None = None):
        self.status, self.reason = status, reason


def _summary_data(event) -> dict:
    """The summary as the panel may have it at this moment (the panel's one door), read in a
    unit of work of its own, with media links signed now: valid for a day from the send."""
    with current_app.app_context():
        summary = db.session().get(Summary, event.summary_id)
        if summary is None:
            raise KeyDestroyed(event.case_id or "")
        return door.for_panel(summary, base_url=event.base_url or "http://localhost/")


def event_body(event, session) -> bytes:
    """The event's JSON body as it would be sent at this moment; raises crypto.KeyDestroyed
    when the case has been erased."""
    data = _summary_data(event) if event.summary_id else service.stored_data(event, session)
    return service.envelope(event, data)


def _prepare(session, delivery: OutboxDelivery):
    """What to send, read from the database: a function that sends it."""
    if delivery.kind == PUSH:
        return _prepare_push(session, delivery)
    endpoint, event = delivery.endpoint, delivery.event
    if endpoint is None or not endpoint.active:
        raise _Skip(None)  # turned off since it was claimed: it waits
    try:
        body = event_body(event, session)
    except KeyDestroyed:
        raise _Skip(CANCELLED, "erased") from None
    url, signing, webhook_id = endpoint.url, service.signing_secrets(endpoint), delivery.event_id

    def send(client: outbound.Client) -> outbound.Response:
        headers = service.signed_headers(webhook_id, body, signing, int(time.time()))
        return client.post(url, body, headers)
    return send


def _prepare_push(session, delivery: OutboxDelivery):
    from pywebpush import WebPushException, webpush  # heavy: loaded only when a push is sent

    subscription = session.get(PushSubscription, delivery.subscription_id) \
        if delivery.subscription_id else None
    notice = session.get(Notification, delivery.notification_id) \
        if delivery.notification_id else None
    user = session.get(User, notice.user_id) if notice else None
    if subscription is None or user is None or not user.active:
        raise _Skip(CANCELLED, "gone")
    if not push.configured():
        current_app.logger.warning("delivery %s: not pushed: %s", delivery.id, push.NOT_CONFIGURED)
        raise _Skip(FAILED, "push_not_configured")
    info, data = push.subscription_info(subscription), push.payload(notice, user).decode()

    def send(client: outbound.Client) -> outbound.Response:
        try:
            return webpush(info, data=data, vapid_private_key=push.vapid(),
                           vapid_claims=push.claims(), ttl=push.TTL, timeout=outbound.TIMEOUT,
                           headers={"Urgency": push.URGENCY}, requests_session=client)
        except WebPushException as failure:
            if failure.response is not None:
                return failure.response
            raise
    return send


def error_code(failure: Exception) -> str:
    """What went wrong, as one of the codes `service.explain` puts into words."""
    if isinstance(failure, outbound.Refused):
        return f"refused:{failure}"
    if isinstance(failure, urllib3.exceptions.NewConnectionError):  # before: it is a timeout too
        return "connect"
    if isinstance(failure, (urllib3.exceptions.TimeoutError, TimeoutError)):
        return "timeout"
    if isinstance(failure, urllib3.exceptions.SSLError):
        return "tls"
    if isinstance(failure, urllib3.exceptions.ProtocolError):
        return "dropped"
    if isinstance(failure, (urllib3.exceptions.HTTPError, OSError)):
        return "connect"
    return "error"


def deliver(delivery_id: str, worker: str, client: outbound.Client) -> str | None:
    """Try one claimed delivery and record the attempt; its status afterwards."""
    skipped = None
    try:
        with db.transaction() as session:
            delivery = session.scalar(select(D).where(D.id == delivery_id).options(
                joinedload(D.event), joinedload(D.endpoint)))
            if delivery is None or delivery.leased_by != worker or delivery.status != PENDING:
                return None
            try:
                send = _prepare(session, delivery)
            except _Skip as skip:
                delivery.lease_until = delivery.leased_by = None
                if skip.status:
                    delivery.status, delivery.last_error = skip.status, skip.reason
                skipped = (skip.reason or "waits: endpoint off", delivery.status)
            else:
                renew(session, worker)
        # committed: no transaction stays open while the network is used
    except Exception:  # noqa: BLE001  (e.g. a sealed body that fails to open)
        current_app.logger.exception("delivery %s: could not be prepared", delivery_id)
        return _record(delivery_id, worker, None, "prepare", None, 0)
    if skipped is not None:
        _log(delivery_id, *skipped)
        return skipped[1]
    started = time.monotonic()
    code, error, retry_after = None, None, None
    try:
        response = send(client)
        code = response.status_code
        if not 200 <= code < 300:
            error, retry_after = f"http:{code}", _retry_after(response.headers)
    except Exception as failure:  # noqa: BLE001  (any network failure is a failed attempt)
        error = error_code(failure)
        if error == "error":
            current_app.logger.exception("delivery %s: unexpected failure", delivery_id)
    duration = int((time.monotonic() - started) * 1000)
    status = _record(delivery_id, worker, code, error, retry_after, duration)
    _log(delivery_id, error or code, status, duration)
    return status


def _log(delivery_id: str, outcome, status: str | None, duration: int | None = None) -> None:
    """One line per attempt: ids, outcome and timing only, never the body."""
    current_app.logger.info("delivery %s: %s -> %s%s", delivery_id, outcome, status or "lease lost",
                            "" if duration is None else f" in {duration} ms")


def _retry_after(headers) -> int | None:
    value = {k.lower(): v for k, v in dict(headers or {}).items()}.get("retry-after")
    if not value:
        return None
    value = str(value).strip()
    if value.isdigit():
        return min(int(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0, min(int((when - now()).total_seconds()), MAX_RETRY_AFTER))


def _record(delivery_id, worker, code, error, retry_after, duration) -> str | None:
    with db.transaction() as session:
        moment = now()
        session.add(DeliveryAttempt(delivery_id=delivery_id, at=moment, status_code=code,
                                    error=error[:200] if error else None, duration_ms=duration))
        delivery = session.get(D, delivery_id)
        if delivery is None or delivery.leased_by != worker:
            return None  # its lease ran out and another worker has it now
        if delivery.attempts == 0:  # the 3 days count from the first try, not from queueing
            delivery.give_up_at = moment + service.GIVE_UP_AFTER
        delivery.attempts += 1
        delivery.last_attempt_at, delivery.last_status_code = moment, code
        delivery.last_error = error[:200] if error else None
        delivery.lease_until = delivery.leased_by = None
        succeeded = code is not None and 200 <= code < 300
        if delivery.kind != PUSH:
            _endpoint_health(delivery.endpoint, succeeded, error, moment)
        if succeeded:
            delivery.status, delivery.delivered_at = DELIVERED, moment
        elif code == 410 and delivery.kind != PUSH:
            delivery.status = FAILED
            _endpoint_gone(session, delivery.endpoint)
        elif code in (404, 410) and delivery.kind == PUSH:
            # The browser unsubscribed or the push service forgot it: remove the subscription.
            subscription = session.get(PushSubscription, delivery.subscription_id)
            delivery.status, delivery.subscription_id = FAILED, None
            session.flush()
            if subscription is not None:
                session.delete(subscription)
        elif delivery.kind == PUSH and code is not None and 400 <= code < 500 \
                and code not in (408, 429):
            delivery.status = FAILED
        else:
            delay = service.retry_delay(
                delivery.attempts, current_app.config.get("DELIVERY_RETRY_DELAYS") or service.RETRY_DELAYS)
            if retry_after is not None:
                delay = max(delay, retry_after)
            following = moment + timedelta(seconds=delay)
            if following > delivery.give_up_at:
                delivery.status = FAILED
                if delivery.kind != PUSH:
                    _gave_up(session, delivery)
            else:
                delivery.next_attempt_at = following
        status = delivery.status
        return status


def _endpoint_health(endpoint: WebhookEndpoint | None, succeeded: bool, error, moment) -> None:
    if endpoint is None:
        return
    if succeeded:
        endpoint.failing_since = endpoint.last_error = None
    else:
        endpoint.failing_since = endpoint.failing_since or moment
        endpoint.last_error = error[:200] if error else None


def _panel_admins(session, org_id: str) -> list[str]:
    return list(session.scalars(select(User.id).where(
        User.org_id == org_id, User.role == ORG_ADMIN, User.active.is_(True))))


def _endpoint_gone(session, endpoint: WebhookEndpoint) -> None:
    """The receiver answered 410: turn the endpoint off and tell the panel's org admins."""
    if endpoint is None or not endpoint.active:
        return
    endpoint.active, endpoint.disabled_reason, endpoint.disabled_at = False, "gone", now()
    push.notify(_panel_admins(session, endpoint.org_id), push.ENDPOINT_DISABLED,
                target="delivery.endpoint", target_args={"endpoint_id": endpoint.id},
                session=session)


def _gave_up(session, delivery: OutboxDelivery) -> None:
    """Three days of tries failed: the panel's admins hear of it; the case page shows it."""
    current_app.logger.warning("delivery %s: gave up after %d tries", delivery.id,
                               delivery.attempts)
    if delivery.endpoint is not None:
        push.notify(_panel_admins(session, delivery.endpoint.org_id), push.DELIVERY_GAVE_UP,
                    target="delivery.endpoint", target_args={"endpoint_id": delivery.endpoint_id},
                    session=session)


# --- the loop --------------------------------------------------------------------------------

class _Stop:
    requested = False


def run(batch: int = 10, once: bool = False, max_seconds: float | None = None,
        until_idle: bool = False, poll: float = 1.0, handle_signals: bool = False) -> int:
    """Send what is due until told to stop; returns how many deliveries were tried."""
    stop = _Stop()
    if handle_signals:
        def _graceful(_signum, _frame):
            stop.requested = True
        signal.signal(signal.SIGTERM, _graceful)
        signal.signal(signal.SIGINT, _graceful)
    worker = worker_name()
    client = outbound.Client()
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    tried, started, beat = 0, now(), [0.0]
    if not push.configured():
        current_app.logger.warning("worker: %s", push.NOT_CONFIGURED)

    def alive():
        if time.monotonic() - beat[0] >= HEARTBEAT_SECONDS:
            heartbeat(worker, started)
            beat[0] = time.monotonic()

    jobs_ran = [float("-inf")]

    def jobs():
        if time.monotonic() - jobs_ran[0] >= JOB_SECONDS:
            for job in current_app.extensions.get(JOBS, ()):
                job()
            jobs_ran[0] = time.monotonic()
    try:
        while not stop.requested:
            alive()
            jobs()
            claimed = claim(worker, batch)
            for index, delivery_id in enumerate(claimed):
                if stop.requested:
                    release(worker, claimed[index:])
                    break
                alive()
                deliver(delivery_id, worker, client)
                tried += 1
            if once or (deadline is not None and time.monotonic() >= deadline):
                break
            if not claimed:
                if until_idle:
                    break
                time.sleep(poll if deadline is None else
                           max(0.0, min(poll, deadline - time.monotonic())))
    finally:
        client.close()
        stopped(worker)
    return tried
