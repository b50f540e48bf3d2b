"""Pages compressed where the size of a response can tell an attacker nothing (BREACH), and CSRF
tokens masked afresh in every page (see the README, "Performance").

BREACH reads a secret from the size of compressed responses that carry the secret next to text
the attacker chose. So a page is compressed only when it is one of COMPRESSED_PAGES: GETs whose
every word comes from the server (a child's step: its path must name a step of the device's own
session, and its query only picks among fixed values), never a page reflecting the request. And
the CSRF token a page carries is XORed with a fresh random pad (sent beside it): no secret repeats
from one response to the next, so there is nothing to guess byte by byte.
"""
from __future__ import annotations

import base64
import gzip
import secrets

from flask import Flask, request
from flask_wtf import CSRFProtect
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import ImmutableMultiDict

FIELD = "csrf_token"
HEADERS = ("HTTP_X_CSRFTOKEN", "HTTP_X_CSRF_TOKEN")  # Flask-WTF's WTF_CSRF_HEADERS, in the environ
MASKED = "m."
COMPRESSED_PAGES = {"child.step"}
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
        if (request.method == "GET" and request.endpoint in COMPRESSED_PAGES
                and response.status_code == 200 and response.mimetype == "text/html"
                and not response.direct_passthrough and "Content-Encoding" not in response.headers
                and request.accept_encodings["gzip"] > 0):
            body = response.get_data()
            if len(body) >= SMALLEST:
                response.set_data(gzip.compress(body, 6, mtime=0))
                response.headers["Content-Encoding"] = "gzip"
        if request.endpoint in COMPRESSED_PAGES:
            response.vary.add("Accept-Encoding")
        return response
