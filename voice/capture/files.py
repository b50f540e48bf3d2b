"""Serving a child's file (an answer version's media) to a person the policy let through."""
from __future__ import annotations

from flask import Response, abort, stream_with_context

from .service import media_file


def media_response(version) -> Response:
    """A child's file (an answer version's media), decrypted as it streams; never cached.

    The read is audited by `capture.service.media_file`; a version without a file is a 404.
    """
    try:
        chunks, name = media_file(version)
    except LookupError:
        abort(404)
    response = Response(stream_with_context(chunks), mimetype=version.media_type)
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    if version.media_bytes is not None:
        response.headers["Content-Length"] = str(version.media_bytes)
    return response
