"""Everything a child's device can reach: the one place to audit the untrusted side.

Every page here lives under /child/<session id>/ and is declared with `policy.child`: the device
must be locked to exactly that session (after the ICTG handed it over), else the page does not
exist. Consent comes first, then one step per screen, "This is what you told me", sharing item by
item, stop, done, the neutral "hidden" screen, the picture credits, leaving child mode (the
PIN or the ICTG's password), the read-aloud recordings, and "What the panel decided". This
package uses the capture, consent, read-aloud and decision services and their forms, never a
staff page.
"""
from __future__ import annotations

from flask import (Blueprint, Response, abort, g, redirect, render_template, request, session,
                   stream_with_context, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import audit, db, i18n
from ..auth import sessions
from ..capture import given, media
from ..capture import pictures as pictograms
from ..capture import service
from ..consent import service as consent
from ..consent.forms import details_form
from ..decision import service as decision
from ..readaloud import service as readaloud
from ..readaloud.files import filename as recording_name
from ..readaloud.files import recording_response
from ..capture.files import media_response
from ..models import SHARE_PRIVATE, AnswerVersion, CaptureSession
from ..policy import child
from ..ratelimit.pages import too_many
from . import cache
from .cache import prompt_audio, recording_url

bp = Blueprint("child", __name__, cli_group=None)
bp.register_blueprint(cache.bp)


@bp.record_once
def _setup(state):
    state.app.jinja_env.globals.update(picture=pictograms.show, picture_url=pictograms.url,
                                       picture_label=pictograms.label, read_aloud=read_aloud)


FORM_PICTURES = {"text": "keyboard", "voice": "microphone", "drawing": "draw", "photo": "camera"}
FORM_LABELS = {"text": _l("Write it"), "voice": _l("Say it"), "drawing": _l("Draw it"),
               "photo": _l("Use a photo")}


@bp.app_context_processor
def _child_context():
    """In child mode every page (error pages too) speaks the session's language."""
    device = g.get("auth_session")
    if not g.get("child_mode") or device is None or not device.child_session_id:
        return {}
    if "child_language" not in g:
        capture = db.session().get(CaptureSession, device.child_session_id)
        if capture is not None:
            g.child_language = capture.language
            i18n.refresh()
    return {"child_session_id": device.child_session_id}


# --- the questions ------------------------------------------------------------------------------

def _steps(capture):
    return service.questionnaire_of(capture).steps


def _step_url(capture, index):
    steps = _steps(capture)
    if index >= len(steps):
        return url_for("child.review", session_id=capture.id)
    return url_for("child.step", session_id=capture.id, step_id=steps[index].id)


def _back(capture) -> str:
    """The child's page to return to: one of this session's own pages, else its start."""
    back = request.args.get("back", "")
    return back if back.startswith(f"/child/{capture.id}/") else url_for(
        "child.start", session_id=capture.id)


def _gate(capture):
    """Where the child must go instead: the consent step first, the end once finished."""
    if capture.finished_at is not None:
        return redirect(url_for("child.done", session_id=capture.id))
    if not consent.has_consent(capture):
        return redirect(url_for("child.consent_step", session_id=capture.id))
    return None


@bp.route("/child/<session_id>")
@child("session.child")
def start(capture):
    gate = _gate(capture)
    if gate is not None:
        return gate
    answered = service.answers(capture)
    steps = _steps(capture)
    for index, step in enumerate(steps):
        if step.id not in answered and step.kind != "info":
            # Start where the child left off: after the last answered step.
            last = max((i for i, s in enumerate(steps) if s.id in answered), default=-1)
            return redirect(_step_url(capture, last + 1 if last >= 0 else 0))
    return redirect(url_for("child.review", session_id=capture.id))


@bp.route("/child/<session_id>/step/<step_id>", methods=["GET", "POST"])
@child("session.child")
def step(capture, step_id):
    # The step as it is before any answer, for the device to keep for offline use (offline.py).
    blank = request.method == "GET" and request.args.get("blank") == "1"
    gate = None if blank else _gate(capture)
    if gate is not None:
        return gate
    steps = _steps(capture)
    index = next((i for i, s in enumerate(steps) if s.id == step_id), None)
    if index is None:
        abort(404)
    current = steps[index]
    pictograms.for_step(capture.questionnaire_id, current.id)
    from_review = request.values.get("from") == "review"
    after = url_for("child.review", session_id=capture.id) if from_review else \
        _step_url(capture, index + 1)
    latest = None if blank else service.latest_version(capture, current.id)
    forms = service.answer_forms(current)
    chosen = request.values.get("form")
    if chosen == "choose" and len(forms) > 1:
        chosen = None
    elif chosen not in forms:
        chosen = forms[0] if len(forms) == 1 else (
            latest.form if latest is not None and latest.form in forms else None)
    error, status, typed = None, 200, None
    if request.method == "POST" and current.kind != "info":
        try:
            saved = _save_step(capture, current, chosen, latest)
        except service.TooLong as refused:  # the child's words go back into the form
            error, status, typed = refused.message, 400, request.form.get("text")
        except media.Refused as refused:
            error, status = refused.message, 400
        else:
            if saved is not False:
                return redirect(after)
            error, status = _("Please choose how you want to answer."), 400
    value = service.value_of(latest) if latest is not None and latest.form != "cleared" else None
    if latest is not None:
        audit.record("answer.read", latest, case_id=capture.case_id)
    return render_template(
        "child/step.html", capture=capture, step=current, index=index, total=len(steps),
        back=_step_url(capture, index - 1) if index > 0 else None, after=after,
        from_review=from_review, latest=latest if latest and latest.form != "cleared" else None,
        value=value, chosen=chosen, forms=forms, error=error, typed=typed,
        text_max=service.TEXT_MAX, form_pictures=FORM_PICTURES, form_labels=FORM_LABELS), status


def _save_step(capture, current, chosen, latest):
    """Store what the child gave for this step; False when no way of answering was chosen."""
    if chosen is None:
        return False
    upload = request.files.get("file")
    cleaned = None
    if chosen not in ("feelings", "choice", "text") and upload is not None and upload.filename:
        cleaned = (media.clean_audio if chosen == "voice" else media.clean_image)(upload.stream)
    given.store(capture, current, chosen, latest, options=request.form.getlist("option"),
                text=request.form.get("text"), cleaned=cleaned)
    return True


@bp.route("/child/<session_id>/review")
@child("session.child")
def review(capture):
    gate = _gate(capture)
    if gate is not None:
        return gate
    steps = _steps(capture)
    return render_template("child/review.html", capture=capture,
                           items=service.shown_answers(capture),
                           back=_step_url(capture, len(steps) - 1))


@bp.route("/child/<session_id>/media/<version_id>")
@child("session.child")
def child_media(capture, version_id):
    version = db.session().get(AnswerVersion, version_id)
    if version is None or version.answer.session_id != capture.id:
        abort(404)
    return media_response(version)


@bp.route("/child/<session_id>/stop")
@child("session.child")
def stop(capture):
    audit.record("session.stop", capture, case_id=capture.case_id)
    return render_template("child/stop.html", capture=capture, back=_back(capture))


@bp.route("/child/<session_id>/done")
@child("session.child")
def done(capture):
    if capture.finished_at is None:
        return redirect(url_for("child.start", session_id=capture.id))
    return render_template("child/done.html", capture=capture)


@bp.route("/child/<session_id>/hidden")
@child("session.leave")
def cover(capture):
    return render_template("child/cover.html", capture=capture, back=_back(capture))


@bp.route("/child/<session_id>/pictures")
@child("session.leave")
def pictures(capture):
    return render_template("child/pictures.html", capture=capture, back=_back(capture))


@bp.route("/child/<session_id>/leave", methods=["GET", "POST"])
@child("session.leave")
def leave(capture):
    # The guardian's screen: in the ICTG's own language, not the child's.
    g.child_language = ""
    i18n.refresh()
    error = None
    if request.method == "POST":
        if refused := too_many("pin", capture.id):
            return refused
        outcome = service.unlock(capture, g.auth_session, request.form.get("secret", ""))
        if outcome == "ended":
            sessions.end_current()
        db.keep_despite_refusal()  # a wrong try counts, whatever the answer
        if outcome == "ok":
            return redirect(url_for("capture.session", session_id=capture.id))
        if outcome == "ended":
            return redirect(url_for("auth.sign_in"))
        error = _("That is not right. After %(count)d more wrong tries this device will be signed out.",
                  count=service.UNLOCK_TRIES - capture.wrong_unlocks)
    return render_template("child/leave.html", capture=capture, error=error,
                           has_pin=capture.pin_hash is not None), 400 if error else 200


# --- consent and sharing ---

def _agreed_key(capture) -> str:
    return f"agreed:{capture.id}"


@bp.route("/child/<session_id>/consent", methods=["GET", "POST"])
@child("session.child")
def consent_step(capture):
    if capture.finished_at is not None:
        return redirect(url_for("child.done", session_id=capture.id))
    if consent.has_consent(capture):
        return redirect(url_for("child.start", session_id=capture.id))
    answer = request.form.get("agree") if request.method == "POST" else None
    if answer == "yes":
        session[_agreed_key(capture)] = True
        return redirect(url_for("child.guardian", session_id=capture.id))
    if answer == "no":
        consent.record_consent(capture, g.user, agreed=False, given_how="tapped",
                               interpreter_language=None, understood=None, present=None,
                               limits_explained=True)
        return render_template("child/stop.html", capture=capture, declined=True,
                               back=url_for("child.consent_step", session_id=capture.id))
    days = capture.case.provider.retention_days
    return render_template("child/consent.html", capture=capture,
                           months=max(1, round(days / 30.4)))


@bp.route("/child/<session_id>/consent/guardian", methods=["GET", "POST"])
@child("session.child")
def guardian(capture):
    """The ICTG records how the child agreed, before the first question."""
    if consent.has_consent(capture) or capture.finished_at is not None:
        return redirect(url_for("child.start", session_id=capture.id))
    if not session.get(_agreed_key(capture)):
        return redirect(url_for("child.consent_step", session_id=capture.id))
    g.child_language = ""  # the guardian's screen is in the ICTG's language
    i18n.refresh()
    form = details_form(capture)
    if form.validate_on_submit():
        consent.record_consent(capture, g.user, agreed=True, given_how=form.given_how.data,
                               interpreter_language=form.interpreter_language.data or None,
                               understood=form.understood.data, present=form.present.data,
                               limits_explained=True)
        session.pop(_agreed_key(capture), None)
        return redirect(url_for("child.start", session_id=capture.id))
    return render_template("child/guardian.html", capture=capture, form=form), \
        400 if form.errors else 200


@bp.route("/child/<session_id>/share", methods=["GET", "POST"])
@child("session.child")
def share(capture):
    if capture.finished_at is not None:
        return redirect(url_for("child.done", session_id=capture.id))
    if not consent.has_consent(capture):
        return redirect(url_for("child.consent_step", session_id=capture.id))
    items = service.shown_answers(capture)
    if request.method == "POST":
        wanted = {item.answer.id: request.form.get(f"share-{item.answer.id}", SHARE_PRIVATE)
                  for item in items}
        for key in request.form:
            if key.startswith("share-") and key[len("share-"):] not in wanted:
                wanted[key[len("share-"):]] = request.form[key]
        try:
            consent.choose(capture, g.user, wanted)
        except ValueError:
            abort(400)
        service.finish(capture)
        return redirect(url_for("child.done", session_id=capture.id))
    choices = consent.current_choices(item.answer.id for item in items)
    return render_template("child/share.html", capture=capture, items=items, choices=choices,
                           options={item.answer.id: consent.allowed_choices(item.answer)
                                    for item in items})


# --- read aloud ---------------------------------------------------------------------------------

def read_aloud(capture, step, with_options: bool) -> list[str]:
    """What the read-aloud button plays for a step, in order: the checked recordings of its
    prompt, hint and (when shown) option labels; else a recorded prompt shipped with the
    questionnaire; else nothing (then the device's voice reads the words, if it has one)."""
    found = readaloud.checked_for_step(service.questionnaire_of(capture), capture.language, step)
    if f"{step.id}:prompt" in found:
        keys = [f"{step.id}:prompt", f"{step.id}:hint"]
        keys += [f"{step.id}:option:{option.id}" for option in step.options] if with_options \
            else []
        return [recording_url(capture.id, found[key]) for key in keys if key in found]
    shipped = prompt_audio(step, capture.language)
    return [shipped] if shipped else []


@bp.route("/child/<session_id>/read-aloud/<name>")
@child("session.leave")
def recording(capture, name):
    digest, _dot, extension = name.partition(".")
    return recording_response(digest, extension)


# --- what the panel decided ------------------------------------------------------------------

def _to_show(capture):
    found = decision.to_show(capture)
    if found is None:
        abort(404)
    return found


@bp.route("/child/<session_id>/decision")
@child("decision.show")
def decision_page(capture):
    _outcome, row = _to_show(capture)
    audio = [url_for("child.decision_recording", session_id=capture.id)] \
        if row.media_file_id else []
    return render_template("child/decision.html", capture=capture, audio=audio,
                           message=decision.read(capture.case, row))


@bp.route("/child/<session_id>/decision/recording")
@child("decision.show")
def decision_recording(capture):
    """The panel's message read aloud: the child's, so never cached."""
    _outcome, row = _to_show(capture)
    try:
        chunks = decision.recording(capture.case, row)
    except LookupError:
        abort(404)
    response = Response(stream_with_context(chunks), mimetype=row.media_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Length"] = str(row.media_bytes)
    return response


@bp.route("/child/<session_id>/decision/shown", methods=["GET", "POST"])
@child("decision.show")
def decision_shown(capture):
    outcome, _row = _to_show(capture)
    g.child_language = ""  # the guardian's screen is in the ICTG's language
    i18n.refresh()
    if request.method == "POST":
        decision.record_shown(capture, outcome, g.user)
        return redirect(url_for("child.leave", session_id=capture.id))
    return render_template("child/decision_shown.html", capture=capture)
