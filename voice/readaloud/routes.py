"""The interpreters' pages: coverage of each questionnaire by language, recording each prompt,
hint and option label in the browser, and checking someone else's recordings."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import audit, i18n
from ..auth.forms import ConfirmForm
from ..capture import media
from ..capture.service import questionnaires
from ..forms import Form
from ..models import User
from ..policy import capable, guard, signed_in
from . import service
from .files import filename, recording_response

bp = Blueprint("readaloud", __name__, cli_group=None)


@bp.record_once
def _setup(state):
    state.app.jinja_env.globals.update(readaloud_file=filename, read_aloud_recorded=_recorded)


def _recorded() -> dict[str, list[str]]:
    """For the hand-over pages: the languages each questionnaire has checked recordings in."""
    return {q.id: service.languages_with_recordings(q) for q in questionnaires().values()}


@bp.route("/read-aloud")
@signed_in("readaloud.record")
def index():
    tables = [(q, service.coverage(q, i18n.CHILD_LANGUAGES)) for q in questionnaires().values()]
    return render_template("readaloud/index.html", tables=tables)


def _questionnaire_and_language(questionnaire_id: str, language: str):
    questionnaire = service.questionnaire(questionnaire_id)
    if questionnaire is None or language not in i18n.CHILD_LANGUAGES:
        abort(404)
    return questionnaire


def _page(questionnaire, language, errors=None, status=200):
    return render_template(
        "readaloud/record.html", questionnaire=questionnaire, language=language,
        parts=service.parts(questionnaire), found=service.recordings(questionnaire, language),
        errors=errors or {}, form=Form(), max_seconds=service.MAX_SECONDS), status


@bp.route("/read-aloud/<questionnaire_id>/<language>")
@signed_in("readaloud.record")
def record_page(questionnaire_id, language):
    questionnaire = _questionnaire_and_language(questionnaire_id, language)
    return _page(questionnaire, language)


@bp.route("/read-aloud/<questionnaire_id>/<language>/record", methods=["POST"])
@signed_in("readaloud.record")
def record(questionnaire_id, language):
    questionnaire = _questionnaire_and_language(questionnaire_id, language)
    part = next((p for p in service.parts(questionnaire) if p.key == request.form.get("part")),
                None)
    if part is None or not Form().validate_on_submit():
        abort(400)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(questionnaire, language, {part.key: _("Record the words, or choose a sound "
                                                           "file")}, 400)
    try:
        service.save(questionnaire, language, part, upload.stream, g.user)
    except media.Refused as refused:
        return _page(questionnaire, language, {part.key: str(refused.message)}, 400)
    flash(_("Recording saved. Someone else must now check it."), "success")
    return redirect(url_for("readaloud.record_page", questionnaire_id=questionnaire.id,
                            language=language, _anchor=f"part-{part.key}"))


@bp.route("/read-aloud/<questionnaire_id>/<language>/check", methods=["POST"])
@signed_in("readaloud.record")
def check(questionnaire_id, language):
    questionnaire = _questionnaire_and_language(questionnaire_id, language)
    row = service.recordings(questionnaire, language).get(request.form.get("part", ""))
    if row is None or not Form().validate_on_submit():
        abort(400)
    try:
        service.check(row, g.user)
    except service.CheckRefused:
        flash(_("Someone other than the person who recorded it must check a recording."), "error")
    else:
        flash(_("Marked as checked: children will hear this recording."), "success")
    return redirect(url_for("readaloud.record_page", questionnaire_id=questionnaire.id,
                            language=language, _anchor=f"part-{row.part}"))


@bp.route("/read-aloud/file/<digest>.<extension>")
@signed_in("readaloud.record")
def recording(digest, extension):
    return recording_response(digest, extension)


@bp.route("/organisation/people/<user_id>/interpreter", methods=["POST"])
@guard("person.manage", User, arg="user_id", as_="person")
def grant(person):
    """The provider's org admin grants (or takes back) the interpreter capability."""
    if not capable(g.user, "interpreters.grant") or not ConfirmForm().validate_on_submit():
        abort(403)
    person.interpreter = not person.interpreter
    audit.record("person.interpreter_grant" if person.interpreter else
                 "person.interpreter_revoke", person)
    flash(_("They can now record read-aloud prompts and translate the panel's message.")
          if person.interpreter else _("They are no longer an interpreter here."), "success")
    return redirect(url_for("admin.person", user_id=person.id))
