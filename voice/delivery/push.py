"""Web Push and in-app notices, with no personal data in what leaves the service.

`notify(user_ids, kind)` records a notice for each person and queues a push message for each of
their devices with notifications turned on; the worker sends it. A push message holds only a
fixed title and text chosen by the kind, in the person's language, and a link
`/notifications/<opaque id>` that needs sign-in and then leads to the right page: no name, no
words of the child, no case id.
"""
from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from py_vapid import Vapid
from sqlalchemy import delete, select

from .. import db, keys
from ..crypto import open_with_kek, seal_with_kek
from ..i18n import STAFF_LANGUAGES
from ..models import (ADVOCATE, ICTG, ORG_ADMIN, PANEL_MEMBER, PUSH, Notification, OutboxDelivery,
                      PushSubscription, User, new_id, now)
from . import outbound

FEEDBACK_ARRIVED = "feedback_arrived"
SESSION_READY_FOR_REVIEW = "session_ready_for_review"
SUMMARY_ARRIVED = "summary_arrived"
ENDPOINT_DISABLED = "endpoint_disabled"
DELIVERY_GAVE_UP = "delivery_gave_up"
SAFEGUARDING_ICTG, SAFEGUARDING_ADMIN = "safeguarding_concern", "safeguarding_concern_admin"
SAFETY_ALERT, SAFETY_ALERT_ESCALATED = "safety_alert", "safety_alert_escalated"
_CONCERN = _l("A safeguarding concern was raised about a child. Sign in to voice to read it.")

# Who hears of what, and the only words a push message carries.
KINDS = {
    FEEDBACK_ARRIVED: (ICTG, _l("The panel's feedback has arrived. Sign in to voice to read it.")),
    SESSION_READY_FOR_REVIEW: (ADVOCATE, _l("A session is ready for your review. Sign in to voice to see it.")),
    SUMMARY_ARRIVED: (PANEL_MEMBER, _l("A summary has arrived for your agenda. Sign in to voice to read it.")),
    ENDPOINT_DISABLED: (ORG_ADMIN, _l("A case record endpoint was turned off because it answered "
                                      "that it is gone. Sign in to voice to check it.")),
    SAFEGUARDING_ICTG: (ICTG, _CONCERN),
    SAFEGUARDING_ADMIN: (ORG_ADMIN, _CONCERN),
    DELIVERY_GAVE_UP: (ORG_ADMIN, _l("voice could not deliver an event to your case record "
                                     "system after 3 days of trying. Sign in to voice to check it.")),
    # The case's ICTG and the provider's safeguarding leads, whatever their role.
    SAFETY_ALERT: (None, _l("A child may not be safe. Sign in to voice now to see the alert.")),
    SAFETY_ALERT_ESCALATED: (ORG_ADMIN, _l("A safety alert is still waiting for someone to act "
                                           "on it. Sign in to voice now to see it.")),
}
# For operators (logs), not people: said at the worker's start and at each push not sent.
NOT_CONFIGURED = ("Web Push keys are not set (VOICE_VAPID_PRIVATE_KEY, VOICE_VAPID_PUBLIC_KEY; "
                  "make them with `flask --app voice vapid-keys`): notices stay in voice but "
                  "no device is told")
TITLE = _l("voice")
NOTIFICATION_PATH = "/notifications/{}"
TTL = 24 * 60 * 60      # the push service keeps an undelivered message for a day
URGENCY = "normal"
GIVE_UP_AFTER = timedelta(days=1)


def text(kind: str, locale: str | None = None) -> tuple[str, str]:
    """The title and text for a kind, in the given staff language (else English)."""
    with force_locale(locale if locale in STAFF_LANGUAGES else "en"):
        return str(TITLE), str(KINDS[kind][1])


def configured() -> bool:
    config = current_app.config
    return bool(config.get("VAPID_PRIVATE_KEY") and config.get("VAPID_PUBLIC_KEY"))


def public_key() -> str | None:
    return current_app.config.get("VAPID_PUBLIC_KEY") if configured() else None


def notify(user_ids, kind: str, target: str = "cases.index",
           target_args: dict | None = None, session=None) -> list[Notification]:
    """A notice for each person (of the role the kind is for, if it names one) and a push to each
    of their devices.

    `target` and `target_args` name the page the notice opens (a view and its arguments). In the
    caller's transaction: nothing is committed here.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind}")
    session = session or db.session()
    role = KINDS[kind][0]
    query = select(User).where(User.id.in_(list(user_ids)), User.active.is_(True))
    users = session.scalars(query if role is None else query.where(User.role == role)).all()
    moment = now()
    notices = []
    for user in users:
        notice = Notification(id=new_id(), user_id=user.id, kind=kind, target=target,
                              target_args=target_args or {}, created_at=moment)
        session.add(notice)
        notices.append(notice)
        if not configured():
            continue
        for subscription in session.scalars(select(PushSubscription).where(
                PushSubscription.user_id == user.id)):
            session.add(OutboxDelivery(kind=PUSH, notification_id=notice.id,
                                       subscription_id=subscription.id, next_attempt_at=moment,
                                       give_up_at=moment + GIVE_UP_AFTER, created_at=moment))
    return notices


def payload(notice: Notification, user: User) -> bytes:
    title, body = text(notice.kind, user.locale)
    return json.dumps({"title": title, "body": body,
                       "url": NOTIFICATION_PATH.format(notice.id)}).encode()


def recent_notices(user: User, limit: int = 20) -> list[Notification]:
    return list(db.session().scalars(select(Notification).where(
        Notification.user_id == user.id).order_by(Notification.created_at.desc()).limit(limit)))


def open_notice(notice: Notification) -> None:
    if notice.read_at is None:
        notice.read_at = now()


# --- subscriptions ---------------------------------------------------------------------------

def _b64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _endpoint_hash(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()


def subscribe(user: User, endpoint: str, p256dh: str, auth: str, device: str = "") -> PushSubscription | None:
    """Store this device's subscription for user; None when it is not a usable one."""
    if not isinstance(endpoint, str) or len(endpoint) > 1000:
        return None
    try:
        outbound.check(endpoint)
        key, secret = _b64url(p256dh), _b64url(auth)
    except (outbound.Refused, ValueError, TypeError):
        return None
    if len(key) != 65 or key[0] != 4 or len(secret) != 16:
        return None
    session = db.session()
    found = session.scalar(select(PushSubscription).where(
        PushSubscription.endpoint_hash == _endpoint_hash(endpoint)))
    if found is not None and found.user_id != user.id:
        # The browser was someone else's before: it now belongs to the person who turned it on.
        session.delete(found)
        session.flush()
        found = None
    subscription = found or PushSubscription(id=new_id(), user_id=user.id, endpoint=endpoint,
                                             endpoint_hash=_endpoint_hash(endpoint))
    subscription.p256dh = p256dh
    subscription.auth = seal_with_kek(keys.kek(), secret, f"push-auth:{subscription.id}")
    subscription.device = (device or "").strip()[:100]
    session.add(subscription)
    return subscription


def unsubscribe(user: User, endpoint: str | None = None, subscription_id: str | None = None) -> bool:
    query = delete(PushSubscription).where(PushSubscription.user_id == user.id)
    if endpoint is not None:
        query = query.where(PushSubscription.endpoint_hash == _endpoint_hash(endpoint))
    elif subscription_id is not None:
        query = query.where(PushSubscription.id == subscription_id)
    else:
        return False
    return db.session().execute(query).rowcount > 0


def devices(user: User) -> list[PushSubscription]:
    return list(db.session().scalars(select(PushSubscription).where(
        PushSubscription.user_id == user.id).order_by(PushSubscription.created_at)))


def device_hashes(user: User) -> list[str]:
    """SHA-256 of each device's push endpoint: lets the page tell whether this browser is one."""
    return [d.endpoint_hash for d in devices(user)]


def subscription_info(subscription: PushSubscription) -> dict:
    auth = open_with_kek(keys.kek(), subscription.auth, f"push-auth:{subscription.id}")
    return {"endpoint": subscription.endpoint,
            "keys": {"p256dh": subscription.p256dh,
                     "auth": base64.urlsafe_b64encode(auth).decode().rstrip("=")}}


# --- VAPID -----------------------------------------------------------------------------------

def generate_vapid_keys() -> tuple[str, str]:
    """(private, public): the raw P-256 private number and the uncompressed public point, both
    base64url without padding, as browsers and pywebpush expect them."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962,
                                           serialization.PublicFormat.UncompressedPoint)
    encode = lambda raw: base64.urlsafe_b64encode(raw).decode().rstrip("=")  # noqa: E731
    return encode(private), encode(public)


def vapid():
    return Vapid.from_raw(current_app.config["VAPID_PRIVATE_KEY"].encode())


def claims() -> dict:
    """A new claims dict for every send: pywebpush fills it in place."""
    return {"sub": current_app.config.get("VAPID_SUBJECT") or "mailto:admin@localhost"}
