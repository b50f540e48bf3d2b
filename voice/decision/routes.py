"""Staff pages for the panel's message to the child: its translation into the child's language,
and handing the device over to show it ("What the panel decided" is a child page)."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import i18n
from ..capture import media
from ..capture import service as capture_service
from ..models import CaptureSession, Case
from ..panel import service as panel
from ..policy import allowed, guard
from ..readaloud import service as readaloud
from ..review.routes import PROVENANCE_LABELS
from . import service
from .forms import TranslationForm

bp = Blueprint("decision", __name__, cli_group=None)


@bp.app_context_processor
def _helpers():
    return {"message_for_child": _for_case_page}


def _for_case_page(case: Case) -> dict | None:
    """On the case page, for the case team: the decision waiting to be told, its translations
    and the sessions it can be shown in."""
    outcome = panel.awaiting_feedback(case)
    if outcome is None:
        return None
    rows = service.translations(outcome)
    languages = {row.language for row in rows}
    sessions = [s for s in capture_service.for_case(case)
                if s.language in languages and allowed(g.user, "decision.show", s)]
    return {"translations": [(row, PROVENANCE_LABELS.get(row.provenance, "")) for row in rows],
            "sessions": sessions}


@bp.route("/cases/<case_id>/message-for-child", methods=["GET", "POST"])
@guard("message.translate", Case)
def translate(case):
    outcome = panel.awaiting_feedback(case)
    if outcome is None:
        flash(_("There is no decision waiting to be told to the child."), "info")
        return redirect(url_for("cases.show", case_id=case.id))
    sessions = capture_service.for_case(case)
    form = TranslationForm(language=sessions[0].language if sessions else None)
    form.language.choices = [(c, i18n.staff_language_name(c)) for c in i18n.CHILD_LANGUAGES]
    if form.validate_on_submit():
        upload = request.files.get("recording")
        try:
            cleaned = readaloud.clean(upload.stream) if upload and upload.filename else None
        except media.Refused as refused:
            form.recording.errors = [str(refused.message)]
        else:
            try:
                service.save(case, outcome, form.language.data, form.message.data,
                             form.provenance.data, g.user, cleaned)
            finally:
                if cleaned is not None:
                    cleaned.discard()
            flash(_("Translation saved. The ICTG can now show it to the child."), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    if not form.is_submitted():
        existing = service.translation(outcome, form.language.data or "")
        if existing is not None:
            form.message.data = service.read(case, existing)
            form.provenance.data = existing.provenance
    view = next(v for v in panel.outcomes_for_case(case, read=True) if v.outcome.id == outcome.id)
    return render_template("decision/translate.html", case=case, form=form, view=view,
                           max_seconds=readaloud.MAX_SECONDS), \
        400 if form.errors or form.recording.errors else 200


@bp.route("/sessions/<session_id>/decision", methods=["POST"])
@guard("decision.show", CaptureSession, arg="session_id", as_="capture")
def hand_over(capture):
    if service.to_show(capture) is None:
        flash(_("There is no translated message from the panel to show in this language."),
              "info")
        return redirect(url_for("cases.show", case_id=capture.case_id))
    capture_service.lock_device(capture, g.auth_session)
    return redirect(url_for("child.decision_page", session_id=capture.id))
