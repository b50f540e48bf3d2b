"""Pages compressed only for requests another site cannot cause (BREACH), and CSRF tokens masked
afresh in every page (see the README, "Performance").

BREACH reads a secret from the sizes of many compressed responses to requests the attacker makes
the victim's browser send, each carrying a guess. So a page is compressed only when the browser
says (`Sec-Fetch-Site`, a header no page can set) that the service's own pages or the user asked
for it: `same-origin` or `none`. Requests from another site (`cross-site`, `same-site`) and those
without the header (old browsers, scripts) get the page as it is. A child's step, whose every
word comes from the server, is compressed for any request. And the CSRF token a page carries is
XORed with a fresh random pad (sent beside it): no secret repeats from one response to the next.
"""
from __future__ import annotations

import base64
import gzip
import secrets

from flask import Flask, request
from flask_wtf import CSRFProtect
from flask_wtf.csrf import generate_csrf
from flask_wtf.form import _FlaskFormCSRF
from werkzeug.datastructures import ImmutableMultiDict

FIELD = "csrf_token"
HEADERS = ("HTTP_X_CSRFTOKEN", "HTTP_X_CSRF_TOKEN")  # Flask-WTF's WTF_CSRF_HEADERS, in the environ
MASKED = "m."
COMPRESSED_PAGES = {"child.step"}  # compressed whoever asks: nothing of the request is in them
# Sec-Fetch-Site of a request made by the service's own pages, or by the user (typed, a bookmark).
OWN_REQUESTS = {"same-origin", "none"}
SMALLEST = 1024  # bytes: below this a page gains less than the header costs


def mask(token: str) -> str:
    """The token XORed with a random pad of its length, sent as MASKED + base64(pad + result)."""
    raw = token.encode()
    pad = secrets.token_bytes(len(raw))
    masked = _xor(pad, raw)
    return MASKED + base64.urlsafe_b64encode(pad + masked).decode()


def unmask(value: str) -> str:
    """The token a masked value carries; an unmasked value as it is (forms outside child pages);
    an empty string for anything malformed (which then fails validation)."""
    if not value.startswith(MASKED):
        return value
    try:
        data = base64.urlsafe_b64decode(value[len(MASKED):].encode())
    except ValueError:
        return ""
    half, odd = divmod(len(data), 2)
    if odd or not half:
        return ""
    return _xor(data[:half], data[half:]).decode(errors="replace")


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(len(a), "big")


def masked_csrf_token() -> str:
    return mask(generate_csrf())


class MaskedCSRF(_FlaskFormCSRF):
    """Flask-WTF's CSRF field of a form (`{{ form.csrf_token }}`), its token masked too."""

    def generate_csrf_token(self, csrf_token_field):
        return mask(super().generate_csrf_token(csrf_token_field))


def protect_forms(app: Flask) -> None:
    """Flask-WTF's CSRF check, given the plain token of a masked one, and templates'
    `csrf_token()` masked (replacing Flask-WTF's own)."""
    @app.before_request
    def _unmask_token():
        if request.method in ("GET", "HEAD", "OPTIONS") or request.endpoint == "static":
            return
        for key in HEADERS:  # scripts send the token in a header (static/js/push.js)
            if request.environ.get(key, "").startswith(MASKED):
                request.environ[key] = unmask(request.environ[key])
        value = request.form.get(FIELD)
        if value is not None and value.startswith(MASKED):
            form = request.form.copy()
            form[FIELD] = unmask(value)
            request.form = ImmutableMultiDict(form)

    CSRFProtect(app)
    app.jinja_env.globals["csrf_token"] = masked_csrf_token
    app.context_processor(lambda: {"csrf_token": masked_csrf_token})


def init_app(app: Flask) -> None:
    @app.after_request
    def _compress(response):
        if not (request.method == "GET" and response.status_code == 200
                and response.mimetype == "text/html" and not response.direct_passthrough
                and not response.is_streamed and "Content-Encoding" not in response.headers):
            return response
        response.vary.update(("Accept-Encoding", "Sec-Fetch-Site"))
        if ((request.endpoint in COMPRESSED_PAGES
             or request.headers.get("Sec-Fetch-Site") in OWN_REQUESTS)
                and request.accept_encodings["gzip"] > 0):
            body = response.get_data()
            if len(body) >= SMALLEST:
                response.set_data(gzip.compress(body, 6, mtime=0))
                response.headers["Content-Encoding"] = "gzip"
        return response
