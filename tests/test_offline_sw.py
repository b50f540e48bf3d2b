"""Installable and offline (issue 16), in Debian's Chromium: the manifest and the one service
worker, its precache of hashed static files, no staff page ever in Cache Storage, the calm
offline pages, a handed-over child's session that opens without signal, an update that waits
for the end of a child's session, and nothing left on the device after sign-out or a finished
session."""
from __future__ import annotations

import re
import shutil
import time

import pytest
from flask import g

from bench.weights import visit
from voice import db
from voice.capture import service as capture_service
from voice.consent import service as consent
from voice.delivery import routes as delivery_routes
from voice.models import CaptureSession, User

from .browser import CHROMIUM, CHROMIUM_ARGS, translator
from .conftest import as_person, csrf_token
from .test_child_journey import PIN, _signed_in, _start
from .test_static_files import _child_device

HASHED_STATIC = re.compile(r"^/static/build/.+\.[0-9a-f]{12}\.[a-z0-9]+$")
STAFF_SECRETS = ("Child of p1", "ictg p1", "ictg.p1@example.org")
SENTINEL = "Marmalade-Zeppelin-4471"

CACHE_CONTENTS = """async () => {
  const result = {};
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    result[name] = [];
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      const url = new URL(request.url);
      result[name].push([url.pathname + url.search, await response.clone().text()]);
    }
  }
  return result;
}"""
WORKER_READY = """async () => {
  const ready = (async () => {
    const worker = (await navigator.serviceWorker.ready).active;
    if (worker.state !== "activated") {
      await new Promise((done) => worker.addEventListener("statechange", () => {
        if (worker.state === "activated") done();
      }));
    }
    return worker.state;
  })();
  return Promise.race([ready, new Promise((done) => setTimeout(() => done("none"), 20000))]);
}"""
STORAGE = """async () => [(await caches.keys()).length, (await indexedDB.databases()).length,
                       (await navigator.serviceWorker.getRegistrations()).length]"""


@pytest.fixture
def context(chromium):
    """A browser context like a phone's: the site's own policies apply (no CSP bypass)."""
    context = chromium.new_context(viewport={"width": 412, "height": 823})
    context.set_default_timeout(20000)
    yield context
    context.close()


def _wait_for(page, script: str, arg=None, seconds: float = 20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = page.evaluate(script, arg)
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {script}")


def _session_cached(page, session_id: str) -> None:
    _wait_for(page, """async (id) => {
      const name = "voice-session-" + id;
      return await caches.has(name) &&
        !!(await (await caches.open(name)).match(`/child/${id}/offline.json`));
    }""", session_id)


def _handed_over(app, world, page, base, language="ar") -> str:
    """The ICTG signs in, opens the case (the worker installs) and hands the device over: the
    consent page of a new session in `language`. Returns the session's id."""
    _signed_in(app, page, base, world.people["ictg.p1"])
    page.goto(f"{base}/cases/{world.cases['p1']}")
    assert page.evaluate(WORKER_READY) == "activated"
    _start(page, base, world.cases["p1"], language)
    session_id = page.url.split("/child/")[1].split("/")[0]
    _session_cached(page, session_id)
    return session_id


def _leave_child_mode(page) -> None:
    page.get_by_role("link", name="For your guardian").click()
    page.get_by_label("The session PIN, or your password").fill(PIN)
    with page.expect_navigation():
        page.get_by_role("button", name="Leave child mode").click()


def test_the_site_is_installable(app, world, live_server, chromium, tmp_path):
    """Chromium's own installability check (DevTools, a persistent profile) finds nothing wrong
    with the manifest, its icons, the service worker or the start URL."""
    context = chromium.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        page = context.new_page()
        _signed_in(app, page, live_server.url, world.people["ictg.p1"])
        page.goto(live_server.url + "/cases")
        assert page.evaluate(WORKER_READY) == "activated"
        page.reload()
        cdp = context.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == [], manifest["errors"]
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    finally:
        context.close()

    client = app.test_client()
    body = client.get("/manifest.webmanifest").json
    assert body["display"] == "standalone" and body["theme_color"] == "#1d4f6e"
    assert {(icon["sizes"], icon["purpose"]) for icon in body["icons"]} == {
        ("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for icon in body["icons"]:
        response = client.get(icon["src"])
        assert response.status_code == 200 and response.mimetype == "image/png"
    start = client.get(body["start_url"])  # the start URL needs sign-in
    assert start.status_code == 302 and start.location.endswith("/sign-in")


def test_staff_pages_are_never_cached_and_offline_show_a_calm_page(app, world, live_server,
                                                                   context):
    base = live_server.url
    page = context.new_page()
    _signed_in(app, page, base, world.people["ictg.p1"])
    for path in ("/cases", f"/cases/{world.cases['p1']}", "/account", "/accessibility"):
        page.goto(base + path)
    assert page.evaluate(WORKER_READY) == "activated"
    page.goto(f"{base}/cases/{world.cases['p1']}")
    assert "Child of p1" in page.content()

    caches = page.evaluate(CACHE_CONTENTS)
    precache = [name for name in caches if name.startswith("workbox-precache")]
    assert len(precache) == 1 and len(caches[precache[0]]) > 50
    for url, _body in caches[precache[0]]:
        assert HASHED_STATIC.match(url), f"precached but not a hashed static file: {url}"
    assert [url for url, _body in caches["voice-offline"]] == ["/offline"]
    assert set(caches) == {precache[0], "voice-offline"}
    for name, entries in caches.items():
        for url, body in entries:
            for secret in STAFF_SECRETS:
                assert secret not in body, f"{secret!r} kept on the device in {name} {url}"

    context.set_offline(True)
    page.goto(f"{base}/cases/{world.cases['p1']}")
    assert page.locator("h1").inner_text() == "You are offline"
    assert "Child of p1" not in page.content()
    assert page.evaluate("getComputedStyle(document.body).fontFamily") != ""
    assert page.locator("link[rel=stylesheet]").evaluate("link => link.sheet.cssRules.length") > 0


def test_a_handed_over_session_opens_offline_in_the_childs_language(app, world, live_server,
                                                                      context):
    base = live_server.url
    t = translator(app, "ar")
    page = context.new_page()
    session_id = _handed_over(app, world, page, base, "ar")
    with app.test_request_context():
        capture = db.session().get(CaptureSession, session_id)
        steps = [(step.id, t(step.prompt), capture_service.answer_forms(step))
                 for step in capture_service.questionnaire_of(capture).steps]

    context.set_offline(True)
    for step_id, prompt, forms in steps:
        urls = [f"/child/{session_id}/step/{step_id}"]
        urls += [f"{urls[0]}?form={way}" for way in forms] if len(forms) > 1 else []
        for url in urls:
            page.goto(base + url)
            assert page.locator("#prompt").first.inner_text().strip() == prompt.strip(), url
            assert page.evaluate("document.documentElement.dir") == "rtl"
            # The page's own styles and pictures come from the device too.
            assert page.evaluate("""async () => {
              const sprite = document.querySelector('.child-hero use, .child-icon use');
              const response = await fetch(sprite.href.baseVal);
              return response.ok && (await response.text()).includes('<symbol');
            }"""), url
    # A page the device did not keep: a calm page in the child's language.
    page.goto(f"{base}/child/{session_id}/review")
    assert page.locator("h1").inner_text() == t("There is no internet just now")
    page.get_by_role("link", name=t("Go back to the questions")).click()
    assert page.locator("#prompt").first.inner_text().strip() == steps[0][1].strip()


def test_the_kept_pages_hold_none_of_the_childs_words(app, world, live_server, context):
    """The device keeps the steps as they are before any answer, even when it keeps them again
    after the child has answered."""
    base = live_server.url
    t = translator(app, "en")
    page = context.new_page()
    session_id = _handed_over(app, world, page, base, "en")
    with app.test_request_context():  # consent itself is tested elsewhere
        g.user = db.session().get(User, world.people["ictg.p1"].id)
        consent.record_consent(db.session().get(CaptureSession, session_id), g.user, True,
                               "interpreter", "en", "yes", "ICTG and interpreter")
        db.session().commit()
    page.goto(f"{base}/child/{session_id}/step/enjoy")
    page.locator("#answer-text").fill(SENTINEL)
    with page.expect_navigation():
        page.get_by_role("button", name=t("Next")).click()
    page.goto(f"{base}/child/{session_id}/step/enjoy")
    assert SENTINEL in page.content()  # online, the child sees what they said

    page.evaluate("async (id) => caches.delete('voice-session-' + id)", session_id)
    page.reload()  # the page asks the worker to keep the session again
    _session_cached(page, session_id)
    kept = page.evaluate(CACHE_CONTENTS)[f"voice-session-{session_id}"]
    assert f"/child/{session_id}/step/enjoy" in [url for url, _body in kept]
    assert all(SENTINEL not in body for _url, body in kept)


def test_sign_out_and_a_finished_session_leave_nothing_on_the_device(app, world, live_server,
                                                                      context):
    base = live_server.url
    page = context.new_page()
    session_id = _handed_over(app, world, page, base, "en")
    # What a queue would keep (IndexedDB), to see that sign-out deletes it too.
    page.evaluate("""() => new Promise((done) => {
      const open = indexedDB.open("voice-test");
      open.onupgradeneeded = () => open.result.createObjectStore("items");
      open.onsuccess = () => { open.result.close(); done(); };
    })""")
    assert page.evaluate(STORAGE)[:2] == [3, 2]  # the caches; the queue's database and this one

    # The session ends: the "done" page deletes the session's pages.
    with app.test_request_context():
        capture_service.finish(db.session().get(CaptureSession, session_id))
        db.session().commit()
    page.goto(f"{base}/child/{session_id}/done")
    _wait_for(page, "async (id) => !(await caches.has('voice-session-' + id))", session_id)
    assert [name for name in page.evaluate("async () => caches.keys()")
            if not name.startswith("workbox-precache")] == ["voice-offline"]

    # The ICTG takes the device back and signs out: caches, IndexedDB and the worker are gone.
    _leave_child_mode(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    assert "/sign-in" in page.url
    page.wait_for_load_state("load")
    page.wait_for_timeout(500)
    assert page.evaluate(STORAGE) == [0, 0, 0]


def test_an_update_waits_until_no_child_session_is_open(app, world, live_server, context,
                                                        tmp_path, monkeypatch):
    base = live_server.url
    page = context.new_page()
    session_id = _handed_over(app, world, page, base, "en")
    newer = tmp_path / "service-worker.js"
    shutil.copyfile(delivery_routes.SERVICE_WORKER, newer)
    with newer.open("a") as handle:
        handle.write("\n// a newer version\n")
    monkeypatch.setattr(delivery_routes, "SERVICE_WORKER", newer)

    waiting = """async () => {
      const registration = await navigator.serviceWorker.getRegistration("/");
      return registration.waiting ? registration.waiting.state : null;
    }"""
    # Chromium activates a worker told to skip waiting once the old one has no work left; the
    # test's own DevTools connection keeps the old one busy, so the test stops the workers.
    cdp = context.new_cdp_session(page)
    cdp.send("ServiceWorker.enable")

    def settle():
        page.wait_for_timeout(1000)
        cdp.send("ServiceWorker.stopAllWorkers")
        page.wait_for_timeout(1000)

    page.evaluate("async () => (await navigator.serviceWorker.getRegistration('/')).update()")
    assert _wait_for(page, waiting) == "installed"
    # Even when asked, it does not take over while a child's page is open.
    page.evaluate("async () => (await navigator.serviceWorker.getRegistration('/'))"
                  ".waiting.postMessage({type: 'skip-waiting'})")
    settle()
    assert page.evaluate(waiting) == "installed"
    page.goto(f"{base}/child/{session_id}/consent")
    settle()
    assert page.evaluate(waiting) == "installed"

    # The ICTG takes the device back: the next staff page lets the new version take over.
    _leave_child_mode(page)
    settle()
    _wait_for(page, "async () => !(await navigator.serviceWorker.getRegistration('/')).waiting")


def test_a_child_step_with_the_worker_keeps_its_weight(app, world, live_server, context,
                                                      monkeypatch):
    """The worker registers after the page has loaded and precaches on its own: the page's first
    visit asks for what it needs and nothing more; a later visit, answered through the worker,
    asks the server for the page alone (counted at the server: the worker's requests are not the
    page's in DevTools)."""
    token, step = _child_device(app, world, "en")
    context.add_cookies([{"name": "voice", "value": token, "url": live_server.url}])
    served = []
    wsgi = app.wsgi_app
    monkeypatch.setattr(app, "wsgi_app", lambda environ, start: (
        served.append(environ["PATH_INFO"]), wsgi(environ, start))[1])

    first = visit(context, live_server.url + step)
    # The page, its styles, scripts, sprite and icon, and the queue's key: the worker's own
    # precaching is not here.
    assert {"Document", "Stylesheet", "Script"} <= set(first), first
    assert sum(map(len, first.values())) <= 8, first
    assert sum(map(sum, first.values())) <= 40 * 1024
    page = context.new_page()
    page.goto(live_server.url + step)
    assert page.evaluate(WORKER_READY) == "activated"
    _session_cached(page, step.split("/")[2])  # the hand-over's work, done once
    page.close()

    served.clear()
    page = context.new_page()
    page.goto(live_server.url + step, wait_until="networkidle")
    assert page.evaluate("!!navigator.serviceWorker.controller")
    page.wait_for_timeout(500)
    page.close()
    # Chromium may also fetch the worker's script to look for an update, on its own schedule:
    # the browser's request, not the page's.
    assert [path for path in served if path != "/service-worker.js"] == [step], served


def test_a_device_in_child_mode_reaches_the_worker_and_its_session_list_only(app, world):
    token, step = _child_device(app, world, "en")
    session_id = step.split("/")[2]
    child = app.test_client()
    child.set_cookie("voice", token, domain="localhost")
    assert child.get("/service-worker.js").status_code == 200
    assert child.get("/manifest.webmanifest").status_code == 200
    assert child.get("/offline").status_code == 404  # a staff page: not in a child's hands
    assert child.get(f"/cases/{world.cases['p1']}").status_code == 404

    listing = child.get(f"/child/{session_id}/offline.json").json
    pages = {page["url"]: page["fetch"] for page in listing["pages"]}
    assert step in pages and f"/child/{session_id}/offline" in pages
    assert all(not url.startswith(f"/child/{session_id}/review") for url in pages)
    assert all(HASHED_STATIC.match(url) for url in listing["files"])
    other = app.test_client()
    assert other.get(f"/child/{session_id}/offline.json").status_code in (302, 404)


def test_sign_out_tells_the_browser_to_delete_what_the_site_kept(app, client, world):
    as_person(app, client, world.people["ictg.p1"])
    response = client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
