"""Re-wrapping every case key and every KEK-sealed secret under a new key-encryption key.

The processes run with the new key (VOICE_KEK) and the old one (VOICE_KEK_PREVIOUS): they seal
under the new key and open under either, so the service keeps running while `rotate-kek` works.
Each batch is a transaction of its own and each row is written only if it still holds what was
read (a row changed meanwhile is already under the new key); a value already under the new key
is skipped, so a rotation stopped half way is finished by running it again. When it reports that
nothing is left, the old key can be dropped.
"""
from __future__ import annotations

from sqlalchemy import select, update

from .. import audit, db, keys
from ..crypto import case_key_purpose, rewrap
from ..models import Case, PushSubscription, User, WebhookEndpoint

# Every value sealed by the key-encryption key: (model, column, its purpose from the row's id).
SEALED = (
    (Case, "wrapped_key", case_key_purpose),
    (Case, "legal_hold_reason", lambda id_: f"case:{id_}:legal_hold_reason"),
    (Case, "erase_reason", lambda id_: f"case:{id_}:erase_reason"),
    (User, "totp_secret", lambda id_: f"totp:{id_}"),
    (WebhookEndpoint, "secret", lambda id_: f"webhook-secret:{id_}"),
    (WebhookEndpoint, "previous_secret", lambda id_: f"webhook-secret:{id_}"),
    (PushSubscription, "auth", lambda id_: f"push-auth:{id_}"),
)


class NoPreviousKey(Exception):
    """No previous key is configured: there is nothing to rotate from."""


def rotate(batch: int = 200) -> int:
    """Re-wrap every value still under the previous key; returns how many were re-wrapped."""
    ring = keys.kek()
    if not ring.previous:
        raise NoPreviousKey()
    rewrapped = 0
    for model, name, purpose in SEALED:
        column, after = getattr(model, name), ""
        while True:
            with db.transaction() as session:
                rows = session.execute(select(model.id, column).where(
                    column.is_not(None), model.id > after).order_by(model.id).limit(batch)).all()
                for row_id, blob in rows:
                    sealed = rewrap(ring, blob, purpose(row_id))
                    if sealed is not None:
                        rewrapped += session.execute(
                            update(model).where(model.id == row_id, column == blob)
                            .values({name: sealed})).rowcount
            if len(rows) < batch:
                break
            after = rows[-1][0]
    audit.record("kek.rotate")
    db.commit_unit()
    return rewrapped
