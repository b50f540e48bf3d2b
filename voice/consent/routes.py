"""The ICTG's record of how the child gave consent, and corrections to it (the child's own
consent and sharing steps are in `voice.child`)."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for


from ..models import CaptureSession
from ..policy import guard
from . import service
from .forms import HOW, UNDERSTOOD, details_form

bp = Blueprint("consent", __name__, cli_group=None)


@bp.route("/sessions/<session_id>/consent", methods=["GET", "POST"])
@guard("consent.record", CaptureSession, arg="session_id", as_="capture")
def record(capture):
    """A correction to how consent was given: a new record; the earlier ones stay."""
    form = details_form(capture)
    if form.validate_on_submit():
        latest = service.latest_consent(capture)
        service.record_consent(capture, g.user, agreed=latest is not None and latest.agreed,
                               given_how=form.given_how.data,
                               interpreter_language=form.interpreter_language.data or None,
                               understood=form.understood.data, present=form.present.data,
                               limits_explained=latest is not None and latest.limits_explained)
        return redirect(url_for("capture.session", session_id=capture.id))
    return render_template("consent/record.html", capture=capture, case=capture.case, form=form,
                           history=service.consent_history(capture), how=HOW,
                           understood=UNDERSTOOD), 400 if form.errors else 200
