"""Security headers on every response, friendly error pages that reveal nothing, static files
served by WhiteNoise under hashed names, and uploads spooled into encrypted temporary files (see
encrypted_tempfile.py)."""
from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path

from flask import Flask, abort, g, render_template, request
from flask import Request as FlaskRequest
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.formparser import FormDataParser, MultiPartParser
from whitenoise import WhiteNoise

from . import compression, encrypted_tempfile

CSP = "; ".join([
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "worker-src 'self'",
    "manifest-src 'self'",
])
# An SVG opened on its own: it loads nothing, and nothing may frame it.
SVG_CSP = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
PERMISSIONS = "geolocation=(), camera=(self), microphone=(self), payment=(), usb=(), interest-cohort=()"
MANIFEST_CHECK_SECONDS = 1.0
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": PERMISSIONS,
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=63072000; includeSubDomains"
# A static file named after its content (NAME.HASH.EXT, written by scripts/build_assets.py)
# never changes: browsers keep it a year without asking again. Any other static URL (the
# unhashed names, e.g. the icon the service worker shows) is kept a minute.
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$")
IMMUTABLE = "public, max-age=31536000, immutable"
UNHASHED_MAX_AGE = 60

ERRORS = {
    400: (_l("Something was wrong with that request"),
          _l("Go back, check what you entered and try again.")),
    401: (_l("You need to sign in"), _l("Sign in to continue.")),
    403: (_l("You cannot do that"),
          _l("Your account does not allow this. If you think it should, ask your organisation's administrator.")),
    404: (_l("Page not found"),
          _l("If you typed the web address, check it is correct. If you followed a link, it may have expired or you may not have access.")),
    405: (_l("Something was wrong with that request"),
          _l("Go back, check what you entered and try again.")),
    409: (_l("That cannot be done now"), _l("Go back and try again.")),
    413: (_l("The file or form is too large"),
          _l("Go back and choose a smaller file.")),
    429: (_l("Too many tries"), _l("Wait a few minutes, then try again.")),
    500: (_l("Sorry, there is a problem with the service"),
          _l("Nothing you entered has been lost. Try again later.")),
}


# A multipart body is read from the server in pieces of BODY_READ (Werkzeug's 64 KiB made
# gunicorn copy again, on every read, all it had received ahead: a quarter of a 25 MB upload's
# time) and parsed in pieces of PARSE_PIECE (the parser holds at most MAX_FORM_MEMORY_SIZE).
BODY_READ = 1024 * 1024
PARSE_PIECE = 256 * 1024


class _FormDataParser(FormDataParser):
    def _parse_multipart(self, stream, mimetype, content_length, options):
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        piece = min(PARSE_PIECE, (self.max_form_memory_size or PARSE_PIECE * 2) // 2)
        parser = MultiPartParser(stream_factory=self.stream_factory,
                                 max_form_memory_size=self.max_form_memory_size,
                                 max_form_parts=self.max_form_parts, cls=self.cls,
                                 buffer_size=piece)
        buffered = io.BufferedReader(stream, BODY_READ)
        try:
            form, files = parser.parse(buffered, boundary, content_length)
        finally:
            buffered.detach()  # the request's own stream stays open
        return stream, form, files


class Request(FlaskRequest):
    """Uploaded files are spooled into encrypted temporary files, never into plaintext ones."""

    form_data_parser_class = _FormDataParser

    def _get_file_stream(self, total_content_length, content_type, filename=None,
                         content_length=None):
        return encrypted_tempfile.create()


def init_app(app: Flask) -> None:
    app.request_class = Request
    serve_static_files(app)
    compression.init_app(app)

    @app.after_request
    def _headers(response):
        response.headers.update(SECURITY_HEADERS)
        if not request.path.startswith("/static/") and \
                response.headers.get("Cache-Control") != IMMUTABLE:
            # No page is cached: any may show a child's data, or a signed-in person's. Only a
            # file named by its content that holds nothing of a child (a read-aloud recording)
            # is marked immutable by its view.
            response.headers["Cache-Control"] = "no-store"
        if not app.config["DEVELOPMENT"]:
            response.headers["Strict-Transport-Security"] = HSTS
        return response

    @app.errorhandler(HTTPException)
    def _http_error(error):
        if error.code is None or error.code < 400:
            return error
        return error_page(error.code)

    @app.errorhandler(CSRFError)
    def _csrf_error(_error):
        return error_page(400, _l("The form had expired"),
                          _l("Go back, reload the page and try again. Nothing was saved."))

    @app.errorhandler(Exception)
    def _unexpected(error):
        app.logger.exception("unhandled error on %s %s", request.method, request.url_rule)
        return error_page(500)


def error_page(code: int, title=None, body=None):
    default_title, default_body = ERRORS.get(code, ERRORS[400 if code < 500 else 500])
    template = "child/error.html" if g.get("child_mode") else "error.html"
    g.pop("picture_sprite", None)  # a step's sprite lacks the error page's picture
    return render_template(template, code=code, title=title or default_title,
                           body=body or default_body), code


def page_number() -> int:
    """The `?page=` of a long list (1 when absent); anything but a whole number is not found."""
    value = request.args.get("page", "1")
    if not value.isdigit():
        abort(404)
    return int(value)


def serve_static_files(app: Flask) -> None:
    """WhiteNoise answers /static/ before Flask: hashed names cached for a year, the brotli or
    gzip copy the build wrote beside a file when the browser accepts it. url_for("static",
    filename=NAME) gives the hashed name of NAME that static/build/manifest.json records (the
    plain name when the build has none, e.g. a file added since the last `make assets`).

    Pages are compressed only where that is safe from BREACH (compression.py)."""
    manifest = Path(app.static_folder) / "build" / "manifest.json"
    names = {"mtime": None, "static": {}, "checked": -MANIFEST_CHECK_SECONDS}

    def hashed(filename: str) -> str:
        # A page names some 20 static files: the manifest is looked at once a second at most.
        if time.monotonic() - names["checked"] >= MANIFEST_CHECK_SECONDS:
            names["checked"] = time.monotonic()
            try:
                mtime = manifest.stat().st_mtime
            except FileNotFoundError:
                mtime = None
            if names["mtime"] != mtime:  # read again after each `make assets`
                names.update(mtime=mtime, static={} if mtime is None else
                             json.loads(manifest.read_text())["static"])
        return names["static"].get(filename, filename)

    @app.url_defaults
    def _hashed_static_name(endpoint, values):
        if endpoint == "static" and "filename" in values:
            values["filename"] = hashed(values["filename"])

    def headers(headers, _path, url):
        # A stylesheet, script or font is no document: its policy headers would be ignored, and
        # on a phone each costs bytes. An SVG opened on its own is a document: it keeps them.
        headers["X-Content-Type-Options"] = "nosniff"
        if url.endswith(".svg"):
            headers["Content-Security-Policy"] = SVG_CSP
            for name in ("Referrer-Policy", "Permissions-Policy"):
                headers[name] = SECURITY_HEADERS[name]
        if HASHED_NAME.search(url):
            headers["Cache-Control"] = IMMUTABLE
            del headers["Last-Modified"], headers["ETag"]  # never asked for again
        if not app.config["DEVELOPMENT"]:
            headers["Strict-Transport-Security"] = HSTS

    app.wsgi_app = WhiteNoise(app.wsgi_app, root=app.static_folder,
                              prefix=app.static_url_path, max_age=UNHASHED_MAX_AGE,
                              autorefresh=app.config["DEVELOPMENT"], allow_all_origins=False,
                              add_headers_function=headers)
