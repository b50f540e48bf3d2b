"""The device's side of a session offline: the sealing key, sealed items, resumable uploads.

The queue (static/js/queue.js) asks for the session's public key once (it keeps it: it only
seals), posts each sealed item to /items, and sends recordings and pictures, sealed too, with
the tus 1.0 core protocol (creation, HEAD for the offset, PATCH with Upload-Offset).
Everything here is declared with `policy.child`, like every other page of the child's device.
"""
from __future__ import annotations

import base64

from flask import g, jsonify, make_response, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from ..consent.forms import ConsentDetailsForm
from ..i18n import CHILD_LANGUAGES
from ..offline import service as offline
from ..policy import child
from .routes import bp

TUS_VERSION = "1.0.0"


@bp.record_once
def _setup(state):
    # The staff session page says what arrived from the device (templates/capture/_offline.html).
    state.app.jinja_env.globals.update(offline_report=offline.report)


@bp.route("/child/<session_id>/key")
@child("session.child")
def queue_key(capture):
    response = jsonify(session=capture.id, key=offline.public_key(capture))
    response.headers["Cache-Control"] = "no-store"
    return response


def _consent_details(capture, payload):
    """The consent item's details, checked by the ICTG's own form; None when not valid."""
    form = ConsentDetailsForm(formdata=MultiDict({k: str(payload.get(k) or "") for k in (
        "given_how", "interpreter_language", "understood", "present")}), meta={"csrf": False})
    form.interpreter_language.choices = [("", "")] + [(code, code) for code in CHILD_LANGUAGES]
    if not form.validate():
        return None
    return {"given_how": form.given_how.data,
            "interpreter_language": form.interpreter_language.data or None,
            "understood": form.understood.data, "present": form.present.data}


@bp.route("/child/<session_id>/items", methods=["POST"])
@child("session.child")
def queue_item(capture):
    body = request.get_json(silent=True) or {}
    item_id = str(body.get("id") or "")
    try:
        if offline.already(capture, item_id):
            return jsonify(id=item_id, status="duplicate")
        item = offline.open_item(capture, item_id, str(body.get("sealed") or ""))
        details = _consent_details(capture, item.payload) if item.kind == "consent" else None
        status = offline.accept(capture, g.user, item, details)
    except offline.Refused as refused:
        message = str(refused.message) if refused.message is not None else (
            _("Your answers are saved on this phone. They will be sent after you agree.")
            if refused.code == "no-consent" else "")
        return jsonify(id=item_id, error=refused.code, keep=refused.keep,
                       message=message), 409 if refused.keep else 422
    return jsonify(id=item_id, status=status)


# --- tus 1.0 core, with the creation extension -------------------------------------------------

def _empty(status, **headers):
    """An answer without a body, as the protocol has them (header names: _ for -)."""
    response = make_response("", status)
    response.headers["Tus-Resumable"] = TUS_VERSION
    response.headers["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response.headers[name.replace("_", "-")] = str(value)
    return response


def _metadata() -> dict[str, str]:
    pairs = {}
    for part in request.headers.get("Upload-Metadata", "").split(","):
        key, _space, value = part.strip().partition(" ")
        try:
            pairs[key] = base64.b64decode(value).decode() if value else ""
        except ValueError:
            continue
    return pairs


def _version_ok() -> bool:
    return request.headers.get("Tus-Resumable") == TUS_VERSION


@bp.route("/child/<session_id>/uploads", methods=["OPTIONS", "POST"])
@child("session.child")
def uploads(capture):
    if request.method == "OPTIONS":
        return _empty(204, Tus_Version=TUS_VERSION, Tus_Extension="creation",
                      Tus_Max_Size=offline.UPLOAD_MAX)
    if not _version_ok():
        return _empty(412, Tus_Version=TUS_VERSION)
    meta = _metadata()
    try:
        length = int(request.headers.get("Upload-Length", ""))
    except ValueError:
        return _empty(400)
    if length > offline.UPLOAD_MAX:
        return _empty(413)
    try:
        upload = offline.create_upload(capture, meta.get("item", ""), meta.get("form", ""), length)
    except offline.Refused:
        return _empty(400)
    return _empty(201, Location=url_for("child.upload", session_id=capture.id,
                                        upload_id=upload.id), Upload_Offset=upload.offset)


@bp.route("/child/<session_id>/uploads/<upload_id>", methods=["HEAD", "PATCH"])
@child("session.child")
def upload(capture, upload_id):
    found = offline.upload_of(capture, upload_id)
    if found is None:
        return _empty(404)
    if not _version_ok():
        return _empty(412, Tus_Version=TUS_VERSION)
    if request.method == "HEAD":
        return _empty(200, Upload_Offset=found.offset, Upload_Length=found.length)
    if request.mimetype != "application/offset+octet-stream":
        return _empty(415)
    offset = request.headers.get("Upload-Offset", "")
    if not offset.isdigit():
        return _empty(400)
    try:
        new_offset = offline.append(capture, found, int(offset), request.stream)
    except ValueError as error:  # not the offset the server has, or past the declared length
        return _empty(409 if str(error) == "offset" else 413, Upload_Offset=found.offset)
    return _empty(204, Upload_Offset=new_offset)
