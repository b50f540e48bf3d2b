"""Page speed against a bare Flask page, served the same way in one run.

Measures requests per second with the WSGI app called in-process (no network noise), in rounds
that alternate between targets, and prints medians and the ratio to the bare page.
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from flask import Flask

ROUNDS, REQUESTS = 7, 200


def _rate(client, url) -> float:
    start = time.perf_counter()
    for _ in range(REQUESTS):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    return REQUESTS / (time.perf_counter() - start)


def main() -> None:
    from accessibility.lighthouse import demo_app

    app, pages = demo_app(Path(tempfile.mkdtemp(prefix="voice-bench-")), ("ar",))
    _label, child_step, cookie, _options = pages[0]
    _label, _case, staff_cookie, _options = pages[-1]
    child = app.test_client()
    child.set_cookie(*cookie.split("=", 1), domain="localhost")
    staff = app.test_client()
    staff.set_cookie(*staff_cookie.split("=", 1), domain="localhost")
    size = len(child.get(child_step).data)
    bare = Flask("bare")

    @bare.route("/")
    def hello():
        return "<!DOCTYPE html><title>bare</title><p>Hello</p>"

    @bare.route("/sized")
    def sized():
        return "<!DOCTYPE html><title>bare</title><p>" + "x" * (size - 35)

    targets = {"bare Flask page": (bare.test_client(), "/"),
               "bare Flask page, child step's size": (bare.test_client(), "/sized"),
               "sign-in page": (app.test_client(), "/sign-in"),
               "case list (signed in, decrypts names)": (staff, "/cases/"),
               "health check": (app.test_client(), "/healthz"),
               "child step GET (Arabic, feelings)": (child, child_step)}
    rates = {name: [] for name in targets}
    for _ in range(ROUNDS):
        for name, (client, path) in targets.items():
            rates[name].append(_rate(client, path))
    base = statistics.median(rates["bare Flask page"])
    sized_base = statistics.median(rates["bare Flask page, child step's size"])
    print(f"{'target':<40} {'median req/s':>12} {'vs bare':>8}")
    for name, values in rates.items():
        median = statistics.median(values)
        print(f"{name:<40} {median:>12.0f} {median / base:>8.2f}")
    child_rate = statistics.median(rates["child step GET (Arabic, feelings)"])
    print(f"child step GET vs a bare page of its size ({size} bytes): {child_rate / sized_base:.3f}")
