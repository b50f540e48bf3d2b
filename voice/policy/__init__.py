"""The one permission policy: may this person do this to this record?

Every view declares its access with exactly one of the decorators below; a view without a
declaration is refused (deny by default) and the route sweep test fails. Record routes load the
record through `guard`, which answers 404 when the person may not know the record exists and 403
when they know it but may not do this, and writes the refusal to the audit trail.
"""
from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from .. import audit, db, i18n, keys
from ..models import CaptureSession, User, now
from .rules import CAPABILITIES, CASE_OF, KNOWING, NAVIGATION, RULES

# --- decisions -------------------------------------------------------------------------------

def allowed(user: User | None, action: str, record) -> bool:
    if user is None or not user.active:
        return False
    rule = RULES.get(type(record), {}).get(action)
    if rule is None:
        return False
    case_of = CASE_OF.get(type(record))
    if case_of is not None and case_of(record).erased_at is not None and action != "case.audit":
        return False
    return bool(rule(user, record))


def may_know(user: User | None, record) -> bool:
    return any(allowed(user, action, record) for action in KNOWING.get(type(record), ()))


def capable(user: User | None, capability: str) -> bool:
    """May this person do something that concerns no one record (see rules.CAPABILITIES)?"""
    return user is not None and user.active and bool(CAPABILITIES[capability](user))


def may(action: str, record=None) -> bool:
    """For templates and views: may the current person do `action` (to `record`)?"""
    user = g.get("user")
    return allowed(user, action, record) if record is not None else capable(user, action)


def navigation() -> list[tuple[str, str]]:
    """The current person's menu: (endpoint, label) for each entry they have the capability for."""
    user = g.get("user")
    if user is None:
        return []
    return [(endpoint, str(label)) for capability, endpoint, label in NAVIGATION
            if capability is None or capable(user, capability)]


def needs_reauth() -> bool:
    """Whether the person has not re-entered their password and a code in the last few minutes."""
    row = g.get("auth_session")
    return row is None or now() - row.reauth_at > timedelta(seconds=keys.setting("REAUTH_SECONDS"))


# --- declarations on views -------------------------------------------------------------------

def _declare(view, access: str, **details):
    view.access = access
    view.access_details = details
    return view


def public(view):
    """Open to anyone, signed in or not (sign-in, invitations, health, static pages)."""
    return _declare(view, "public")


def public_on_any_device(view):
    """Open to anyone, a device in child mode too: what the browser itself fetches for the site
    (the service worker, the web app manifest), which holds nothing of anyone."""
    return _declare(view, "public", child_mode=True)


def signed_in(capability: str | None = None, fresh: str | None = None):
    """Any signed-in person, or only those with the capability; no child's record involved.

    With `fresh` (the endpoint of the page the action is taken from) the person must have
    re-entered their password and a code in the last few minutes: see `require_fresh`.
    """
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            _require_user(capability)
            if fresh:
                require_fresh(fresh)
            return view(*args, **kwargs)
        return _declare(wrapper, "signed_in", capability=capability, fresh=fresh)
    return decorate


def guard(action: str, model: type, arg: str = "case_id", as_: str = "case",
          fresh: str | None = None):
    """Load `model` by the URL variable `arg` and check `action` on it for the current person.

    The loaded record is passed to the view as `as_`. With `fresh` (the endpoint of the page the
    action is taken from, for the same record) the person must have re-entered their password
    and a code in the last few minutes: see `require_fresh`.
    """
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            _require_user()
            record_id = kwargs.pop(arg)
            record = db.session().get(model, record_id)
            check(action, record)
            if fresh:
                require_fresh(fresh, **{arg: record_id})
            kwargs[as_] = record
            return view(*args, **kwargs)
        return _declare(wrapper, "record", action=action, model=model, arg=arg, fresh=fresh)
    return decorate


def require_fresh(back: str, **values) -> None:
    """Stop here unless the person re-entered their password and a code in the last few minutes.

    Otherwise they are asked to, then brought back to the page `back` (an endpoint, with the URL
    variables `values`): the page the action is taken from, where they take it again. What they
    had entered is not carried along, and the page to come back to is a path of this site.
    """
    if not needs_reauth():
        return
    if request.method == "POST":
        flash(_("Nothing has been changed yet. Once you have confirmed it is you, you will go back "
                "to the page to do it again."))
    abort(redirect(url_for("auth.reauth", next=url_for(back, **values))))


def child(action: str):
    """A page of child mode, for the capture session named by the URL variable `session_id`.

    The device must be locked to exactly that session (else 404, as for every other page in
    child mode), and `action` must be allowed on the session for the ICTG who started it. The
    session is passed to the view as `capture`, and the page speaks the session's language.
    """
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            _require_user()
            session_id = kwargs.pop("session_id")
            device = g.get("auth_session")
            if device is None or device.child_session_id != session_id:
                abort(404)
            record = db.session().get(CaptureSession, session_id,
                                      options=[joinedload(CaptureSession.case)])
            if record is None or record.started_by_id != device.user_id or \
                    not allowed(record.started_by, action, record):
                audit.record_alone(action, record, audit.DENIED)
                abort(404)
            g.child_language = record.language
            i18n.refresh()
            kwargs["capture"] = record
            return view(*args, **kwargs)
        return _declare(wrapper, "child", action=action)
    return decorate


def check(action: str, record) -> None:
    """Abort with 404 or 403 unless the current person may do `action` to `record`."""
    user = g.get("user")
    if record is None or not may_know(user, record):
        audit.record_alone(action, record if record is not None else None, audit.DENIED)
        abort(404)
    if not allowed(user, action, record):
        audit.record_alone(action, record, audit.DENIED)
        abort(403)


def _require_user(capability: str | None = None) -> None:
    user = g.get("user")
    if user is None:
        if request.method == "GET":
            abort(redirect(url_for("auth.sign_in")))
        abort(401)
    if not user.active or (capability is not None and not capable(user, capability)):
        abort(403)


