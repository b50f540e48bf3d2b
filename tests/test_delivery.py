"""Webhooks into a panel's case record: the outbox, the worker against the reference receiver over
real HTTP on 127.0.0.1, retries, a killed worker, two workers at once, and the admin pages."""
from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import urllib3
from playwright.sync_api import expect
from sqlalchemy import func, select, update
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from voice import db
from voice.cases import service as cases
from voice.delivery import service, worker
from voice.delivery.receiver import Receiver
from voice.models import (Case, DeliveryAttempt, Notification, Organisation, OutboxDelivery,
                          OutboxEvent, PushSubscription, WebhookEndpoint, now)

from .browser import assert_accessible, browser_sign_in
from .conftest import PASSWORD, as_person, post_form

ROOT = Path(__file__).resolve().parent.parent
WORDS = "I want to stay with my foster carer and keep going to my school"


# --- helpers ---------------------------------------------------------------------------------

class Recording(Receiver):
    """The reference receiver, also noting each signed request's headers and how many requests
    for one webhook-id were being handled at the same moment."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.requests: list[tuple[dict, bytes]] = []
        self.calls: Counter = Counter()
        self.in_flight: Counter = Counter()
        self.most_at_once: Counter = Counter()
        self.total_in_flight = self.most_total = 0

    def handle_verified(self, webhook_id, headers, body):
        with self.lock:
            self.requests.append((headers, body))
            self.calls[webhook_id] += 1
            self.in_flight[webhook_id] += 1
            self.most_at_once[webhook_id] = max(self.most_at_once[webhook_id],
                                                self.in_flight[webhook_id])
            self.total_in_flight += 1
            self.most_total = max(self.most_total, self.total_in_flight)
        try:
            self.during(webhook_id)
            return super().handle_verified(webhook_id, headers, body)
        finally:
            with self.lock:
                self.in_flight[webhook_id] -= 1
                self.total_in_flight -= 1

    def during(self, webhook_id):
        """Hook for tests: runs while the request is open."""

    def kept(self) -> dict[str, dict]:
        return {p.stem: json.loads(p.read_bytes()) for p in self.folder.glob("*.json")}


class Answering(ThreadingHTTPServer):
    """A receiver that answers every request with a fixed status (and headers)."""

    daemon_threads = True

    def __init__(self, status: int, headers: dict | None = None):
        self.status, self.extra, self.count = status, headers or {}, 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.count += 1
                self.send_response(server.status)
                for name, value in server.extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/hooks"


@pytest.fixture
def receivers():
    started = []

    def start(secret, folder, cls=Recording, **kwargs):
        server = cls([secret], folder, **kwargs).start()
        started.append(server)
        return server
    yield start
    for server in started:
        server.stop()


@pytest.fixture
def answering():
    started = []

    def start(status, headers=None):
        server = Answering(status, headers)
        started.append(server)
        return server
    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def add_endpoint(app, world, url, events=service.EVENT_TYPES, panel="n1", name="Case record system"):
    with app.app_context():
        endpoint, secret = service.create_endpoint(world.orgs[panel], name, url, list(events))
        db.session().commit()
        return endpoint.id, secret


def emit(app, world, event_type="summary.submitted", case="p1", body=None) -> str | None:
    with app.app_context():
        case_row = db.session().get(Case, world.cases[case])
        event = service.emit(event_type, case_row.panel_id, case_row.id,
                             body if body is not None else {"views": WORDS})
        db.session().commit()
        return event.id if event else None


def more_cases(app, world, count: int) -> list[str]:
    """count more cases of provider p1 for panel n1, named in world.cases; their keys."""
    with app.app_context():
        session = db.session()
        provider, panel = (session.get(Organisation, world.orgs[key]) for key in ("p1", "n1"))
        made = [cases.create(provider, panel, f"Child {n}", "12-15", ["en"], None, None, None).id
                for n in range(count)]
        session.commit()
    keys = [f"extra-{n}" for n in range(count)]
    world.cases.update(zip(keys, made))
    return keys


def run_worker(app, **kwargs) -> int:
    with app.app_context():
        return worker.run(**{"once": True, **kwargs})


def deliveries(app, **where) -> list[OutboxDelivery]:
    with app.app_context():
        query = select(OutboxDelivery).order_by(OutboxDelivery.created_at, OutboxDelivery.id)
        for name, value in where.items():
            query = query.where(getattr(OutboxDelivery, name) == value)
        return detached(list(db.session().scalars(query)))


def detached(rows: list) -> list:
    """Rows read as they are now, usable after the app context closes."""
    db.session().expunge_all()
    return rows


def attempts(app) -> list[DeliveryAttempt]:
    with app.app_context():
        return detached(list(db.session().scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id))))


def change(app, statement) -> None:
    with app.app_context():
        db.session().execute(statement.execution_options(synchronize_session=False))
        db.session().commit()


def make_due(app) -> None:
    """Let the retry wait pass, without waiting: move the next try to now."""
    change(app, update(OutboxDelivery).where(OutboxDelivery.status == "pending")
           .values(next_attempt_at=now()))


def worker_env(app) -> dict:
    config = app.config
    return {**os.environ, "DATABASE_URL": config["DATABASE_URL"],
            "VOICE_INSTANCE_PATH": config["INSTANCE_PATH"],
            "VOICE_MEDIA_PATH": config["MEDIA_PATH"], "VOICE_KEK": config["KEY_ENCRYPTION_KEY"],
            "VOICE_SECRET_KEY": config["SECRET_KEY"], "VOICE_DEVELOPMENT": "1",
            "VOICE_RECEIVER_QUIET": "1"}


def flask_command(app, *args, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "voice", *args],
                            env=env or worker_env(app), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def finish(process: subprocess.Popen, timeout: float = 90) -> str:
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output
    return output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[0]
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the receiver did not start")


def trust(receiver: Receiver, secret: str) -> None:
    """The receiver was started before the endpoint (and its secret) existed."""
    receiver.keys = [base64.b64decode(secret.removeprefix("whsec_"))]


def verify(secret: str, headers: dict, body: bytes):
    """Check a request with the independent Standard Webhooks library."""
    return Webhook(secret).verify(body, {k: v for k, v in headers.items()})


# --- admin pages -----------------------------------------------------------------------------

def test_a_panel_admin_adds_an_endpoint_and_sees_its_secret_once(app, client, world):
    as_person(app, client, world.people["org_admin.n1"])
    assert "Case record endpoints" in client.get("/cases/").text
    page = client.get("/organisation/endpoints")
    assert page.status_code == 200 and "You have not added an endpoint yet" in page.text
    response = post_form(client, "/organisation/endpoints/new", {
        "name": "Panel records", "url": "http://127.0.0.1:9/hooks",
        "events": ["summary.submitted", "case.erased"]})
    assert response.status_code == 200, response.text
    secret = re.search(r"whsec_[A-Za-z0-9+/=]+", response.text).group(0)
    with app.app_context():
        endpoint = db.session().scalars(select(WebhookEndpoint)).one()
        assert endpoint.org_id == world.orgs["n1"]
        assert endpoint.events == ["summary.submitted", "case.erased"]
        assert secret.encode() not in endpoint.secret  # stored sealed
        assert service.signing_secrets(endpoint) == [secret]
        endpoint_id = endpoint.id
    listing = client.get("/organisation/endpoints")
    assert "Panel records" in listing.text and secret not in listing.text
    detail = client.get(f"/organisation/endpoints/{endpoint_id}")
    assert detail.status_code == 200 and "http://127.0.0.1:9/hooks" in detail.text
    assert secret not in detail.text


def test_an_endpoint_is_known_only_to_its_panels_admins(app, client, world):
    endpoint_id, _ = add_endpoint(app, world, "http://127.0.0.1:9/hooks", name="Secret records")
    as_person(app, client, world.people["org_admin.n2"])
    assert client.get(f"/organisation/endpoints/{endpoint_id}").status_code == 404
    assert "Secret records" not in client.get("/organisation/endpoints").text
    response = post_form(client, f"/organisation/endpoints/{endpoint_id}/turn-off", {},
                         page="/organisation/endpoints")
    assert response.status_code == 404
    for who in ("org_admin.p1", "panel_member.n1", "ictg.p1"):
        as_person(app, client, world.people[who])
        assert client.get("/organisation/endpoints").status_code == 403
        assert client.get(f"/organisation/endpoints/{endpoint_id}").status_code == 404
        assert "Case record endpoints" not in client.get("/account").text
    with app.app_context():
        assert db.session().get(WebhookEndpoint, endpoint_id).active


def test_endpoint_addresses_must_be_https_and_public(app, client, world):
    as_person(app, client, world.people["org_admin.n1"])

    def refused(url):
        response = post_form(client, "/organisation/endpoints/new", {
            "name": "Records", "url": url, "events": ["summary.submitted"]})
        return response.status_code == 400 and "There is a problem" in response.text

    # In development and tests plain http is allowed to this machine only.
    assert refused("http://example.org/hooks")
    assert refused("ftp://127.0.0.1/hooks")
    assert refused("https://someone:password@127.0.0.1/hooks")
    app.config.update(DEVELOPMENT=False, TESTING=False)
    for url in ("http://127.0.0.1:9/hooks", "https://127.0.0.1/hooks", "https://localhost/hooks",
                "https://10.1.2.3/hooks", "https://192.168.0.7/hooks", "https://[::1]/hooks",
                "https://169.254.169.254/latest/meta-data", "https://[::ffff:10.0.0.1]/x"):
        assert refused(url), url
    assert not refused("https://93.184.216.34/hooks")  # a public address is accepted
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(WebhookEndpoint)) == 1


def test_events_made_while_an_endpoint_is_off_wait_and_are_sent_when_it_is_on(
        app, client, world, tmp_path, receivers):
    receiver = receivers("whsec_" + "A" * 44, tmp_path / "received")
    endpoint_id, secret = add_endpoint(app, world, receiver.url)
    trust(receiver, secret)
    as_person(app, client, world.people["org_admin.n1"])
    page = f"/organisation/endpoints/{endpoint_id}"
    assert post_form(client, f"{page}/turn-off", {}, page=page).status_code == 302
    event = emit(app, world)
    assert event is not None  # queued for the endpoint that is off
    assert run_worker(app) == 0 and receiver.kept() == {}  # it waits
    assert "1 event waiting" in client.get("/organisation/endpoints").text
    assert post_form(client, f"{page}/turn-on", {}, page=page).status_code == 302
    run_worker(app)
    assert list(receiver.kept()) == [event]


# --- the outbox ------------------------------------------------------------------------------

def test_emit_writes_an_outbox_row_per_wanting_endpoint_in_the_callers_transaction(app, world):
    wanted, _ = add_endpoint(app, world, "http://127.0.0.1:9/a", ["summary.submitted"])
    add_endpoint(app, world, "http://127.0.0.1:9/b", ["case.erased"])
    off, _ = add_endpoint(app, world, "http://127.0.0.1:9/c", ["summary.submitted"])
    add_endpoint(app, world, "http://127.0.0.1:9/d", ["summary.submitted"], panel="n2")
    change(app, update(WebhookEndpoint).where(WebhookEndpoint.id == off).values(active=False))
    with app.app_context():
        case = db.session().get(Case, world.cases["p1"])
        service.emit("summary.submitted", case.panel_id, case.id, {"views": WORDS})
        db.session().rollback()  # the change it reported did not happen: nor did the event
        assert db.session().scalars(select(OutboxEvent)).all() == []
    emit(app, world)
    rows = deliveries(app)
    assert sorted(row.endpoint_id for row in rows) == sorted([wanted, off])  # off: it waits
    with app.app_context():
        event = db.session().scalars(select(OutboxEvent)).one()
        assert event.sealed and WORDS.encode() not in event.body  # sealed under the case key
        assert json.loads(worker.event_body(event, db.session()))["data"] == {"views": WORDS}


def test_the_worker_delivers_signed_events_to_the_reference_receiver(app, client, world, tmp_path,
                                                                     receivers):
    receiver = receivers("whsec_" + "A" * 44, tmp_path / "received")
    endpoint_id, secret = add_endpoint(app, world, receiver.url)
    trust(receiver, secret)
    event_id = emit(app, world)
    assert run_worker(app) == 1
    kept = receiver.kept()
    assert list(kept) == [event_id]
    assert kept[event_id]["type"] == "summary.submitted"
    assert kept[event_id]["data"] == {"views": WORDS}
    headers, body = receiver.requests[0]
    assert headers["webhook-id"] == event_id
    assert verify(secret, headers, body) == kept[event_id]
    with pytest.raises(WebhookVerificationError):
        verify(service.new_secret(), headers, body)
    [row] = deliveries(app)
    assert row.status == "delivered" and row.attempts == 1
    [attempt] = attempts(app)
    assert attempt.status_code == 200 and attempt.error is None
    with app.app_context():
        [reach] = service.deliveries_for_case(world.cases["p1"])
        assert (reach.event_type, reach.endpoint_name, reach.status) == \
            ("summary.submitted", "Case record system", "delivered")
        assert reach.at is not None and reach.status_label == "Delivered"
        assert service.deliveries_for_case(world.cases["p2"]) == []
    as_person(app, client, world.people["org_admin.n1"])
    page = client.get(f"/organisation/endpoints/{endpoint_id}").text
    assert event_id in page and "Delivered" in page and WORDS not in page


def test_rotation_signs_with_both_secrets_for_a_while(app, client, world, tmp_path, receivers):
    receiver = receivers("whsec_" + "A" * 44, tmp_path / "received")
    endpoint_id, old = add_endpoint(app, world, receiver.url)
    as_person(app, client, world.people["org_admin.n1"])
    page = f"/organisation/endpoints/{endpoint_id}"
    response = post_form(client, f"{page}/rotate", {}, page=page)
    assert response.status_code == 200
    new = re.search(r"whsec_[A-Za-z0-9+/=]+", response.text).group(0)
    assert new != old and old not in response.text
    trust(receiver, new)
    emit(app, world)
    run_worker(app)
    headers, body = receiver.requests[-1]
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert verify(old, headers, body) and verify(new, headers, body)
    # The overlap ends: only the new secret signs.
    change(app, update(WebhookEndpoint).values(previous_until=now() - timedelta(seconds=1)))
    emit(app, world)
    run_worker(app)
    headers, body = receiver.requests[-1]
    assert verify(new, headers, body)
    with pytest.raises(WebhookVerificationError):
        verify(old, headers, body)


def test_a_receiver_failing_three_times_then_succeeding_gets_the_event_once(app, world, tmp_path):
    port, folder = free_port(), tmp_path / "received"
    endpoint_id, secret = add_endpoint(app, world, f"http://127.0.0.1:{port}/hooks")
    # The reference receiver, run as its command, failing the first three requests on purpose.
    receiver = flask_command(app, "receiver", "--secret", secret, "--port", str(port),
                             "--folder", str(folder), "--fail-first", "3")
    try:
        wait_for_port(port, receiver)
        event_id = emit(app, world)
        waits = []
        for _ in range(4):
            run_worker(app)
            [row] = deliveries(app)
            if row.status == "pending":
                waits.append((row.next_attempt_at - row.last_attempt_at).total_seconds())
                make_due(app)
        assert row.status == "delivered"
        # About 30 s, 2 min, 10 min between the tries.
        assert [round(w) for w in waits] == [30, 120, 600]
        assert [a.status_code for a in attempts(app)] == [500, 500, 500, 200]
        assert [p.name for p in folder.glob("*.json")] == [f"{event_id}.json"]
        assert json.loads((folder / f"{event_id}.json").read_bytes())["data"] == {"views": WORDS}
    finally:
        receiver.send_signal(signal.SIGINT)
        receiver.wait(10)


def test_retry_after_is_honoured_and_retries_stop_after_three_days(app, world, answering):
    busy = answering(503, {"Retry-After": "7200"})
    add_endpoint(app, world, busy.url)
    emit(app, world)
    run_worker(app)
    [row] = deliveries(app)
    assert row.status == "pending" and row.last_status_code == 503
    assert (row.next_attempt_at - row.last_attempt_at).total_seconds() >= 7200
    assert [service.retry_delay(n) for n in range(1, 9)] == \
        [30, 120, 600, 3600, 21600, 43200, 43200, 43200]
    assert row.give_up_at - row.last_attempt_at == timedelta(days=3)  # from the first try
    # Three days on, the next try would fall after the limit: the delivery fails for good.
    change(app, update(OutboxDelivery).values(
        next_attempt_at=now(), give_up_at=now() + timedelta(seconds=60)))
    run_worker(app)
    [row] = deliveries(app)
    assert row.status == "failed" and busy.count == 2


def test_a_410_turns_the_endpoint_off_and_tells_the_panels_admin(app, client, world, answering):
    gone = answering(410)
    endpoint_id, _ = add_endpoint(app, world, gone.url)
    app.config.update(VAPID_PRIVATE_KEY="x", VAPID_PUBLIC_KEY="y")  # push on: admin's device
    with app.app_context():
        db.session().add(PushSubscription(user_id=world.people["org_admin.n1"].id,
                                          endpoint="https://push.example/1", endpoint_hash="1",
                                          p256dh="k", auth=b"a"))
        db.session().commit()
    emit(app, world)
    emit(app, world, "summary.updated")
    run_worker(app, batch=1)
    assert gone.count == 1
    first, second = deliveries(app, kind="webhook")
    assert first.status == "failed" and first.last_status_code == 410
    assert second.status == "pending"
    with app.app_context():
        endpoint = db.session().get(WebhookEndpoint, endpoint_id)
        assert not endpoint.active and endpoint.disabled_reason == "gone"
        [notice] = db.session().scalars(select(Notification)).all()
        assert notice.user_id == world.people["org_admin.n1"].id
        assert notice.kind == "endpoint_disabled"
        notice_id = notice.id
    [queued] = deliveries(app, kind="push")  # and a push to the admin's device
    assert queued.notification_id == notice_id
    # Nothing more goes to it while it is off; what is new waits for it.
    change(app, update(OutboxDelivery).where(OutboxDelivery.kind == "push").values(
        status="cancelled"))
    assert emit(app, world) is not None
    run_worker(app)
    assert gone.count == 1
    as_person(app, client, world.people["org_admin.n1"])
    listing = client.get("/organisation/endpoints").text
    assert "answered that it is gone" in listing and "2 events waiting" in listing
    notices = client.get("/account/notifications").text
    assert "A case record endpoint was turned off" in notices
    opened = client.get(f"/notifications/{notice_id}")
    assert opened.status_code == 302
    assert opened.location.endswith(f"/organisation/endpoints/{endpoint_id}")


def test_addresses_are_checked_again_when_sending(app, world, tmp_path, receivers):
    receiver = receivers("whsec_" + "A" * 44, tmp_path / "received")
    add_endpoint(app, world, receiver.url)
    emit(app, world)
    app.config.update(DEVELOPMENT=False, TESTING=False)  # 127.0.0.1 is not allowed in production
    run_worker(app)
    assert receiver.requests == []
    [row] = deliveries(app)
    assert row.status == "pending" and row.last_error == "refused:must start with https://"
    with app.test_request_context():
        assert service.explain(row.last_error) == "The web address must start with https://"
    [attempt] = attempts(app)
    assert attempt.status_code is None and attempt.error == row.last_error


def test_send_again_sends_the_same_webhook_id(app, client, world, tmp_path, receivers):
    receiver = receivers("whsec_" + "A" * 44, tmp_path / "received")
    endpoint_id, secret = add_endpoint(app, world, receiver.url)
    trust(receiver, secret)
    event_id = emit(app, world)
    run_worker(app)
    [row] = deliveries(app)
    as_person(app, client, world.people["org_admin.n1"])
    page = f"/organisation/endpoints/{endpoint_id}"
    assert post_form(client, f"{page}/send-again", {"item": row.id}, page=page).status_code == 302
    run_worker(app)
    assert receiver.calls[event_id] == 2 and list(receiver.kept()) == [event_id]
    [row] = deliveries(app)
    assert row.status == "delivered" and len(attempts(app)) == 2
    as_person(app, client, world.people["org_admin.n2"])
    assert post_form(client, f"{page}/send-again", {"item": row.id},
                     page="/organisation/endpoints").status_code == 404


def test_an_erased_cases_content_is_never_sent_but_its_erasure_is(app, world, tmp_path, receivers):
    receiver = receivers("whsec_" + "A" * 44, tmp_path / "received")
    _, secret = add_endpoint(app, world, receiver.url)
    trust(receiver, secret)
    emit(app, world)
    with app.app_context():  # erasure destroys the key and reports it, in one transaction
        case = db.session().get(Case, world.cases["p1"])
        case.wrapped_key, case.erased_at = None, now()
        erased = service.emit_case_erased(case)
        db.session().commit()
        erased_id = erased.id
    run_worker(app, once=False, until_idle=True)  # the erasure waits for the earlier event
    summary, erasure = deliveries(app)
    assert summary.status == "cancelled" and erasure.status == "delivered"
    assert list(receiver.kept()) == [erased_id]
    assert receiver.kept()[erased_id]["data"] == {"case_id": world.cases["p1"],
                                                 "erased_at": receiver.kept()[erased_id]["data"]["erased_at"]}
    assert WORDS not in json.dumps(receiver.kept())
    with app.app_context():
        assert [r.status for r in service.deliveries_for_case(world.cases["p1"])] == \
            ["cancelled", "delivered"]


# --- crashes and concurrency -----------------------------------------------------------------

class HoldFirst(Recording):
    """Keeps the first event, then holds the answer until told to let go."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.holding, self.let_go, self.first = threading.Event(), threading.Event(), None

    def handle_verified(self, webhook_id, headers, body):
        answer = super().handle_verified(webhook_id, headers, body)
        with self.lock:
            first = self.first is None
            if first:
                self.first = webhook_id
        if first:
            self.holding.set()
            self.let_go.wait(60)
        return answer


def test_a_worker_killed_mid_delivery_loses_nothing_and_the_receiver_keeps_each_event_once(
        app, world, tmp_path, receivers):
    receiver = receivers("whsec_" + "A" * 44, tmp_path / "received", cls=HoldFirst)
    _, secret = add_endpoint(app, world, receiver.url)
    trust(receiver, secret)
    sent = {emit(app, world, body={"views": WORDS, "n": n}) for n in range(5)}
    process = flask_command(app, "worker", "--batch", "5")
    try:
        assert receiver.holding.wait(60), "the worker never sent anything"
        process.send_signal(signal.SIGKILL)  # killed while the receiver holds the answer
        process.wait(10)
    finally:
        receiver.let_go.set()
        if process.poll() is None:
            process.kill()
    assert list(receiver.kept()) == [receiver.first]
    rows = deliveries(app)
    assert {row.status for row in rows} == {"pending"}  # nothing marked sent that was not
    with app.app_context():  # the killed worker's lease still holds them
        assert worker.claim("another", 10) == []
    # Its lease runs out (moved into the past rather than waited for); a new worker starts.
    change(app, update(OutboxDelivery).values(lease_until=now() - timedelta(seconds=1)))
    finish(flask_command(app, "worker", "--until-idle"))
    assert set(receiver.kept()) == sent
    assert receiver.calls[receiver.first] == 2  # sent again, and kept once
    assert {row.status for row in deliveries(app)} == {"delivered"}


class Together(Recording):
    """Holds the first request until a second one is being handled at the same time."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.two_at_once = threading.Event()
        self.first_done = False

    def during(self, webhook_id):
        with self.lock:
            if self.total_in_flight >= 2:
                self.two_at_once.set()
            wait = not self.first_done
            self.first_done = True
        if wait:
            self.two_at_once.wait(60)


def test_two_workers_never_send_the_same_event_at_once(app, world, tmp_path, receivers, backend):
    receiver = receivers("whsec_" + "A" * 44, tmp_path / "received", cls=Together)
    _, secret = add_endpoint(app, world, receiver.url)
    trust(receiver, secret)
    if backend == "sqlite":
        # SQLite runs a single worker; its claim is an atomic conditional UPDATE, so a second
        # claim at the same moment gets nothing of what the first holds.
        events = {emit(app, world, case=key, body={"n": n})
                  for n, key in enumerate(more_cases(app, world, 6))}
        with app.app_context():
            first = worker.claim("worker-a", 10)
            assert len(first) == 6 and worker.claim("worker-b", 10) == []
            change(app, update(OutboxDelivery).values(lease_until=now() - timedelta(seconds=1)))
            assert sorted(worker.claim("worker-b", 10)) == sorted(first)  # after its lease
        return
    keys = more_cases(app, world, 10)  # a case's events go one at a time, in order
    events = {emit(app, world, case=keys[n % 10], body={"n": n}) for n in range(30)}
    workers = [flask_command(app, "worker", "--until-idle", "--batch", "3") for _ in range(2)]
    for process in workers:
        finish(process)
    assert receiver.two_at_once.is_set(), "the two workers never sent at the same time"
    assert set(receiver.kept()) == events
    assert set(receiver.calls.values()) == {1}  # each event sent once, so never twice at once
    assert set(receiver.most_at_once.values()) == {1}
    assert {row.status for row in deliveries(app)} == {"delivered"}
    assert len(attempts(app)) == 30


# --- the reference receiver ------------------------------------------------------------------

def test_the_reference_receiver_verifies_dedupes_and_answers_correctly(tmp_path):
    secret = service.new_secret()
    receiver = Receiver([secret], tmp_path / "received").start()
    http = urllib3.PoolManager()
    try:
        body = json.dumps({"type": "case.erased", "data": {"case_id": "x"}}).encode()
        stamp = int(time.time())

        def post(headers, data=body):
            return http.request("POST", receiver.url, body=data, headers=headers).status

        def signed(data=body, at=stamp, key=secret, webhook_id="msg_1"):
            moment = datetime.fromtimestamp(at, timezone.utc)
            return {"webhook-id": webhook_id, "webhook-timestamp": str(at),
                    "webhook-signature": Webhook(key).sign(webhook_id, moment, data.decode())}

        assert post({}) == 400
        assert post(signed(key=service.new_secret())) == 401
        assert post(signed(at=stamp - 600)) == 401  # more than 5 minutes old
        assert post({**signed(), "webhook-signature": "v1,bm90IGl0 " +
                     signed()["webhook-signature"]}) == 200  # any one signature may match
        assert post(signed()) == 200  # again: a duplicate, answered 2xx, kept once
        assert post(signed(data=b"not json", webhook_id="msg_2"), data=b"not json") == 400
        assert http.request("GET", receiver.url).status == 405
        assert [p.name for p in (tmp_path / "received").glob("*.json")] == ["msg_1.json"]
        assert (tmp_path / "received" / "msg_1.json").read_bytes() == body
    finally:
        receiver.stop()


# --- in a browser ----------------------------------------------------------------------------

def test_endpoint_pages_in_a_browser(app, world, live_server, page):
    endpoint_id, _ = add_endpoint(app, world, "http://127.0.0.1:9/old", name="Old records")
    emit(app, world)
    browser_sign_in(page, live_server.url, world.people["org_admin.n1"], PASSWORD)
    page.get_by_role("link", name="Case record endpoints").click()
    page.wait_for_url("**/organisation/endpoints")
    assert_accessible(page)
    page.get_by_role("button", name="Add an endpoint").click()
    page.get_by_role("button", name="Add endpoint").click()  # nothing filled in
    expect(page.get_by_text("There is a problem")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Name").fill("Panel records")
    page.get_by_label("Web address (URL)").fill("http://127.0.0.1:9/hooks")
    page.get_by_label("A summary of the child's views is submitted").check()
    page.get_by_role("button", name="Add endpoint").click()
    assert page.locator("[data-signing-secret]").inner_text().startswith("whsec_")
    assert_accessible(page)
    page.goto(f"{live_server.url}/organisation/endpoints/{endpoint_id}")
    assert page.get_by_role("button", name=re.compile("^Send event")).count() == 0
    expect(page.get_by_text("Waiting to send")).to_be_visible()
    assert_accessible(page)
    assert page.js_errors == []
