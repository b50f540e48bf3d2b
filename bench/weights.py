"""Page weights from Debian's Chromium: bytes on the wire (DevTools `encodedDataLength`: headers
and body as sent, compressed when the server compressed) and requests, for a first visit (empty
cache) and a later visit of the same page, per resource type.

The pages are those of `make audit` (accessibility/lighthouse.py): a child's step in English,
Arabic and Tigrinya on a phone-sized screen, and a staff page (the child's case).
"""
from __future__ import annotations

import logging
import tempfile
import threading
from collections import defaultdict
from pathlib import Path

from werkzeug.serving import make_server

from accessibility.lighthouse import CHROME, demo_app

LANGUAGES = ("en", "ar", "ti")
GOALS = {"child": (40 * 1024, 4 * 1024), "staff": (60 * 1024, 4 * 1024)}  # first, later visit


def visit(context, url: str) -> dict[str, list[int]]:
    """Load a page in this browser context: {resource type: [bytes of each request that went to
    the network]} (answers from the browser's cache are not on the wire and are not counted)."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    types, cached, sizes = {}, set(), defaultdict(list)
    cdp.on("Network.requestWillBeSent",
           lambda e: types.__setitem__(e["requestId"], e.get("type", "Other")))
    cdp.on("Network.requestServedFromCache", lambda e: cached.add(e["requestId"]))
    finished = []
    cdp.on("Network.loadingFinished", lambda e: finished.append(e))
    page.goto(url, wait_until="networkidle")
    page.wait_for_timeout(300)
    for event in finished:
        if event["requestId"] in cached:
            continue
        if event["encodedDataLength"] > 0:  # 0: answered from the browser's cache
            sizes[types.get(event["requestId"], "Other")].append(int(event["encodedDataLength"]))
    page.close()
    return sizes


def describe(sizes: dict[str, list[int]]) -> tuple[int, int, str]:
    total = sum(sum(v) for v in sizes.values())
    requests = sum(len(v) for v in sizes.values())
    parts = ", ".join(f"{kind} {sum(v) / 1024:.1f} KB/{len(v)}" for kind, v in sorted(sizes.items()))
    return total, requests, parts


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="voice-weights-") as name:
        app, pages = demo_app(Path(name), LANGUAGES)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        print(f"{'page':<44} {'visit':<6} {'bytes':>9} {'reqs':>4} {'goal':>7}  by type (KB/requests)")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROME,
                    args=["--no-sandbox", "--disable-background-networking",
                          "--disable-component-update"])
                for label, path, cookie, _options in pages:
                    kind = "child" if path.startswith("/child/") else "staff"
                    viewport = {"width": 1350, "height": 940} if kind == "staff" else \
                        {"width": 412, "height": 823}
                    context = browser.new_context(viewport=viewport)
                    cookie_name, value = cookie.split("=", 1)
                    context.add_cookies([{"name": cookie_name, "value": value,
                                          "url": base}])
                    for visit_name, goal in zip(("first", "later"), GOALS[kind]):
                        total, requests, parts = describe(visit(context, base + path))
                        verdict = "ok" if total <= goal else "OVER"
                        print(f"{label:<44} {visit_name:<6} {total:>9} {requests:>4} "
                              f"{goal // 1024:>4} KB {verdict:<4} {parts}", flush=True)
                    context.close()
                browser.close()
        finally:
            server.shutdown()
            thread.join(5)
            app.extensions["voice.engine"].dispose()
