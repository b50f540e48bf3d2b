"""Delivery integrity, tried as a panel's IT team would with an independent Standard Webhooks
receiver over real HTTP on 127.0.0.1: what the child withdrew never reaches the panel after the
withdrawal, a case's events arrive in order, nothing is lost to a killed worker, and people see
delivery trouble in time."""
from __future__ import annotations

import json
import random
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from playwright.sync_api import expect
from sqlalchemy import func, select, update
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from voice import db
from voice.delivery import service, worker
from voice.models import Notification, OutboxDelivery, OutboxEvent, WorkerHeartbeat, now

from .browser import assert_accessible, browser_sign_in
from .conftest import PASSWORD, as_person, csrf_token, post_form
from .test_delivery import (ROOT, add_endpoint, change, deliveries, emit, flask_command,
                            free_port, more_cases, run_worker, worker_env)
from .test_review import WORDS, approved

FAST = {"DELIVERY_RETRY_DELAYS": (1,), "DELIVERY_LEASE_SECONDS": 2}
FAST_ENV = {"VOICE_DELIVERY_RETRY_DELAYS": "1", "VOICE_DELIVERY_LEASE_SECONDS": "2"}


class PanelReceiver(ThreadingHTTPServer):
    """A panel's receiver, independent of voice: verifies with the `standardwebhooks` library,
    keeps every verified request in arrival order, and fails a share of them on purpose."""

    daemon_threads = True

    def __init__(self, secret: str, port: int = 0, fail_share: float = 0.0):
        self.webhook = Webhook(secret)
        self.arrived: list[tuple[str, dict]] = []   # (webhook-id, body), each 2xx answer
        self.kept: dict[str, dict] = {}              # first 2xx per webhook-id
        self.refused = 0
        self.lock = threading.Lock()
        self.random = random.Random(7)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    server.webhook.verify(body, dict(self.headers))
                    status = 200
                except WebhookVerificationError:
                    status = 401
                with server.lock:
                    if status == 200 and server.random.random() < fail_share:
                        status = 500
                    if status == 200:
                        webhook_id = self.headers["webhook-id"]
                        document = json.loads(body)
                        server.arrived.append((webhook_id, document))
                        server.kept.setdefault(webhook_id, document)
                    else:
                        server.refused += 1
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", port), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def stop(self):
        self.shutdown()
        self.server_close()


def in_case_order(arrived: list[tuple[str, dict]]) -> bool:
    """Each case's events first arrived in the order of their sequence numbers."""
    latest: dict[str, int] = {}
    seen = set()
    for webhook_id, body in arrived:
        if webhook_id in seen:
            continue  # a repeat of an event already kept (its answer was lost)
        seen.add(webhook_id)
        if body["sequence"] <= latest.get(body["case_id"], 0):
            return False
        latest[body["case_id"]] = body["sequence"]
    return True


def withdraw(app, world, answer_id: str) -> None:
    ictg = app.test_client()
    as_person(app, ictg, world.people["ictg.p1"])
    response = post_form(ictg, f"/cases/{world.cases['p1']}/withdraw",
                         {"what": answer_id, "how": "interpreter", "childs_decision": "y"})
    assert response.status_code == 302, response.text


def test_withdrawn_words_never_reach_the_panel_after_the_withdrawal(app, client, world, backend):
    """Receiver down -> approve -> the child withdraws an item -> receiver up."""
    app.config.update(FAST)
    port = free_port()
    _, secret = add_endpoint(app, world, f"http://127.0.0.1:{port}/hooks")
    ids, summary_id = approved(app, client, world)
    assert run_worker(app) == 1  # nothing listens yet: the first try fails and waits
    [first] = deliveries(app)
    assert first.status == "pending" and first.last_error == "connect"
    withdraw(app, world, ids["enjoy"][0])  # the child's own words
    receiver = PanelReceiver(secret, port)
    try:
        time.sleep(1.1)  # the retry wait (1 s here)
        if backend == "postgresql":  # two workers at once
            for process in [flask_command(app, "worker", "--until-idle", "--batch", "1")
                            for _ in range(2)]:
                output, _ = process.communicate(timeout=120)
                assert process.returncode == 0, output
        else:
            run_worker(app, once=False, until_idle=True)
    finally:
        receiver.stop()
    types = [body["type"] for _, body in receiver.arrived]
    assert types == ["summary.submitted", "summary.retracted"]  # in the order they happened
    assert [body["sequence"] for _, body in receiver.arrived] == [1, 2]
    submitted = receiver.arrived[0][1]["data"]
    items = {item["id"]: item for item in submitted["items"]}
    assert items[ids["enjoy"][0]] == {"id": ids["enjoy"][0], "withdrawn": True}
    for _, body in receiver.arrived:
        assert WORDS not in json.dumps(body, ensure_ascii=False)
    assert receiver.arrived[1][1]["data"]["items"] == [ids["enjoy"][0]]
    assert {row.status for row in deliveries(app)} == {"delivered"}


def test_media_links_are_signed_when_the_body_is_sent(app, client, world):
    """Retries run for 3 days; a link signed at approval would have expired after one."""
    app.config.update(FAST)
    port = free_port()
    _, secret = add_endpoint(app, world, f"http://127.0.0.1:{port}/hooks")
    ids, _ = approved(app, client, world)
    receiver = PanelReceiver(secret, port)
    # The event was approved two days ago, and its tries have failed since.
    change(app, update(OutboxEvent).values(created_at=now() - timedelta(days=2)))
    try:
        run_worker(app)
    finally:
        receiver.stop()
    [(_, body)] = receiver.arrived
    drawing = {item["id"]: item for item in body["data"]["items"]}[ids["safe-drawing"][0]]
    link = drawing["media"]
    expires = int(re.search(r"expires=(\d+)", link["url"]).group(1))
    assert expires > time.time() + 23 * 3600  # valid for a day from the send
    panel = app.test_client()
    as_person(app, panel, world.people["panel_member.n1"])
    assert panel.get(link["url"].replace("http://localhost", "")).status_code == 200


def test_an_approval_while_the_endpoint_is_off_arrives_when_it_is_on(app, client, world):
    port = free_port()
    endpoint_id, secret = add_endpoint(app, world, f"http://127.0.0.1:{port}/hooks")
    admin = app.test_client()
    as_person(app, admin, world.people["org_admin.n1"])
    page = f"/organisation/endpoints/{endpoint_id}"
    assert post_form(admin, f"{page}/turn-off", {}, page=page).status_code == 302
    approved(app, client, world)
    receiver = PanelReceiver(secret, port)
    try:
        assert run_worker(app) == 0 and receiver.arrived == []
        assert "1 event waiting" in admin.get("/organisation/endpoints").text
        assert post_form(admin, f"{page}/turn-on", {}, page=page).status_code == 302
        run_worker(app)
    finally:
        receiver.stop()
    assert [body["type"] for _, body in receiver.arrived] == ["summary.submitted"]
    assert "0 events waiting" in admin.get("/organisation/endpoints").text


def test_killing_the_worker_20_times_loses_nothing(app, world, tmp_path):
    """500 events over 25 cases, a receiver failing 15% of requests, the worker killed with
    SIGKILL 20 times: every event arrives, each case's in order, within 2 minutes of the last
    restart."""
    port = free_port()
    _, secret = add_endpoint(app, world, f"http://127.0.0.1:{port}/hooks")
    keys = more_cases(app, world, 25)
    with app.app_context():
        for n in range(500):
            case = world.cases[keys[n % 25]]
            service.emit("summary.updated", world.orgs["n1"], case, {"n": n})
        db.session().commit()
        sent = set(db.session().scalars(select(OutboxEvent.id)))
    receiver = PanelReceiver(secret, port, fail_share=0.15)
    env = {**worker_env(app), **FAST_ENV}
    log = tmp_path / "worker.log"  # a file, not a pipe: a full pipe would stall the worker

    def start_worker():
        with open(log, "a") as sink:
            return subprocess.Popen([sys.executable, "-m", "flask", "--app", "voice", "worker",
                                     "--batch", "5"], env=env, cwd=ROOT, stdout=sink,
                                    stderr=subprocess.STDOUT)
    try:
        for _ in range(20):
            process = start_worker()
            time.sleep(random.uniform(0.8, 1.6))
            process.send_signal(signal.SIGKILL)
            process.wait(10)
        restarted = time.monotonic()
        process = start_worker()
        while len(receiver.kept) < 500 and time.monotonic() - restarted < 120:
            time.sleep(0.2)
        took = time.monotonic() - restarted
        process.send_signal(signal.SIGTERM)
        process.wait(60)
    finally:
        receiver.stop()
    output = log.read_text()
    assert set(receiver.kept) == sent, f"{len(sent - set(receiver.kept))} lost"
    assert took < 120
    assert receiver.refused > 0  # the faults really happened
    assert in_case_order(receiver.arrived)
    assert {row.status for row in deliveries(app)} == {"delivered"}
    # One log line per attempt, without the body.
    assert re.search(r"delivery \S+: 200 -> delivered in \d+ ms", output)
    assert '"n":' not in output


def test_a_killed_workers_claims_are_taken_again_within_a_minute(app, world):
    add_endpoint(app, world, f"http://127.0.0.1:{free_port()}/hooks")
    emit(app, world)
    with app.app_context():
        [claimed] = worker.claim("killed", 10)
        lease = db.session().get(OutboxDelivery, claimed).lease_until
        assert lease - now() <= timedelta(seconds=60)
        assert worker.claim("another", 10) == []
    change(app, update(OutboxDelivery).values(lease_until=now() - timedelta(seconds=1)))
    with app.app_context():
        assert worker.claim("another", 10) == [claimed]


def test_health_reports_the_outbox_and_a_stalled_worker(app, client, world):
    assert client.get("/healthz").get_json()["outbox"] == {
        "waiting": 0, "failing": 0, "held": 0, "oldest_waiting_seconds": 0, "worker": "none",
        "worker_seen_seconds_ago": None}
    add_endpoint(app, world, f"http://127.0.0.1:{free_port()}/hooks")
    emit(app, world)
    run_worker(app)  # fails: nothing listens
    change(app, update(OutboxDelivery).values(created_at=now() - timedelta(minutes=5)))
    with app.app_context():
        worker.heartbeat("worker-a", now())
    outbox = client.get("/healthz").get_json()["outbox"]
    assert outbox["waiting"] == 1 and outbox["failing"] == 1
    assert outbox["oldest_waiting_seconds"] >= 300 and outbox["worker"] == "running"
    change(app, update(WorkerHeartbeat).values(seen_at=now() - timedelta(minutes=2)))
    outbox = client.get("/healthz").get_json()["outbox"]
    assert outbox["worker"] == "stalled" and outbox["worker_seen_seconds_ago"] >= 120


def test_subscribing_without_push_keys_says_why(app, client, world):
    as_person(app, client, world.people["ictg.p1"])
    response = client.post("/account/notifications/subscribe", json={"endpoint": "x"},
                           headers={"X-CSRFToken": csrf_token(client, "/account/notifications")})
    assert response.status_code == 503
    assert "not set up on this service" in response.get_json()["reason"]


def test_failing_endpoint_and_a_delivery_that_gives_up_in_a_browser(app, world, live_server, page):
    endpoint_id, _ = add_endpoint(app, world, f"http://127.0.0.1:{free_port()}/hooks",
                                  name="Panel records")
    emit(app, world)
    run_worker(app)  # nothing listens: could not connect
    browser_sign_in(page, live_server.url, world.people["org_admin.n1"], PASSWORD)
    page.goto(f"{live_server.url}/organisation/endpoints")
    expect(page.get_by_text("Panel records is failing: Could not connect to the receiver")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Panel records")
    expect(row.get_by_text("Failing", exact=True)).to_be_visible()
    expect(row.get_by_text(re.compile("^Failing since .*: Could not connect to the receiver$"))).to_be_visible()
    expect(row.get_by_text("1 event waiting")).to_be_visible()
    assert_accessible(page)
    # Three days of tries later, the last one fails too: it gives up and the admin is told.
    change(app, update(OutboxDelivery).values(next_attempt_at=now(), give_up_at=now()))
    run_worker(app)
    [gave_up] = deliveries(app, kind="webhook")
    assert gave_up.status == "failed"
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == world.people["org_admin.n1"].id,
            Notification.kind == "delivery_gave_up")) == 1
    advocate = app.test_client()
    as_person(app, advocate, world.people["advocate.p1"])
    assert "A copy for the panel did not arrive" in advocate.get(
        f"/cases/{world.cases['p1']}").text
    page.goto(f"{live_server.url}/account/notifications")
    notice = page.get_by_role("link", name=re.compile("could not deliver an event"))
    expect(notice).to_be_visible()
    assert_accessible(page)
    notice.click()
    page.wait_for_url(f"**/organisation/endpoints/{endpoint_id}")
    expect(page.get_by_text("Could not connect to the receiver").first).to_be_visible()
    assert page.js_errors == []
