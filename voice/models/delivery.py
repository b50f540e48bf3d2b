"""Delivery: webhook endpoints of panels, the transactional outbox, Web Push and in-app notices."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, new_id, now

__all__ = ["WebhookEndpoint", "OutboxEvent", "OutboxDelivery", "DeliveryAttempt",
           "PushSubscription", "Notification", "WorkerHeartbeat", "WEBHOOK", "PUSH", "PENDING",
           "DELIVERED", "FAILED", "CANCELLED"]

WEBHOOK, PUSH = "webhook", "push"
PENDING, DELIVERED, FAILED, CANCELLED = "pending", "delivered", "failed", "cancelled"


def _message_id() -> str:
    return "msg_" + new_id()


class WebhookEndpoint(Base):
    """Where a panel organisation wants events about its cases: a URL and a signing secret."""

    __tablename__ = "webhook_endpoint"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list] = mapped_column(JSON, default=list)
    # Signing secrets sealed by the key-encryption key. During a rotation the previous one is
    # also signed with until previous_until.
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    previous_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    previous_until: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    # "admin" (turned off by a person) or "gone" (the receiver answered 410).
    disabled_reason: Mapped[str | None] = mapped_column(String(20))
    disabled_at: Mapped[datetime | None]
    # Since when every try has failed (None while healthy), and the last failure's code.
    failing_since: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=now)


class OutboxEvent(Base):
    """One event about a case, written in the transaction of the change it reports.

    Its id is the `webhook-id` every endpoint receives, however often it is sent. `sequence`
    numbers a case's events in the order they happened. A summary event names its summary and
    its body is built when it is sent, so it holds the child's choices of that moment; any other
    body is the event's `data`, sealed under the case key (a `case.erased` body carries no
    content and is plain JSON, since the key is gone by then).
    """

    __tablename__ = "outbox_event"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_message_id)
    type: Mapped[str] = mapped_column(String(40))
    panel_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    case_id: Mapped[str | None] = mapped_column(String(32), index=True)
    sequence: Mapped[int | None]
    summary_id: Mapped[str | None] = mapped_column(String(32))
    # Where the service was reached when the event was made: the base of its media links.
    base_url: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    sealed: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=now)


class OutboxDelivery(Base):
    """One thing for the worker to send: an event to an endpoint, or a notice to a device."""

    __tablename__ = "outbox_delivery"
    __table_args__ = (Index("ix_outbox_delivery_due", "status", "next_attempt_at"),
                      Index("ix_outbox_delivery_order", "endpoint_id", "case_id", "sequence"))
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(10))
    event_id: Mapped[str | None] = mapped_column(ForeignKey("outbox_event.id"), index=True)
    endpoint_id: Mapped[str | None] = mapped_column(ForeignKey("webhook_endpoint.id"), index=True)
    notification_id: Mapped[str | None] = mapped_column(
        ForeignKey("notification.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[str | None] = mapped_column(
        ForeignKey("push_subscription.id", ondelete="CASCADE"), index=True)
    # A webhook waits while an earlier event of its case is still pending for its endpoint.
    case_id: Mapped[str | None] = mapped_column(String(32))
    sequence: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)  # since it was last queued
    next_attempt_at: Mapped[datetime] = mapped_column(default=now)
    give_up_at: Mapped[datetime]  # 3 days from the first try
    # A worker's claim: nobody else sends it until the lease runs out (a killed worker's
    # deliveries are picked up again then).
    lease_until: Mapped[datetime | None]
    leased_by: Mapped[str | None] = mapped_column(String(80))
    last_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(200))
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=now)

    event: Mapped[OutboxEvent | None] = relationship()
    endpoint: Mapped[WebhookEndpoint | None] = relationship()


class DeliveryAttempt(Base):
    """Each try: when, the HTTP status, the error. Never the body."""

    __tablename__ = "delivery_attempt"
    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("outbox_delivery.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=now)
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(String(200))
    duration_ms: Mapped[int] = mapped_column(default=0)


class PushSubscription(Base):
    """A browser on a device where a person turned notifications on."""

    __tablename__ = "push_subscription"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    endpoint: Mapped[str] = mapped_column(Text)
    endpoint_hash: Mapped[str] = mapped_column(String(64), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[bytes] = mapped_column(LargeBinary)  # sealed by the key-encryption key
    device: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=now)


class Notification(Base):
    """A notice for a person; its opaque id is the only thing a push message links to."""

    __tablename__ = "notification"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    kind: Mapped[str] = mapped_column(String(40))
    # Where opening it leads: a view name and its arguments, resolved when it is opened.
    target: Mapped[str] = mapped_column(String(60))
    target_args: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=now)
    read_at: Mapped[datetime | None]


class WorkerHeartbeat(Base):
    """Each running worker says it is alive here on every pass; a stalled one shows its age."""

    __tablename__ = "worker_heartbeat"
    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=now)
    seen_at: Mapped[datetime] = mapped_column(default=now, index=True)
