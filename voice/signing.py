"""Everything voice signs or verifies: signed links and Standard Webhooks signatures.

Links are signed with HMAC-SHA256 under a key derived from the service's secret for one purpose,
so a signature made for one purpose is worthless for another. Webhooks follow the Standard
Webhooks scheme: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the endpoint's
secret; a request may carry several signatures (during a secret rotation) and one must match.
"""
from __future__ import annotations

import base64
import hashlib
import hmac

from . import keys

WEBHOOK_SECRET_PREFIX = "whsec_"


def _key(purpose: str) -> bytes:
    return hmac.new(keys.secret(), b"voice:" + purpose.encode(), hashlib.sha256).digest()


def sign(purpose: str, message: str) -> str:
    return hmac.new(_key(purpose), message.encode(), hashlib.sha256).hexdigest()


def verify(purpose: str, message: str, signature: str | None) -> bool:
    return hmac.compare_digest(sign(purpose, message), signature or "")


def _webhook_digest(key: bytes, webhook_id: str, timestamp: int | str, body: bytes) -> bytes:
    return hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()


def webhook_key(secret: str) -> bytes:
    value = secret.removeprefix(WEBHOOK_SECRET_PREFIX)
    return base64.b64decode(value + "=" * (-len(value) % 4))


def webhook_signature(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    digest = _webhook_digest(webhook_key(secret), webhook_id, timestamp, body)
    return "v1," + base64.b64encode(digest).decode()


def webhook_verified(keys_: list[bytes], webhook_id: str, timestamp: str, body: bytes,
                     header: str) -> bool:
    """Whether any `v1,` signature in the header matches the body under any of the keys."""
    expected = [_webhook_digest(key, webhook_id, timestamp, body) for key in keys_]
    for part in header.split():
        version, _, value = part.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except ValueError:
            continue
        if any(hmac.compare_digest(given, digest) for digest in expected):
            return True
    return False
