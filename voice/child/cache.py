"""A child's session without signal: what the device keeps for it, and the page shown offline.

When the ICTG hands the device over, the page asks the service worker (static/js/
service-worker.js) to keep the session's pages: it reads `offline.json` and stores each file
and page in a cache of that session only (`voice-session-<id>`). The pages are the steps as
they are before any answer (`?blank=1`: no child's words, nothing read from the record), so
nothing the child says is kept there. Add what else a session needs offline to `offline_urls`.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, jsonify, render_template, url_for

from ..capture import pictures as pictograms
from ..capture import service
from ..policy import child
from ..readaloud import service as readaloud
from ..readaloud.files import filename as recording_name

bp = Blueprint("offline", __name__)


def prompt_audio(step, language: str) -> str | None:
    """The recorded prompt for a step in this language, when the questionnaire has one on disk."""
    if not step.audio:
        return None
    for extension in ("mp3", "ogg", "webm", "m4a"):
        relative = f"audio/{language}/{step.audio}.{extension}"
        if (Path(current_app.static_folder) / relative).is_file():
            return url_for("static", filename=relative)
    return None


def recording_url(session_id: str, row) -> str:
    """A checked read-aloud recording as this session's device fetches it (a device in child mode
    reaches only /child/ URLs)."""
    return url_for("child.recording", session_id=session_id, name=recording_name(row))


def _step_pages(capture) -> list[str]:
    pages = []
    for step in service.questionnaire_of(capture).steps:
        page = url_for("child.step", session_id=capture.id, step_id=step.id)
        forms = service.answer_forms(step)
        pages.append(page)
        if step.kind != "info" and len(forms) > 1:  # each way of answering is a page of its own
            pages += [url_for("child.step", session_id=capture.id, step_id=step.id, form=way)
                      for way in forms]
    return pages


def _files(capture) -> list[str]:
    """The sprites of every picture a child's page may show, the recorded prompts shipped with
    the questionnaire and the interpreters' checked recordings in the session's language."""
    questionnaire = service.questionnaire_of(capture)
    audio = [prompt_audio(step, capture.language) for step in questionnaire.steps]
    recorded = [recording_url(capture.id, row)
                for row in readaloud.checked(questionnaire, capture.language).values()]
    sprites = [pictograms.SPRITE] + [pictograms.step_sprite(capture.questionnaire_id, step.id)
                                     for step in questionnaire.steps]
    return [url_for("static", filename=sprite) for sprite in sprites] + \
        [url for url in audio if url] + recorded


def offline_urls(capture) -> dict:
    """What the device keeps for this session: files kept as they are, and pages, each kept
    under the URL the child opens (`url`) from a blank rendering of it (`fetch`)."""
    pages = [url_for("child.consent_step", session_id=capture.id),
             url_for("child.offline.page", session_id=capture.id)] + _step_pages(capture)
    return {
        "files": _files(capture),
        "pages": [{"url": page, "fetch": page + ("&" if "?" in page else "?") + "blank=1"}
                  for page in pages],
    }


@bp.route("/child/<session_id>/offline.json")
@child("session.child")
def session_list(capture):
    return jsonify(offline_urls(capture))


@bp.route("/child/<session_id>/offline")
@child("session.child")
def page(capture):
    steps = service.questionnaire_of(capture).steps
    return render_template("child/offline.html", capture=capture,
                           first=url_for("child.step", session_id=capture.id, step_id=steps[0].id))
