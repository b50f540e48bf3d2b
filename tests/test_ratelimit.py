"""Rate limits on sign-in, codes, invitations and a child session's PIN: per account and per
address, kept in the database (so every process counts every try), with a page saying when to
try again."""
from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select, update

from voice import create_app, db
from voice.models import RateLimitHit, now

from .conftest import PASSWORD, app_config, make_world, post_form
from .test_auth import _invite
from .test_capture import leave, start_session

LIMITS = {"sign_in": (3, 5), "code": (3, 50), "invitation": (3, 5), "pin": (3, 30)}
WAIT = "You can try again in 15 minutes"


@pytest.fixture
def app(tmp_path, database_url):
    application = create_app(app_config(tmp_path, database_url, RATE_LIMITS=LIMITS))
    yield application
    application.extensions["voice.engine"].dispose()


@pytest.fixture
def world(app):
    return make_world(app)


def _from(app, address):
    client = app.test_client()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = address
    return client


def _time_passes(app):
    """The 15 minutes pass for every try made so far."""
    with app.app_context():
        db.session().execute(update(RateLimitHit).values(at=now() - timedelta(minutes=15, seconds=1)))
        db.session().commit()


def _sign_in(client, email, password):
    return post_form(client, "/sign-in", {"email": email, "password": password})


def _assert_limited(response):
    assert response.status_code == 429, response.text
    assert "Too many tries" in response.text and WAIT in response.text
    assert 14 * 60 < int(response.headers["Retry-After"]) <= 15 * 60


def test_sign_in_is_limited_per_account_the_same_for_unknown_emails(app, world):
    person = world.people["ictg.p1"]
    client = _from(app, "203.0.113.1")
    for _ in range(3):
        assert _sign_in(client, person.email, "not the password").status_code == 400
    limited = _sign_in(client, person.email.upper(), PASSWORD)  # even the right password waits
    _assert_limited(limited)
    # An email with no account gets the very same page: nothing tells whether one exists.
    other = _from(app, "203.0.113.2")
    for _ in range(3):
        assert _sign_in(other, "nobody@example.org", "whatever it is").status_code == 400
    unknown = _sign_in(other, "nobody@example.org", "whatever it is")
    _assert_limited(unknown)
    assert unknown.text == limited.text
    # Another person from the same address is not held back by this account's limit.
    assert _sign_in(client, world.people["advocate.p1"].email, PASSWORD).status_code == 302
    # Refused tries are not counted: after the window the right password goes through.
    _time_passes(app)
    assert _sign_in(_from(app, "203.0.113.1"), person.email, PASSWORD).status_code == 302
    with app.app_context():  # neither the email nor the address is stored
        keys = " ".join(db.session().scalars(select(RateLimitHit.key)))
        assert person.email not in keys and "203.0.113" not in keys


def test_sign_in_is_limited_per_address_across_processes(app, world, tmp_path, database_url):
    # A second app on the same database stands for another gunicorn worker or machine.
    second = create_app(app_config(tmp_path / "second", database_url, RATE_LIMITS=LIMITS,
                                   SECRET_KEY=app.config["SECRET_KEY"]))
    emails = [f"guess{n}@example.org" for n in range(5)]
    for n, email in enumerate(emails):
        client = _from(app if n % 2 else second, "198.51.100.7")
        assert _sign_in(client, email, "a guessed password").status_code == 400
    _assert_limited(_sign_in(_from(second, "198.51.100.7"), world.people["ictg.p1"].email, PASSWORD))
    _assert_limited(_sign_in(_from(app, "198.51.100.7"), "guess9@example.org", "x"))
    # Another address is not held back.
    assert _sign_in(_from(app, "198.51.100.8"), world.people["ictg.p1"].email, PASSWORD).status_code == 302
    second.extensions["voice.engine"].dispose()


def test_code_entry_is_limited_per_person(app, world):
    person = world.people["advocate.p1"]
    client = _from(app, "203.0.113.1")
    assert _sign_in(client, person.email, PASSWORD).status_code == 302
    for _ in range(3):
        assert post_form(client, "/sign-in/code", {"code": "123456"}).status_code == 400
    _assert_limited(post_form(client, "/sign-in/code", {"code": pyotp.TOTP(person.secret).now()}))
    # From another address the same person's codes are still held back.
    elsewhere = _from(app, "203.0.113.9")
    assert _sign_in(elsewhere, person.email, PASSWORD).status_code == 302
    _assert_limited(post_form(elsewhere, "/sign-in/code", {"code": pyotp.TOTP(person.secret).now()}))
    _time_passes(app)
    assert post_form(elsewhere, "/sign-in/code", {"code": pyotp.TOTP(person.secret).now()}).status_code == 302


def test_guessing_invitation_links_is_limited_per_address(app, world):
    path = _invite(app, app.test_client(), world)
    guesser = _from(app, "192.0.2.5")
    for n in range(5):
        assert guesser.get(f"/invitations/guessed-token-{n}").status_code == 404
    _assert_limited(guesser.get(path))
    # The invited person, elsewhere, opens their link; the link itself may be opened 3 times.
    invited = _from(app, "192.0.2.6")
    for _ in range(3):
        assert invited.get(path).status_code == 200
    _assert_limited(invited.get(path))


def test_a_child_sessions_pin_is_limited(app, world):
    client = _from(app, "203.0.113.1")
    session_id = start_session(app, client, world, pin="4821")
    for _ in range(3):
        assert leave(client, session_id, "0000").status_code == 400
    _assert_limited(leave(client, session_id, "4821"))
    assert client.get("/cases/").status_code == 404  # the device is still in child mode
    _time_passes(app)
    assert leave(client, session_id, "4821").status_code == 302
