"""The project's test fixtures (databases, app, world, real Chromium), and the audited site."""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from tests.browser import *  # noqa: F401,F403  (chromium, live_server, page)
from tests.browser import CHROMIUM, CHROMIUM_ARGS, LiveServer
from tests.conftest import *  # noqa: F401,F403  (pg_server, templates, backend, app, client, world)
from tests.conftest import app_config, new_database
from voice import create_app

from .site import Site, build

# Child languages whose sessions the audit builds: English, two right-to-left languages (Pashto
# with the Arabic-script web font), one in Ge'ez script, and Vietnamese for the screenshots.
CHILD_LANGUAGES = ("en", "ar", "ti", "ps", "vi")


class BrowserThread:
    """Debian's Chromium, driven from a thread of its own.

    Playwright's sync API allows one running instance per thread, and when `make test` runs
    tests/ first, the `chromium` fixture of tests/ holds the main thread's until the session
    ends. `run(function, *args)` calls function(browser, *args) in the browser's thread.
    """

    def __init__(self):
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="audit-browser")
        self.browser = self.pool.submit(self._start).result()

    def _start(self):
        from playwright.sync_api import sync_playwright
        self.playwright = sync_playwright().start()
        return self.playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

    def run(self, function, *args):
        return self.pool.submit(function, self.browser, *args).result()

    def close(self) -> None:
        def stop(browser):
            browser.close()
            self.playwright.stop()
        self.run(stop)
        self.pool.shutdown()


@pytest.fixture(scope="session")
def audit_browser():
    browser = BrowserThread()
    yield browser
    browser.close()


@dataclass
class Audited:
    app: object
    site: Site
    base_url: str
    browser: BrowserThread
    backend: str


@pytest.fixture(scope="module")
def audited(request, tmp_path_factory, pg_server, templates, audit_browser):
    """The whole service with records for every page, served on 127.0.0.1, on one backend."""
    backend = request.param
    folder = tmp_path_factory.mktemp(f"audit-{backend}")
    app = create_app(app_config(folder, new_database(backend, folder, pg_server, templates)))
    site = build(app, CHILD_LANGUAGES)
    app.config["SERVER_NAME"] = None
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request is too many
    with LiveServer(app) as server:
        yield Audited(app, site, server.url, audit_browser, backend)
    app.extensions["voice.engine"].dispose()
