"""Consent before capture (child mode, then the ICTG's record of it) and sharing item by item."""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from .. import db, i18n
from ..capture import service as capture_service
from ..models import SHARE_PRIVATE, CaptureSession
from ..policy import child, guard
from . import service
from .forms import HOW, UNDERSTOOD, ConsentDetailsForm

bp = Blueprint("consent", __name__, cli_group=None)


def _details_form(capture) -> ConsentDetailsForm:
    form = ConsentDetailsForm()
    form.interpreter_language.choices = [("", _("No interpreter"))] + [
        (code, i18n.staff_language_name(code)) for code in i18n.CHILD_LANGUAGES]
    if not form.is_submitted():
        form.present.data = service.present_now(capture)
    return form


def _agreed_key(capture) -> str:
    return f"agreed:{capture.id}"


@bp.route("/child/<session_id>/consent", methods=["GET", "POST"])
@child("session.child")
def ask(capture):
    if capture.finished_at is not None:
        return redirect(url_for("capture.done", session_id=capture.id))
    if service.has_consent(capture):
        return redirect(url_for("capture.child_start", session_id=capture.id))
    answer = request.form.get("agree") if request.method == "POST" else None
    if answer == "yes":
        session[_agreed_key(capture)] = True
        return redirect(url_for("consent.guardian", session_id=capture.id))
    if answer == "no":
        service.record_consent(capture, g.user, agreed=False, given_how="tapped",
                               interpreter_language=None, understood=None, present=None)
        return render_template("child/stop.html", capture=capture, declined=True,
                               back=url_for("consent.ask", session_id=capture.id))
    days = capture.case.provider.retention_days
    return render_template("child/consent.html", capture=capture,
                           months=max(1, round(days / 30.4)))


@bp.route("/child/<session_id>/consent/guardian", methods=["GET", "POST"])
@child("session.child")
def guardian(capture):
    """The ICTG records how the child agreed, before the first question."""
    if service.has_consent(capture) or capture.finished_at is not None:
        return redirect(url_for("capture.child_start", session_id=capture.id))
    if not session.get(_agreed_key(capture)):
        return redirect(url_for("consent.ask", session_id=capture.id))
    g.child_language = ""  # the guardian's screen is in the ICTG's language
    i18n.refresh()
    form = _details_form(capture)
    if form.validate_on_submit():
        service.record_consent(capture, g.user, agreed=True, given_how=form.given_how.data,
                               interpreter_language=form.interpreter_language.data or None,
                               understood=form.understood.data, present=form.present.data)
        session.pop(_agreed_key(capture), None)
        return redirect(url_for("capture.child_start", session_id=capture.id))
    return render_template("child/guardian.html", capture=capture, form=form), \
        400 if form.errors else 200


@bp.route("/child/<session_id>/share", methods=["GET", "POST"])
@child("session.child")
def share(capture):
    if capture.finished_at is not None:
        return redirect(url_for("capture.done", session_id=capture.id))
    if not service.has_consent(capture):
        return redirect(url_for("consent.ask", session_id=capture.id))
    items = capture_service.shown_answers(capture)
    if request.method == "POST":
        wanted = {item.answer.id: request.form.get(f"share-{item.answer.id}", SHARE_PRIVATE)
                  for item in items}
        for key in request.form:
            if key.startswith("share-") and key[len("share-"):] not in wanted:
                wanted[key[len("share-"):]] = request.form[key]
        try:
            service.choose(capture, g.user, wanted)
        except ValueError:
            abort(400)
        capture_service.finish(capture)
        return redirect(url_for("capture.done", session_id=capture.id))
    choices = service.current_choices(item.answer.id for item in items)
    return render_template("child/share.html", capture=capture, items=items, choices=choices,
                           options={item.answer.id: service.allowed_choices(item.answer)
                                    for item in items})


@bp.route("/sessions/<session_id>/consent", methods=["GET", "POST"])
@guard("consent.record", CaptureSession, arg="session_id", as_="capture")
def record(capture):
    """A correction to how consent was given: a new record; the earlier ones stay."""
    form = _details_form(capture)
    if form.validate_on_submit():
        latest = service.latest_consent(capture)
        service.record_consent(capture, g.user, agreed=latest is not None and latest.agreed,
                               given_how=form.given_how.data,
                               interpreter_language=form.interpreter_language.data or None,
                               understood=form.understood.data, present=form.present.data)
        db.session().commit()
        return redirect(url_for("capture.session", session_id=capture.id))
    return render_template("consent/record.html", capture=capture, case=capture.case, form=form,
                           history=service.consent_history(capture), how=HOW,
                           understood=UNDERSTOOD), 400 if form.errors else 200
