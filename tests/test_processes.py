"""Any process serves any request: two gunicorn servers on one PostgreSQL server and one media
folder, a person going back and forth between them; a 20 MB upload in flight when gunicorn is
told to stop; a key rotation while a server keeps serving; kept-alive connections spread over
the workers."""
from __future__ import annotations

import base64
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyotp
import pytest
import requests
from sqlalchemy import select
from urllib3 import encode_multipart_formdata

from voice import create_app, db
from voice.crypto import Tampered, load_kek, open_with_kek
from voice.delivery import worker
from voice.models import AnswerVersion
from voice.rotation import service as rotation

from .conftest import PASSWORD, app_config, csrf_token, new_database, post_form
from .test_backup import _contents
from .test_capture import QUESTIONNAIRE, media_files, png, wav
from .test_delivery import (add_endpoint, deliveries, emit, finish, flask_command, free_port,
                            more_cases, worker_env)
from .test_review import child_session

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
        self.port, self.log = port, log
        with open(log, "a") as sink:  # a file, not a pipe: a full pipe would stall the server
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "voice:create_app()"], env=environment,
                cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)

    def wait_ready(self) -> "Gunicorn":
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, self.log.read_text()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
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
    """Start `count` gunicorn servers on the test's database (at once); all stopped at the end."""
    started = []

    def start(count=1, **env):
        new = [Gunicorn(app, tmp_path / "gunicorn.log", **env) for _ in range(count)]
        started.extend(new)
        return [server.wait_ready() for server in new]
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


def consented_session(browser, start_on: str, consent_on: str, case_id: str) -> str:
    """The ICTG starts a session and hands the device over; the child and guardian consent."""
    response = post_form(browser, f"{start_on}/cases/{case_id}/sessions/new",
                         {"questionnaire": QUESTIONNAIRE, "language": "ar",
                          "present": "ICTG and interpreter", "pin": ""})
    assert response.status_code == 302, response.text
    session_id = re.search(r"/child/([^/]+)/consent$", response.headers["Location"]).group(1)
    assert post_form(browser, f"{consent_on}/child/{session_id}/consent",
                     {"agree": "yes"}).status_code == 302
    assert post_form(browser, f"{start_on}/child/{session_id}/consent/guardian",
                     {"given_how": "interpreter", "interpreter_language": "ar", "understood": "yes",
                      "present": "ICTG, interpreter"}).status_code == 302
    return session_id


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime and stime


def test_kept_alive_connections_are_served_by_every_worker(servers):
    """Sixteen kept-alive connections at once (phones, or a proxy's pool) on 2 workers: each
    worker takes at most twice its threads' worth, so both serve, instead of the first to wake
    taking all sixteen onto one processor while the other idles."""
    (server,) = servers(VOICE_WORKERS="2")
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    deadline, before = time.monotonic() + 60, {}
    while True:  # until both workers have loaded the service and wait, idle, for connections
        ticks = {pid: _cpu_ticks(int(pid)) for pid in children.read_text().split()}
        if len(ticks) == 2 and ticks == before:
            break
        assert time.monotonic() < deadline, "the workers did not settle"
        before = ticks
        time.sleep(0.3)
    statuses = []

    def phone():
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        for _ in range(40):  # kept alive; opened again when the server closes it
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
        connection.close()

    phones = [threading.Thread(target=phone) for _ in range(16)]
    for thread in phones:
        thread.start()
    for thread in phones:
        thread.join()
    assert statuses == [200] * 640
    used = {pid: _cpu_ticks(int(pid)) - ticks for pid, ticks in before.items()}
    assert min(used.values()) >= sum(used.values()) / 4, used


def test_two_servers_on_one_database_serve_one_journey(app, world, servers):
    a, b = (server.url for server in servers(2))
    case_id = world.cases["p1"]
    # The ICTG gives the password to one server and the code to the other.
    ictg = sign_in(world.people["ictg.p1"], a, b)
    # The device is in child mode on both servers; the child's steps go to either.
    session_id = consented_session(ictg, b, a, case_id)
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
    # The same, but for the address of the server that answered (in the media links) and the
    # links' expiry and signature, which follow the second each answer was made in.
    signed = re.compile(r'expires=\d+&signature=[0-9a-f]+|"expires_at": "[^"]+"')
    assert signed.sub("", summaries[0].text.replace(a, b)) == signed.sub("", summaries[1].text)
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


def test_sigterm_during_a_20_mb_upload_lets_it_finish_and_stores_it_once(app, world, servers):
    [server] = servers()
    ictg = sign_in(world.people["ictg.p1"], server.url, server.url)
    session_id = consented_session(ictg, server.url, server.url, world.cases["p1"])
    path = f"/child/{session_id}/step/feel-more"
    recording = wav(437, rate=48000)  # 20 MB: about 7 minutes
    assert len(recording) > 20 * 1000 * 1000
    body, content_type = encode_multipart_formdata(
        {"csrf_token": csrf_token(ictg, server.url + path), "file": ("clip.wav", recording, "audio/wav")})
    upload = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    upload.putrequest("POST", path)
    for name, value in (("Content-Type", content_type), ("Content-Length", str(len(body))),
                        ("Cookie", "; ".join(f"{c.name}={c.value}" for c in ictg.cookies))):
        upload.putheader(name, value)
    upload.endheaders()
    upload.send(body[:len(body) // 2])
    server.process.send_signal(signal.SIGTERM)  # as systemd stops the service
    time.sleep(1)
    upload.send(body[len(body) // 2:])
    response = upload.getresponse()
    assert response.status == 302, response.read()
    assert f"/child/{session_id}/step/" in response.headers["Location"]  # on to the next step
    assert server.process.wait(60) == 0
    with app.app_context():
        [stored] = db.session().scalars(select(AnswerVersion)).all()
        assert stored.form == "voice" and stored.media_seconds == pytest.approx(437, abs=1)
    assert len(media_files(app)) == 1


class SlowReceiver(ThreadingHTTPServer):
    """A panel's receiver that takes two seconds to answer each event."""

    daemon_threads = True

    def __init__(self):
        self.arrived, self.answered = threading.Event(), []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.arrived.set()
                time.sleep(2)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                server.answered.append(self.headers["webhook-id"])

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def test_sigterm_lets_the_worker_finish_its_delivery_and_release_the_others(app, world):
    receiver = SlowReceiver()
    add_endpoint(app, world, f"http://127.0.0.1:{receiver.server_address[1]}/hooks")
    for key in more_cases(app, world, 3):  # three cases: all three are due at once
        emit(app, world, case=key)
    process = flask_command(app, "worker", "--batch", "10")
    try:
        assert receiver.arrived.wait(60), "nothing was sent"
        process.send_signal(signal.SIGTERM)  # while the first delivery waits for its answer
        output = finish(process, 30)
    finally:
        if process.poll() is None:
            process.kill()
        receiver.shutdown()
        receiver.server_close()
    rows = deliveries(app)
    assert len(receiver.answered) == 1 and re.search(r"delivery \S+: 200 -> delivered", output)
    assert sorted(row.status for row in rows) == ["delivered", "pending", "pending"]
    # The two not sent are free for another worker at once, not after their lease runs out.
    assert [(row.leased_by, row.lease_until) for row in rows if row.status == "pending"] == [(None, None)] * 2
    with app.app_context():
        assert len(worker.claim("another", 10)) == 2


def _opened_by(app, key: str) -> tuple[int, int]:
    """How many KEK-sealed values `key` opens, of how many there are."""
    kek, opened, total = load_kek(key), 0, 0
    with app.app_context():
        for model, name, purpose in rotation.SEALED:
            column = getattr(model, name)
            for row_id, blob in db.session().execute(select(model.id, column).where(column.is_not(None))):
                total += 1
                try:
                    open_with_kek(kek, blob, purpose(row_id))
                    opened += 1
                except Tampered:
                    pass
    return opened, total


def test_rotation_killed_half_way_and_run_again_while_a_server_reads_and_writes(app, world, servers,
                                                                               tmp_path):
    ids = child_session(app, world, "p1")
    before = _contents(app, world.cases["p1"])
    more_cases(app, world, 300)  # enough case keys for the rotation to be caught half way
    old, new = app.config["KEY_ENCRYPTION_KEY"], base64.b64encode(os.urandom(32)).decode()
    both = {"VOICE_KEK": new, "VOICE_KEK_PREVIOUS": old}
    [server] = servers(**both)
    ictg = sign_in(world.people["ictg.p1"], server.url, server.url)
    stop, problems, made = threading.Event(), [], []

    def serve():
        """The ICTG keeps reading the child's case and recording and creating cases."""
        while not stop.is_set():
            case = ictg.get(f"{server.url}/cases/{world.cases['p1']}")
            recording = ictg.get(f"{server.url}/media/{ids['feel-more'][1]}")
            if "Child of p1" not in case.text or recording.status_code != 200:
                problems.append((case.status_code, recording.status_code))
            response = post_form(ictg, f"{server.url}/cases/new", {
                "name": f"Made while rotating {len(made)}", "age_band": "12-15", "languages": ["en"],
                "panel": world.orgs["n1"], "panel_date": ["3", "4", "2027"],
                "ictg": world.people["ictg.p1"].id, "advocate": world.people["advocate.p1"].id})
            if response.status_code != 302:
                problems.append(response.status_code)
            made.append(response.headers.get("Location"))

    reader = threading.Thread(target=serve)
    reader.start()
    try:
        env = {**worker_env(app), **both}
        served = len(made)
        first = flask_command(app, "rotate-kek", "--batch", "1", env=env)
        while _opened_by(app, new)[0] == 0:
            assert first.poll() is None, first.communicate()[0]
            time.sleep(0.01)
        first.kill()  # the machine goes down half way
        first.wait(10)
        under_new, total = _opened_by(app, new)
        assert 0 < under_new < total
        # The server writes while the keys are half rotated (the rotation may have been quicker
        # than the server's first new case).
        deadline = time.monotonic() + 30
        while len(made) <= served and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(made) > served
        assert _opened_by(app, new)[0] < total  # still half rotated
        assert "nothing is left" in finish(flask_command(app, "rotate-kek", env=env))
        served = len(made)
        while len(made) < served + 2:  # and the server goes on after the rotation
            time.sleep(0.05)
    finally:
        stop.set()
        reader.join(30)
    assert problems == [] and len(made) > 2
    # The new key opens everything, the cases made meanwhile too; the old key opens nothing.
    opened, total = _opened_by(app, new)
    assert opened == total > 300 + len(made)
    assert _opened_by(app, old)[0] == 0
    alone = create_app(app_config(tmp_path / "alone", app.config["DATABASE_URL"],
                                  SECRET_KEY=app.config["SECRET_KEY"], KEY_ENCRYPTION_KEY=new,
                                  MEDIA_PATH=app.config["MEDIA_PATH"]))
    try:
        assert _contents(alone, world.cases["p1"]) == before
    finally:
        alone.extensions["voice.engine"].dispose()
