"""The web side of rate limits: the client's address and the page shown when a limit is hit."""
from __future__ import annotations

import math

from flask import current_app, make_response, request
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from ..http import error_page
from . import service


def client_address() -> str | None:
    """The address the request came from: the one the TLS proxy added to X-Forwarded-For when
    PROXY_HOPS proxies stand in front (the entries before it are the client's to invent)."""
    hops = current_app.config.get("PROXY_HOPS", 1)
    forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",")
                 if part.strip()]
    if hops and len(forwarded) >= hops:
        return forwarded[-hops]
    return request.remote_addr


def too_many(kind: str, account: str):
    """Count a try of `kind` about `account`: None when it may go on, else the 429 page (which
    says when to try again, and nothing about whether the account exists)."""
    wait = service.hit(kind, account, client_address())
    if wait is None:
        return None
    minutes = math.ceil(wait / 60)
    response = make_response(error_page(429, _l("Too many tries"), ngettext(
        "There were too many tries in a short time. You can try again in %(num)d minute.",
        "There were too many tries in a short time. You can try again in %(num)d minutes.",
        minutes)))
    response.headers["Retry-After"] = str(wait)
    return response
