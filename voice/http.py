"""Security headers on every response, friendly error pages that reveal nothing, and uploads
spooled into encrypted temporary files (see encrypted_tempfile.py)."""
from __future__ import annotations

from flask import Flask, g, render_template, request
from flask import Request as FlaskRequest
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from . import encrypted_tempfile

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
PERMISSIONS = "geolocation=(), camera=(self), microphone=(self), payment=(), usb=(), interest-cohort=()"

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


class Request(FlaskRequest):
    """Uploaded files are spooled into encrypted temporary files, never into plaintext ones."""

    def _get_file_stream(self, total_content_length, content_type, filename=None,
                         content_length=None):
        return encrypted_tempfile.create()


def init_app(app: Flask) -> None:
    app.request_class = Request

    @app.after_request
    def _headers(response):
        headers = response.headers
        headers["Content-Security-Policy"] = CSP
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        headers["Permissions-Policy"] = PERMISSIONS
        headers["X-Frame-Options"] = "DENY"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if not request.path.startswith("/static/"):
            # No page is cached: any may show a child's data, or a signed-in person's.
            headers["Cache-Control"] = "no-store"
        if not app.config["DEVELOPMENT"]:
            headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
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
    return render_template(template, code=code, title=title or default_title,
                           body=body or default_body), code

