"""Web Push: a local push service receives the request, checks the VAPID JWT, decrypts the RFC 8291
payload with http_ece, and nothing personal is in it. Subscriptions per person and device."""
from __future__ import annotations

import base64
import json
import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from sqlalchemy import select

from voice import db
from voice.delivery import push, worker
from voice.models import Notification, OutboxDelivery, PushSubscription

from .browser import assert_accessible, browser_sign_in
from .conftest import PASSWORD, as_person, csrf_token, post_form

SUBJECT = "mailto:operations@example.org"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PushService(ThreadingHTTPServer):
    """A stand-in for a browser vendor's push service: keeps each request, answers 201 (or what
    the test sets for a path)."""

    daemon_threads = True

    def __init__(self):
        self.received: list[tuple[str, dict, bytes]] = []
        self.answers: dict[str, int] = {}
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                service.received.append((self.path, {k.lower(): v for k, v in
                                                     self.headers.items()}, body))
                self.send_response(service.answers.get(self.path, 201))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def push_service():
    server = PushService()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def vapid(app):
    """Keys from the `vapid-keys` command, set as the service's configuration."""
    result = app.test_cli_runner().invoke(args=["vapid-keys", "--subject", SUBJECT])
    assert result.exit_code == 0, result.output
    values = dict(re.findall(r"^(VOICE_VAPID_\w+)=(\S+)$", result.output, re.M))
    app.config.update(VAPID_PRIVATE_KEY=values["VOICE_VAPID_PRIVATE_KEY"],
                      VAPID_PUBLIC_KEY=values["VOICE_VAPID_PUBLIC_KEY"],
                      VAPID_SUBJECT=values["VOICE_VAPID_SUBJECT"])
    return values


class Browser:
    """What a browser holds for one push subscription: its key pair and auth secret."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.p256dh = b64url(self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    def subscription(self, device="Firefox, Linux") -> dict:
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth)}, "device": device}

    def decrypt(self, body: bytes) -> dict:
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth,
                                           version="aes128gcm"))


def subscribe(client, browser: Browser, **kwargs):
    token = csrf_token(client, "/account/notifications")
    return client.post("/account/notifications/subscribe", json=browser.subscription(**kwargs),
                       headers={"X-CSRFToken": token})


def notify(app, people, kind, **kwargs) -> list[str]:
    with app.app_context():
        notices = push.notify(people, kind, **kwargs)
        db.session().commit()
        return [n.id for n in notices]


def check_vapid(authorization: str, public_key: str, audience: str) -> dict:
    """Verify the VAPID JWT (RFC 8292): ES256 over the public key sent in the header."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid"
    parts = dict(item.split("=", 1) for item in params.split(","))
    assert parts["k"] == public_key
    header, claims, signature = parts["t"].split(".")
    assert json.loads(unb64url(header)) == {"typ": "JWT", "alg": "ES256"}
    raw = unb64url(signature)
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(parts["k"]))
    key.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
               f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if wrong
    decoded = json.loads(unb64url(claims))
    assert decoded["aud"] == audience and decoded["sub"] == SUBJECT
    assert time.time() < decoded["exp"] <= time.time() + 24 * 3600
    return decoded


def test_the_vapid_keys_command_prints_a_matching_key_pair(app, vapid):
    from py_vapid import Vapid
    key = Vapid.from_raw(vapid["VOICE_VAPID_PRIVATE_KEY"].encode())
    public = key.public_key.public_bytes(serialization.Encoding.X962,
                                         serialization.PublicFormat.UncompressedPoint)
    assert b64url(public) == vapid["VOICE_VAPID_PUBLIC_KEY"]
    assert vapid["VOICE_VAPID_SUBJECT"] == SUBJECT


def test_a_push_message_carries_nothing_personal(app, client, world, vapid, push_service):
    ictg = world.people["ictg.p1"]
    browser = Browser(f"{push_service.origin}/push/device-1")
    as_person(app, client, ictg)
    assert subscribe(client, browser).status_code == 201
    case_id = world.cases["p1"]
    [notice_id] = notify(app, [ictg.id], "feedback_arrived", target="cases.show",
                         target_args={"case_id": case_id})
    assert _run(app) == 1

    [(path, headers, body)] = push_service.received
    assert path == "/push/device-1"
    check_vapid(headers["authorization"], vapid["VOICE_VAPID_PUBLIC_KEY"], push_service.origin)
    assert headers["ttl"] == str(push.TTL) and headers["urgency"] == "normal"
    assert headers["content-encoding"] == "aes128gcm"
    message = browser.decrypt(body)
    assert message == {
        "title": "voice",
        "body": "The panel's feedback has arrived. Sign in to voice to read it.",
        "url": f"/notifications/{notice_id}",
    }
    text = json.dumps(message)
    for personal in (case_id, "Child of p1", "ictg p1", ictg.email, ictg.id):
        assert personal not in text
    for secret in (b"feedback", b"Child of p1", case_id.encode()):
        assert secret not in body  # and the body on the wire is encrypted

    # The link needs sign-in, is the person's own, and leads to the right page.
    opened = client.get(message["url"])
    assert opened.status_code == 302 and opened.location.endswith(f"/cases/{case_id}")
    with app.app_context():
        assert db.session().get(Notification, notice_id).read_at is not None
    as_person(app, client, world.people["advocate.p1"])
    assert client.get(message["url"]).status_code == 404
    client.delete_cookie("voice", domain="localhost")
    assert "/sign-in" in client.get(message["url"]).location


def _run(app) -> int:
    with app.app_context():
        return worker.run(once=True)


def test_a_gone_subscription_is_removed(app, client, world, vapid, push_service):
    advocate = world.people["advocate.p1"]
    as_person(app, client, advocate)
    gone, missing, fine = (Browser(f"{push_service.origin}/push/{name}")
                           for name in ("gone", "missing", "fine"))
    for browser in (gone, missing, fine):
        assert subscribe(client, browser).status_code == 201
    push_service.answers.update({"/push/gone": 410, "/push/missing": 404})
    notify(app, [advocate.id], "session_ready_for_review")
    assert _run(app) == 3
    with app.app_context():
        left = db.session().scalars(select(PushSubscription)).all()
        assert [s.endpoint for s in left] == [fine.endpoint]
        statuses = sorted(d.status for d in db.session().scalars(select(OutboxDelivery)))
        assert statuses == ["delivered", "failed", "failed"]
    page = client.get("/account/notifications").text
    assert page.count("Turn off notifications for the device") == 1


def test_notices_reach_only_the_role_their_kind_is_for(app, world, vapid):
    people = [world.people[key].id for key in ("ictg.p1", "advocate.p1", "panel_member.n1")]
    assert len(notify(app, people, "feedback_arrived")) == 1
    assert len(notify(app, people, "summary_arrived")) == 1
    with app.app_context():
        owners = [n.user_id for n in db.session().scalars(
            select(Notification).order_by(Notification.created_at))]
    assert owners == [world.people["ictg.p1"].id, world.people["panel_member.n1"].id]
    with pytest.raises(ValueError), app.app_context():
        push.notify(people, "anything_else")


def test_devices_are_per_person_and_can_be_turned_off(app, client, world, vapid, push_service):
    ictg = world.people["ictg.p1"]
    as_person(app, client, ictg)
    phone, laptop = Browser(f"{push_service.origin}/push/phone"), \
        Browser(f"{push_service.origin}/push/laptop")
    assert subscribe(client, phone, device="Chrome, Android").status_code == 201
    assert subscribe(client, laptop, device="Firefox, Linux").status_code == 201
    page = client.get("/account/notifications").text
    assert "Chrome, Android" in page and "Firefox, Linux" in page
    with app.app_context():
        ids = {s.endpoint: s.id for s in db.session().scalars(select(PushSubscription))}
        assert all(s.auth != laptop.auth for s in db.session().scalars(select(PushSubscription)))
    # Someone else cannot turn off my device.
    as_person(app, client, world.people["advocate.p1"])
    post_form(client, "/account/notifications/remove", {"item": ids[phone.endpoint]},
              page="/account/notifications")
    as_person(app, client, ictg)
    response = post_form(client, "/account/notifications/remove", {"item": ids[phone.endpoint]},
                         page="/account/notifications")
    assert response.status_code == 302
    token = csrf_token(client, "/account/notifications")
    assert client.post("/account/notifications/unsubscribe", json={"endpoint": laptop.endpoint},
                       headers={"X-CSRFToken": token}).status_code == 200
    with app.app_context():
        assert db.session().scalars(select(PushSubscription)).all() == []
    # Bad subscriptions are refused: an endpoint on a private network, or keys that are not keys.
    assert subscribe(client, Browser("http://example.org/push")).status_code == 400
    broken = Browser(f"{push_service.origin}/push/broken")
    broken.p256dh = b64url(b"not a key")
    assert subscribe(client, broken).status_code == 400
    app.config.update(DEVELOPMENT=False, TESTING=False)
    assert subscribe(client, Browser("https://10.0.0.8/push")).status_code == 400
    with app.app_context():
        assert db.session().scalars(select(PushSubscription)).all() == []


def test_the_service_worker_is_served_for_the_whole_site(client):
    response = client.get("/service-worker.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-store"
    assert "showNotification" in response.text and "notificationclick" in response.text


@pytest.mark.service_worker  # a device's subscription is its service worker's
def test_the_notifications_page_in_a_browser(app, world, vapid, live_server, page):
    page.context.grant_permissions(["notifications"], origin=live_server.url)
    browser_sign_in(page, live_server.url, world.people["ictg.p1"], PASSWORD)
    page.get_by_role("link", name="Your account").click()
    page.get_by_role("link", name="Notifications on your devices").click()
    page.wait_for_url("**/account/notifications")
    status = page.locator("[data-push-status]")
    assert status.inner_text() == "Notifications are off for this device."
    assert_accessible(page)
    page.get_by_role("button", name="Turn on notifications on this device").click()
    # Headless Chromium has no push service: the page says so, the worker is registered.
    page.wait_for_function("document.querySelector('[data-push-status]').textContent"
                           ".startsWith('Notifications could not be turned on')")
    assert page.evaluate("navigator.serviceWorker.getRegistration('/').then(r => !!r)")
    assert_accessible(page)
    assert page.js_errors == []
