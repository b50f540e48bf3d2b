"""Rate limits: how many tries of a kind an account and an address may make in a window.

Every try is a row committed at once, so every process on the same database counts it. A try
over a limit is refused and not kept, so waiting as told is enough to be let in again.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from sqlalchemy import delete, select

from .. import db, keys
from ..models import RateLimitHit, now


def _key(kind: str, scope: str, value: str) -> str:
    return hmac.new(keys.secret(), f"{kind}\0{scope}\0{value}".encode(), hashlib.sha256).hexdigest()


def hit(kind: str, account: str, address: str | None) -> int | None:
    """Count a try: None when it may go on, else the seconds to wait before trying again."""
    per_account, per_address = keys.setting("RATE_LIMITS")[kind]
    window = timedelta(seconds=keys.setting("RATE_LIMIT_SECONDS"))
    moment = now()
    limits = {_key(kind, "account", account): per_account}
    if address:
        limits[_key(kind, "address", address)] = per_address
    with db.transaction() as unit:
        unit.execute(delete(RateLimitHit).where(RateLimitHit.at < moment - window))
        mine = [RateLimitHit(key=key, at=moment) for key in limits]
        unit.add_all(mine)
    wait = 0.0
    with db.transaction() as unit:
        for key, limit in limits.items():
            earlier = unit.scalars(
                select(RateLimitHit.at).where(RateLimitHit.key == key, RateLimitHit.at >= moment - window,
                                              RateLimitHit.id.not_in([row.id for row in mine]))
                .order_by(RateLimitHit.at.desc()).limit(limit)).all()
            if len(earlier) >= limit:  # this try would be one too many: wait for the oldest to expire
                wait = max(wait, (earlier[-1] + window - moment).total_seconds())
        if wait:
            unit.execute(delete(RateLimitHit).where(RateLimitHit.id.in_([row.id for row in mine])))
    return max(1, round(wait)) if wait else None
