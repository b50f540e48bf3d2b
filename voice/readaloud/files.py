"""Serving a read-aloud recording: public service content named by its hash, cached a year."""
from __future__ import annotations

from flask import Response, abort

from ..http import IMMUTABLE
from . import service


def recording_response(digest: str, extension: str) -> Response:
    row = service.by_digest(digest)
    if row is None or service.EXTENSIONS.get(row.media_type) != extension:
        abort(404)
    response = Response(row.content, mimetype=row.media_type)
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def filename(row) -> str:
    return f"{row.digest}.{service.EXTENSIONS[row.media_type]}"
