"""Any process serves any request: two gunicorn servers on one PostgreSQL server and one media
folder, a person going back and forth between them; a 20 MB upload in flight when gunicorn is
told to stop; a key rotation while a server keeps serving."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyotp
import pytest
import requests

from voice import create_app

from .conftest import PASSWORD, app_config, new_database, post_form
from .test_capture import QUESTIONNAIRE, png
from .test_delivery import free_port, worker_env

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app(tmp_path, pg_server, templates):
    application = create_app(app_config(tmp_path, new_database("postgresql", tmp_path, pg_server,
                                                                templates)))
    yield application
    application.extensions["voice.engine"].dispose()


class Gunicorn:
    """`gunicorn 'voice:create_app()'` as in production (gunicorn.conf.py), one worker."""

    def __init__(self, app, log: Path, **env):
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        environment = {**worker_env(app), "VOICE_BIND": f"127.0.0.1:{port}", "VOICE_WORKERS": "1",
                       "VOICE_ARGON2_TIME_COST": "1", "VOICE_ARGON2_MEMORY_KIB": "1024", **env}
        environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
        with open(log, "a") as sink:  # a file, not a pipe: a full pipe would stall the server
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "voice:create_app()"], env=environment,
                cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, log.read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.05)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(90)
        finally:
            if self.process.poll() is None:
                self.process.kill()


@pytest.fixture
def servers(app, tmp_path):
    """Start gunicorn servers on the test's database; all stopped at the end."""
    started = []

    def start(**env):
        started.append(Gunicorn(app, tmp_path / "gunicorn.log", **env))
        return started[-1]
    yield start
    for server in started:
        server.stop()


class Browser(requests.Session):
    """One person's cookies, whichever server answers; redirects are looked at, not followed."""

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("allow_redirects", False)
        return super().request(method, url, *args, **kwargs)


def sign_in(person, password_on: str, code_on: str) -> Browser:
    browser = Browser()
    response = post_form(browser, f"{password_on}/sign-in", {"email": person.email, "password": PASSWORD})
    assert response.status_code == 302, response.text
    response = post_form(browser, f"{code_on}/sign-in/code", {"code": pyotp.TOTP(person.secret).now()})
    assert response.status_code == 302, response.text
    return browser


def test_two_servers_on_one_database_serve_one_journey(app, world, servers):
    a, b = servers().url, servers().url
    case_id = world.cases["p1"]
    # The ICTG gives the password to one server and the code to the other.
    ictg = sign_in(world.people["ictg.p1"], a, b)
    response = post_form(ictg, f"{b}/cases/{case_id}/sessions/new",
                         {"questionnaire": QUESTIONNAIRE, "language": "ar",
                          "present": "ICTG and interpreter", "pin": ""})
    assert response.status_code == 302, response.text
    session_id = re.search(r"/child/([^/]+)/consent$", response.headers["Location"]).group(1)
    # The device is in child mode on both servers.
    assert ictg.get(f"{a}/cases/").status_code == 404
    assert post_form(ictg, f"{a}/child/{session_id}/consent", {"agree": "yes"}).status_code == 302
    assert post_form(ictg, f"{b}/child/{session_id}/consent/guardian",
                     {"given_how": "interpreter", "interpreter_language": "ar", "understood": "yes",
                      "present": "ICTG, interpreter"}).status_code == 302
    photo = png((40, 30), (200, 30, 60))
    response = post_form(ictg, f"{a}/child/{session_id}/step/matters-photo", {},
                         files={"file": ("p.png", photo, "image/png")})
    assert response.status_code == 302, response.text
    share = ictg.get(f"{b}/child/{session_id}/share")
    answer_id = re.search(r'name="share-([^"]+)"', share.text).group(1)
    response = post_form(ictg, f"{b}/child/{session_id}/share", {f"share-{answer_id}": "panel"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/done")
    assert post_form(ictg, f"{a}/child/{session_id}/leave", {"secret": PASSWORD}).status_code == 302
    # The photo, written by A into the shared folder, is read by B.
    staff_page = ictg.get(f"{b}/sessions/{session_id}")
    version_id = re.search(r'/media/([^"?/]+)', staff_page.text).group(1)
    pictures = [ictg.get(f"{server}/media/{version_id}") for server in (a, b)]
    assert [p.status_code for p in pictures] == [200, 200]
    assert pictures[0].content == pictures[1].content and pictures[0].content[:4] == b"\x89PNG"

    advocate = sign_in(world.people["advocate.p1"], b, a)
    response = post_form(advocate, f"{a}/cases/{case_id}/review",
                         {"action": "approve", "overview": "She wants to stay at her school."})
    assert response.status_code == 302, response.text
    summary_id = re.search(r"/summaries/([^/]+)$", response.headers["Location"]).group(1)
    # Both servers show the same approved summary.
    summaries = [advocate.get(f"{server}/summaries/{summary_id}.json") for server in (a, b)]
    assert [s.status_code for s in summaries] == [200, 200]
    # The same, but for the address of the server that answered (in the media links).
    assert summaries[0].text.replace(a, b) == summaries[1].text
    assert "She wants to stay at her school." in summaries[0].text
    # A media link signed by A opens on B.
    link = summaries[0].json()["items"][0]["media"]["url"]
    opened = advocate.get(link.replace(a, b))
    assert opened.status_code == 200 and opened.content[:4] == b"\x89PNG", opened.text
    # Signing out on one server ends the session on both, even for a copy of its cookie.
    cookie = ictg.cookies["voice"]
    assert 'name="password"' not in ictg.get(f"{b}/cases/").text
    assert post_form(ictg, f"{a}/sign-out", {}, page=f"{a}/account").status_code == 302
    replay = Browser()
    replay.cookies.set("voice", cookie)
    assert 'name="password"' in replay.get(f"{b}/cases/").text  # the sign-in page
