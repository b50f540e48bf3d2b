"""Page speed against a bare Flask page, served the same way in one run.

Measures requests per second with the WSGI app called in-process (no network noise), in rounds
that alternate between targets, and prints medians and the ratio to the bare page.
"""
from __future__ import annotations

import base64
import os
import statistics
import tempfile
import time

from flask import Flask

ROUNDS, REQUESTS = 7, 200


def _rate(client, url, cookie=None) -> float:
    start = time.perf_counter()
    for _ in range(REQUESTS):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    return REQUESTS / (time.perf_counter() - start)


def main() -> None:
    from voice import create_app, db, migrate
    from voice.demo import seed

    folder = tempfile.mkdtemp(prefix="voice-bench-")
    url = f"sqlite:///{folder}/bench.sqlite3"
    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": folder, "MEDIA_PATH": f"{folder}/media",
                      "SECRET_KEY": base64.b64encode(os.urandom(32)).decode(),
                      "KEY_ENCRYPTION_KEY": base64.b64encode(os.urandom(32)).decode(),
                      "SECURE_COOKIES": False, "DEVELOPMENT": True})
    with app.app_context():
        seed()
    bare = Flask("bare")

    @bare.route("/")
    def hello():
        return "<!DOCTYPE html><title>bare</title><p>Hello</p>"

    staff = app.test_client()
    with app.test_request_context():
        from voice.auth import sessions
        from voice.auth.service import find_user
        token = sessions.start(find_user("ictg@voice.example"))
        db.session().commit()
    staff.set_cookie("voice", token, domain="localhost")
    targets = {"bare Flask page": (bare.test_client(), "/"),
               "sign-in page": (app.test_client(), "/sign-in"),
               "case list (signed in, decrypts names)": (staff, "/cases/"),
               "health check": (app.test_client(), "/healthz")}
    rates = {name: [] for name in targets}
    for _ in range(ROUNDS):
        for name, (client, path) in targets.items():
            rates[name].append(_rate(client, path))
    base = statistics.median(rates["bare Flask page"])
    print(f"{'target':<40} {'median req/s':>12} {'vs bare':>8}")
    for name, values in rates.items():
        median = statistics.median(values)
        print(f"{name:<40} {median:>12.0f} {median / base:>8.2f}")
