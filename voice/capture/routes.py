"""Child mode, the staff side: the ICTG starts a session from a case and hands over the device,
sees a session's answers and their versions, and opens media through the permission-checked
route. What the child's device reaches is `voice.child`."""
from __future__ import annotations



from flask import Blueprint, g, redirect, render_template, url_for
from flask_babel import gettext as _

from .. import audit, i18n

from ..consent import service as consent
from .files import media_response
from ..models import AnswerVersion, CaptureSession, Case
from ..policy import allowed, guard
from . import service
from .forms import StartSessionForm

bp = Blueprint("capture", __name__, cli_group=None)


@bp.record_once
def _setup(state):
    service.questionnaires()  # a broken questionnaire stops start-up
    state.app.jinja_env.globals.update(capture_sessions_for=service.for_case)

# --- staff -----------------------------------------------------------------------------------

@bp.route("/cases/<case_id>/sessions/new", methods=["GET", "POST"])
@guard("session.start", Case)
def start(case):
    form = StartSessionForm()
    choices = service.choices_for(case)
    form.questionnaire.choices = [(q.id, _("%(title)s (%(bands)s, version %(version)d)",
                                             title=_(q.title), bands=", ".join(q.age_bands),
                                             version=q.version)) for q in choices]
    preferred = [c for c in case.languages if c in i18n.CHILD_LANGUAGES]
    form.language.choices = [(c, i18n.staff_language_name(c)) for c in preferred] + \
        [(c, i18n.staff_language_name(c)) for c in i18n.CHILD_LANGUAGES if c not in preferred]
    if not form.is_submitted() and len(choices) == 1:
        form.questionnaire.data = choices[0].id
    if form.validate_on_submit():
        capture = service.start(case, g.user, service.questionnaires()[form.questionnaire.data],
                                form.language.data, form.present.data, form.pin.data or None)
        service.lock_device(capture, g.auth_session)
        return redirect(url_for("child.consent_step", session_id=capture.id))
    return render_template("capture/start.html", form=form, case=case), 400 if form.errors else 200


@bp.route("/sessions/<session_id>")
@guard("session.read", CaptureSession, arg="session_id", as_="capture")
def session(capture):
    rows = service.history(capture)
    audit.record("session.read", capture, case_id=capture.case_id)
    ids = [answer.id for _step, answer, _versions in rows]
    return render_template(
        "capture/session.html", capture=capture, case=capture.case, rows=rows,
        questionnaire=service.questionnaire_of(capture),
        consents=consent.consent_history(capture), choices=consent.current_choices(ids),
        sharing=consent.sharing_history(ids),
        present=service.present_at_start(capture),
        can_resume=allowed(g.user, "session.resume", capture),
        can_record_consent=allowed(g.user, "consent.record", capture))


@bp.route("/sessions/<session_id>/resume", methods=["POST"])
@guard("session.resume", CaptureSession, arg="session_id", as_="capture")
def resume(capture):
    service.lock_device(capture, g.auth_session)
    return redirect(url_for("child.start", session_id=capture.id))


@bp.route("/media/<version_id>")
@guard("answer.media", AnswerVersion, arg="version_id", as_="version")
def media_file(version):
    return media_response(version)
