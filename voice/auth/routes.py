"""Sign-in with two factors, invitations, re-authentication and the person's own account."""
from __future__ import annotations

import re
import time

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import audit, db, i18n
from ..http import error_page
from ..models import CaptureSession
from ..policy import public, signed_in
from ..ratelimit.pages import too_many
from . import passwords, service, sessions
from .forms import (AcceptInvitationForm, ChangePasswordForm, CodeForm, ConfirmForm,
                    LanguageForm, ReauthForm, SignInForm)

bp = Blueprint("auth", __name__)

PENDING_SECONDS = 10 * 60
WRONG = "The email address or password is not right, or the account is locked for 15 minutes after too many tries"
# A path of this site only: no "//host" or "/\\host" (which browsers read as another site).
SAFE_NEXT = re.compile(r"/(?![/\\])[A-Za-z0-9_\-.~/%?=&]*")


def _pending_user():
    """The person who gave a right password in the last few minutes and now needs a code."""
    pending = session.get("pending")
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        return None
    user = service.find_user(pending["email"])
    if user is None or not user.active or user.id != pending["uid"] or service.is_locked(user):
        return None
    return user


def _safe_next(default: str) -> str:
    target = request.args.get("next", "")
    return target if SAFE_NEXT.fullmatch(target) else default


def _start(user) -> None:
    session.clear()
    user.failed_sign_ins = 0
    sessions.start(user)
    audit.record("account.sign_in", user, actor_id=user.id, org_id=user.org_id)


def locked_out(child_session_id: str | None = None):
    """The page shown instead of any other once the account was locked after too many wrong
    tries: the session it came from has ended. A child holding the device is asked, in their
    language, to hand it back."""
    if child_session_id:
        capture = db.session().get(CaptureSession, child_session_id)
        g.child_mode, g.child_language = True, capture.language if capture else None
        i18n.refresh()
        return error_page(403, _l("Please give the phone back to your guardian."),
                          _l("You can stop now. What you have said so far is kept safe and stays private."))
    return error_page(403, _l("Your account is locked"),
                      _l("There were too many wrong tries to sign in to your account, so it is locked for 15 minutes and you were signed out on every device. If the tries were not yours, tell your organisation's administrator."))


@bp.route("/", methods=["GET"])
@public
def home():
    return redirect(url_for("cases.index") if g.user else url_for("auth.sign_in"))


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in():
    if g.user:
        return redirect(url_for("cases.index"))
    form = SignInForm()
    if form.validate_on_submit():
        if refused := too_many("sign_in", service.normalise_email(form.email.data)):
            return refused
        user = service.check_password(form.email.data, form.password.data)
        db.keep_despite_refusal()  # the failed-try count, whatever the answer
        if user is None:
            audit.record_alone("account.sign_in", None, audit.FAILED)
            form.email.errors.append(_(WRONG))
        else:
            session["pending"] = {"uid": user.id, "email": user.email, "at": time.time()}
            step = "auth.code" if user.totp_secret else "auth.enrol"
            return redirect(url_for(step, next=request.args.get("next")))
    status = 400 if form.errors else 200
    return render_template("auth/sign_in.html", form=form, expired=request.args.get("expired")), status


@bp.route("/sign-in/code", methods=["GET", "POST"])
@public
def code():
    user = _pending_user()
    if user is None or user.totp_secret is None:
        session.pop("pending", None)
        return redirect(url_for("auth.sign_in"))
    form = CodeForm()
    if form.validate_on_submit():
        if refused := too_many("code", user.id):
            return refused
        if service.second_factor_ok(user, form.code.data):
            _start(user)
            return redirect(_safe_next(url_for("cases.index")))
        service.note_failure(user)
        db.keep_despite_refusal()
        if service.is_locked(user):
            session.pop("pending", None)
            flash(_(WRONG), "error")
            return redirect(url_for("auth.sign_in"))
        form.code.errors.append(_("The code is not right. Check your authenticator app and try again"))
    status = 400 if form.errors else 200
    return render_template("auth/code.html", form=form), status


@bp.route("/sign-in/set-up-two-factor", methods=["GET", "POST"])
@public
def enrol():
    user = _pending_user()
    if user is None or user.totp_secret is not None:
        session.pop("pending", None)
        return redirect(url_for("auth.sign_in"))
    secret = session["pending"].get("secret") or service.new_totp_secret()
    session["pending"] = {**session["pending"], "secret": secret}
    form = CodeForm()
    if form.validate_on_submit():
        if refused := too_many("code", user.id):
            return refused
        if service.verify_totp(user, secret, form.code.data):
            service.save_totp_secret(user, secret)
            codes = service.new_recovery_codes(user)
            audit.record("account.two_factor_enrol", user, actor_id=user.id, org_id=user.org_id)
            _start(user)
            return render_template("auth/recovery_codes.html", codes=codes,
                                   next=_safe_next(url_for("cases.index")))
        form.code.errors.append(_("The code is not right. Check your authenticator app and try again"))
    status = 400 if form.errors else 200
    return render_template("auth/enrol.html", form=form, secret=secret,
                           qr=service.totp_qr_svg(user, secret)), status


def _leave_nothing_on_the_device(response):
    """At sign-out the browser deletes what this site kept on the device: its caches (a child's
    session pages), IndexedDB (a child's queue) and the service worker, which the next page
    registers again."""
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/sign-out", methods=["POST"])
@public
def sign_out():
    form = ConfirmForm()
    if form.validate_on_submit() and g.user:
        audit.record("account.sign_out", g.user)
        sessions.end_current()
    session.clear()
    return _leave_nothing_on_the_device(redirect(url_for("auth.sign_in")))


@bp.route("/reauth", methods=["GET", "POST"])
@signed_in()
def reauth():
    form = ReauthForm()
    if form.validate_on_submit():
        user = g.user
        if refused := too_many("code", user.id):
            return refused
        ok = passwords.verify(user.password_hash, form.password.data) and \
            service.second_factor_ok(user, form.code.data)
        if ok:
            sessions.mark_reauthenticated()
            audit.record("account.reauth", user)
            return redirect(_safe_next(url_for("auth.account")))
        service.note_failure(user)
        audit.record("account.reauth", user, audit.FAILED)
        locked = service.is_locked(user)
        if locked:
            sessions.end_current()  # and the others at their next request
        db.keep_despite_refusal()
        if locked:
            return locked_out()
        form.code.errors.append(_("The password or the code is not right"))
    status = 400 if form.errors else 200
    return render_template("auth/reauth.html", form=form), status


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@public
def accept(token):
    # Every look at a link counts: guessing tokens is what this limit stops.
    if refused := too_many("invitation", token[:200]):
        return refused
    invitation = service.open_invitation(token)
    if invitation is None:
        audit.record_alone("invitation.accept", None, audit.FAILED)
        return render_template("auth/invitation_invalid.html"), 404
    if service.find_user(invitation.email) is not None:
        return render_template("auth/invitation_invalid.html"), 409
    form = AcceptInvitationForm()
    form.user_inputs = [invitation.email, invitation.org.name]
    if form.validate_on_submit():
        service.accept_invitation(invitation, form.display_name.data, form.new_password.data)
        session.clear()
        flash(_("Your account is ready. Sign in to set up two-factor authentication."), "success")
        return redirect(url_for("auth.sign_in"))
    status = 400 if form.errors else 200
    return render_template("auth/accept.html", form=form, invitation=invitation), status


@bp.route("/account", methods=["GET"])
@signed_in()
def account():
    language = LanguageForm(locale=g.user.locale or i18n.current())
    language.locale.choices = i18n.staff_choices()
    return render_template("auth/account.html", language=language, password=ChangePasswordForm(),
                           confirm=ConfirmForm())


@bp.route("/account/language", methods=["POST"])
@signed_in()
def language():
    form = LanguageForm()
    form.locale.choices = i18n.staff_choices()
    if form.validate_on_submit():
        g.user.locale = form.locale.data
        i18n.refresh()
        flash(_("Language saved"), "success")
    return redirect(url_for("auth.account"))


@bp.route("/account/password", methods=["POST"])
@signed_in()
def change_password():
    form = ChangePasswordForm()
    form.user_inputs = [g.user.email, g.user.display_name]
    if form.validate_on_submit():
        if passwords.verify(g.user.password_hash, form.password.data):
            g.user.password_hash = passwords.hash_password(form.new_password.data)
            ended = sessions.end_all(g.user, keep=g.auth_session)
            audit.record("account.password_change", g.user)
            flash(_("Password changed. You were signed out on %(count)d other devices.", count=ended),
                  "success")
            return redirect(url_for("auth.account"))
        form.password.errors.append(_("The current password is not right"))
    language = LanguageForm(locale=g.user.locale or i18n.current())
    language.locale.choices = i18n.staff_choices()
    return render_template("auth/account.html", language=language, password=form,
                           confirm=ConfirmForm()), 400


@bp.route("/account/sign-out-everywhere", methods=["POST"])
@signed_in()
def sign_out_everywhere():
    if ConfirmForm().validate_on_submit():
        audit.record("account.sign_out_everywhere", g.user)
        sessions.end_all(g.user)
        sessions.end_current()
        session.clear()
        return _leave_nothing_on_the_device(redirect(url_for("auth.sign_in")))
    abort(400)
