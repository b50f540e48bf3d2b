"""Server-side sessions: a row per signed-in device, found by a hash of a random 256-bit id.

The cookie holds only the random id. Idle timeout and absolute lifetime are checked on every
request; signing out deletes the row, so a copied cookie is useless afterwards. A lock after
too many wrong tries ends every session started before it.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import Response, current_app, g, request
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from .. import db
from ..models import AuthSession, CaptureSession, User, now
from . import service


def cookie_name() -> str:
    return "__Host-voice" if current_app.config["SECURE_COOKIES"] else "voice"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(user: User) -> str:
    """Create a session for user; the caller sets the returned token as the cookie."""
    token = secrets.token_urlsafe(32)
    db.session().add(AuthSession(token_hash=_hash(token), user_id=user.id))
    g.new_session_token = token
    return token


def load() -> None:
    """Find the current request's session and person, ending it when it has expired or the
    account was locked since it started (then g.locked_out is set, to say so)."""
    g.auth_session = g.user = None
    token = request.cookies.get(cookie_name())
    if not token:
        return
    session = db.session()
    row = session.scalar(select(AuthSession).where(AuthSession.token_hash == _hash(token))
                         .options(joinedload(AuthSession.user),
                                  joinedload(AuthSession.child_session)
                                  .joinedload(CaptureSession.case)))
    if row is None:
        return
    config, moment = current_app.config, now()
    idle = moment - row.last_seen_at > timedelta(seconds=config["SESSION_IDLE_SECONDS"])
    old = moment - row.created_at > timedelta(seconds=config["SESSION_ABSOLUTE_SECONDS"])
    locked = service.locked_since(row.user, row.created_at)
    if idle or old or not row.user.active or locked:
        g.locked_out, g.locked_out_child = locked, row.child_session_id
        session.delete(row)
        db.keep_despite_refusal()  # it ends even if this request is refused
        g.session_ended = True
        return
    if moment - row.last_seen_at > timedelta(seconds=30):
        row.last_seen_at = moment
        # Kept whatever the answer, and at once: no write lock stays open through the request
        # (an audited refusal is written in a transaction of its own).
        db.keep_despite_refusal()
    g.auth_session, g.user = row, row.user


def end_current() -> None:
    if g.get("auth_session") is not None:
        db.session().execute(delete(AuthSession).where(AuthSession.id == g.auth_session.id))
    g.auth_session = g.user = None
    g.session_ended = True


def end_all(user: User, keep: AuthSession | None = None) -> int:
    query = delete(AuthSession).where(AuthSession.user_id == user.id)
    if keep is not None:
        query = query.where(AuthSession.id != keep.id)
    return db.session().execute(query).rowcount


def mark_reauthenticated() -> None:
    g.auth_session.reauth_at = now()


def set_cookie(response: Response) -> Response:
    token = g.get("new_session_token")
    secure = current_app.config["SECURE_COOKIES"]
    if token:
        response.set_cookie(cookie_name(), token, httponly=True, secure=secure, samesite="Lax",
                            path="/")
    elif g.get("session_ended"):
        response.delete_cookie(cookie_name(), path="/", secure=secure, httponly=True,
                               samesite="Lax")
    return response
