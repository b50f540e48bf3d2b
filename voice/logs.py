"""Logs as JSON lines: one line per request, and the worker's lines the same way.

A request's line holds its time, a request id, the route's name (the endpoint, never the URL:
URLs carry ids and query strings), the status, the duration and the signed-in person's opaque
id. Never a name, an email, a child's words, a token or a query string. Werkzeug's own request
line (the development server's, with the full URL) is turned off: this one replaces it.
"""
from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, g, request
from flask.logging import default_handler
from pythonjsonlogger.json import JsonFormatter

request_log = logging.getLogger("voice.requests")
# An id the TLS proxy set (X-Request-ID) is kept only when it looks like one.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def formatter() -> logging.Formatter:
    return JsonFormatter("{asctime}{levelname}{name}{message}", style="{",
                         rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                         datefmt="%Y-%m-%dT%H:%M:%S%z")


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is when the line is written (a test may capture it)."""

    def __init__(self):
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def configure() -> None:
    """JSON lines on standard error for every `voice` logger; idempotent."""
    logger = logging.getLogger("voice")
    if not any(isinstance(h, _Stderr) for h in logger.handlers):
        handler = _Stderr()
        handler.setFormatter(formatter())
        logger.addHandler(handler)
    logger.removeHandler(default_handler)
    if logger.level == logging.NOTSET or logger.level > logging.INFO:
        logger.setLevel(logging.INFO)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def init_app(app: Flask) -> None:
    """Call first in the factory: the line is written after every other after-request step."""
    configure()
    app.logger.removeHandler(default_handler)

    @app.before_request
    def _start():
        g.request_started = time.perf_counter()
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex

    @app.after_request
    def _line(response):
        if request.endpoint == "static" or "request_started" not in g:
            return response
        response.headers["X-Request-ID"] = g.request_id
        user = g.get("user")
        request_log.info("request", extra={
            "request_id": g.request_id,
            "method": request.method,
            "route": request.endpoint,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 1),
            "person": user.id if user is not None else None,
        })
        return response
