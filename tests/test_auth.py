"""Accounts: invitations, passwords, two factors, lockout, sessions and re-authentication."""
from __future__ import annotations

import re
import statistics
import time
from datetime import timedelta
from urllib.parse import quote

import pyotp
from sqlalchemy import func, select

from voice import db
from voice.auth import passwords, service
from voice.models import AuditEvent, AuthSession, Invitation, RecoveryCode, User, now

from .conftest import PASSWORD, as_person, csrf_token, post_form, sign_in
from .test_capture import start_session


def _invite(app, client, world, email="new.person@example.org", role="ictg"):
    as_person(app, client, world.people["org_admin.p1"])
    response = post_form(client, "/organisation/people", {"email": email, "role": role})
    assert response.status_code == 200, response.text
    link = re.search(r"data-invite-link>([^<]+)<", response.text).group(1)
    client.delete_cookie("voice", domain="localhost")
    return link.replace("http://localhost", "")


def _count(app, model, *where):
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(model).where(*where))


def test_invitation_creates_an_account_once(app, client, world):
    path = _invite(app, client, world)
    with app.app_context():
        stored = db.session().scalars(select(Invitation.token_hash)).all()
    token = path.rsplit("/", 1)[1]
    assert token not in stored and len(stored) == 1  # only a hash is kept
    data = {"display_name": "New Person", "new_password": "quiet meadow lantern 1987 ferry",
            "confirm": "quiet meadow lantern 1987 ferry"}
    response = post_form(client, path, data)
    assert response.status_code == 302
    assert _count(app, User, User.email == "new.person@example.org") == 1
    again = client.get(path)
    assert again.status_code == 404
    assert "cannot be used" in again.text


def test_expired_invitation_is_refused(app, client, world):
    path = _invite(app, client, world)
    with app.app_context():
        invitation = db.session().scalar(select(Invitation))
        invitation.expires_at = now() - timedelta(seconds=1)
        db.session().commit()
    assert client.get(path).status_code == 404


def test_password_rules(app, client, world):
    path = _invite(app, client, world)
    cases = {"short pass": "at least 12 characters", "x" * 129: "128 characters or fewer",
             "password1234": "too common", "": "Enter a new password"}
    for password, message in cases.items():
        response = post_form(client, path, {"display_name": "A", "new_password": password,
                                            "confirm": password})
        assert response.status_code == 400
        assert message in response.text
        assert 'href="#new_password"' in response.text  # the error summary links to the field
    assert _count(app, User, User.email == "new.person@example.org") == 0


def test_passwords_are_argon2id(app, world):
    with app.app_context():
        user = db.session().get(User, world.people["ictg.p1"].id)
        assert user.password_hash.startswith("$argon2id$")


def test_first_sign_in_enrols_totp_with_inline_qr_and_recovery_codes(app, client, world):
    with app.app_context():
        user = db.session().get(User, world.people["ictg.p1"].id)
        user.totp_secret = None
        db.session().commit()
    response = post_form(client, "/sign-in", {"email": "ictg.p1@example.org", "password": PASSWORD})
    assert response.location.startswith("/sign-in/set-up-two-factor")
    page = client.get("/sign-in/set-up-two-factor")
    assert "<svg" in page.text and "http" not in page.text.split("<svg", 1)[1].split("</svg>")[0].replace("http://www.w3.org", "")
    secret = re.search(r'class="voice-secret">([A-Z2-7]+)<', page.text).group(1)
    wrong = post_form(client, "/sign-in/set-up-two-factor", {"code": "000000"})
    assert wrong.status_code == 400 and "code is not right" in wrong.text
    done = post_form(client, "/sign-in/set-up-two-factor", {"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", done.text)
    assert len(codes) == 10
    with app.app_context():
        hashes = db.session().scalars(select(RecoveryCode.code_hash)).all()
    assert len(hashes) == 10 and not set(codes) & set(hashes)
    assert client.get("/cases/").status_code == 200
    # A recovery code works once instead of a TOTP code.
    client.delete_cookie("voice", domain="localhost")
    post_form(client, "/sign-in", {"email": "ictg.p1@example.org", "password": PASSWORD})
    assert post_form(client, "/sign-in/code", {"code": codes[0]}).status_code == 302
    client.delete_cookie("voice", domain="localhost")
    post_form(client, "/sign-in", {"email": "ictg.p1@example.org", "password": PASSWORD})
    assert post_form(client, "/sign-in/code", {"code": codes[0]}).status_code == 400


def test_totp_code_cannot_be_replayed(client, world):
    person = world.people["ictg.p1"]
    code = pyotp.TOTP(person.secret).now()
    post_form(client, "/sign-in", {"email": person.email, "password": PASSWORD})
    assert post_form(client, "/sign-in/code", {"code": code}).status_code == 302
    client.delete_cookie("voice", domain="localhost")
    post_form(client, "/sign-in", {"email": person.email, "password": PASSWORD})
    again = post_form(client, "/sign-in/code", {"code": code})
    assert again.status_code == 400


def test_lockout_after_five_failures_and_same_message_for_unknown_email(app, client, world):
    person = world.people["ictg.p1"]
    unknown = post_form(client, "/sign-in", {"email": "nobody@example.org", "password": "whatever it is"})
    wrong = post_form(client, "/sign-in", {"email": person.email, "password": "not the password"})
    message = "The email address or password is not right"
    assert unknown.status_code == wrong.status_code == 400
    assert message in unknown.text and message in wrong.text
    for _ in range(4):
        post_form(client, "/sign-in", {"email": person.email, "password": "still not it"})
    locked = post_form(client, "/sign-in", {"email": person.email, "password": PASSWORD})
    assert locked.status_code == 400 and message in locked.text
    with app.app_context():
        user = db.session().get(User, person.id)
        assert user.locked_until > now() + timedelta(minutes=14)
        # The lock is in the database: another app process sees it too; it lapses after 15 min.
        user.locked_until = now() - timedelta(seconds=1)
        db.session().commit()
    assert post_form(client, "/sign-in", {"email": person.email, "password": PASSWORD}).status_code == 302
    assert _count(app, AuditEvent, AuditEvent.action == "account.locked") == 1


def test_wrong_codes_count_towards_lockout(app, client, world):
    person = world.people["advocate.p1"]
    post_form(client, "/sign-in", {"email": person.email, "password": PASSWORD})
    for _ in range(5):
        response = post_form(client, "/sign-in/code", {"code": "123456"})
    assert response.status_code == 302 and response.location.endswith("/sign-in")
    with app.app_context():
        assert db.session().get(User, person.id).locked_until > now()


def test_sessions_are_rows_found_by_hash_and_cookies_are_strict(app, client, world):
    response = sign_in(client, world.people["ictg.p1"])
    cookie = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookie if c.startswith("voice="))
    token = session_cookie.split(";")[0].split("=", 1)[1]
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert len(token) >= 43  # 256 bits
    with app.app_context():
        hashes = db.session().scalars(select(AuthSession.token_hash)).all()
    assert token not in hashes and len(hashes) == 1


def test_secure_cookie_outside_development(tmp_path, database_url, world):
    from voice import create_app

    from .conftest import app_config

    secure = create_app(app_config(tmp_path, database_url, SECURE_COOKIES=True, DEVELOPMENT=False))
    client = secure.test_client()
    response = client.get("/sign-in")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-voice-form=") and "Secure" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    secure.extensions["voice.engine"].dispose()


def test_sign_out_deletes_the_session(app, client, world):
    sign_in(client, world.people["ictg.p1"])
    stolen = client.get_cookie("voice", domain="localhost").value
    post_form(client, "/sign-out", {}, page="/account")
    assert _count(app, AuthSession) == 0
    client.set_cookie("voice", stolen, domain="localhost")
    assert client.get("/cases/").location.endswith("/sign-in")


def test_idle_and_absolute_timeouts(app, client, world):
    as_person(app, client, world.people["ictg.p1"])
    assert client.get("/cases/").status_code == 200
    with app.app_context():
        row = db.session().scalar(select(AuthSession))
        row.last_seen_at = now() - timedelta(minutes=31)
        db.session().commit()
    assert client.get("/cases/").status_code == 302
    assert _count(app, AuthSession) == 0
    as_person(app, client, world.people["ictg.p1"])
    with app.app_context():
        row = db.session().scalar(select(AuthSession))
        row.created_at = now() - timedelta(hours=12, seconds=1)
        db.session().commit()
    assert client.get("/cases/").status_code == 302


def test_sign_out_everywhere_and_password_change_end_other_sessions(app, world):
    person = world.people["ictg.p1"]
    first, second, third = app.test_client(), app.test_client(), app.test_client()
    for c in (first, second, third):
        as_person(app, c, person)
    new = "amber kestrel windmill 2031 quay"
    response = post_form(first, "/account/password",
                         {"password": PASSWORD, "new_password": new, "confirm": new}, page="/account")
    assert response.status_code == 302
    assert first.get("/cases/").status_code == 200
    assert second.get("/cases/").status_code == 302
    as_person(app, second, person)
    post_form(second, "/account/sign-out-everywhere", {}, page="/account")
    assert first.get("/cases/").status_code == 302 and second.get("/cases/").status_code == 302
    assert _count(app, AuthSession) == 0


def test_admin_ends_a_persons_sessions(app, world):
    ictg, admin = app.test_client(), app.test_client()
    as_person(app, ictg, world.people["ictg.p1"])
    as_person(app, admin, world.people["org_admin.p1"])
    url = f"/organisation/people/{world.people['ictg.p1'].id}/end-sessions"
    post_form(admin, url, {}, page=f"/organisation/people/{world.people['ictg.p1'].id}")
    assert ictg.get("/cases/").status_code == 302


def test_role_change_needs_fresh_password_and_code(app, client, world):
    admin = world.people["org_admin.p1"]
    target = world.people["ictg.p1"]
    as_person(app, client, admin)
    with app.app_context():
        row = db.session().scalar(select(AuthSession))
        row.reauth_at = now() - timedelta(minutes=6)
        db.session().commit()
    page = f"/organisation/people/{target.id}"
    response = post_form(client, f"{page}/role", {"role": "advocate"}, page=page)
    # Asked to confirm it is them, then brought back to the page the form was on.
    assert response.status_code == 302 and response.location == f"/reauth?next={page}"
    with app.app_context():
        assert db.session().get(User, target.id).role == "ictg"
    reauth = client.get(response.location)
    assert "Nothing has been changed yet" in reauth.text and "advocate" not in response.location
    wrong = post_form(client, response.location, {"password": PASSWORD, "code": "000000"})
    assert wrong.status_code == 400
    code = pyotp.TOTP(admin.secret).at(time.time() + 30)
    done = post_form(client, response.location, {"password": PASSWORD, "code": code})
    assert done.status_code == 302 and done.location == page
    assert post_form(client, f"{page}/role", {"role": "advocate"}, page=page).status_code == 302
    with app.app_context():
        assert db.session().get(User, target.id).role == "advocate"


def test_missing_csrf_token_changes_nothing(app, client, world):
    as_person(app, client, world.people["org_admin.p1"])
    response = client.post("/organisation/people", data={"email": "x@example.org", "role": "ictg"})
    assert response.status_code == 400
    assert "The form had expired" in response.text
    assert _count(app, Invitation) == 0


def test_sign_in_takes_as_long_for_an_unknown_or_locked_account_as_for_a_wrong_password(
        app, client, world):
    # The production Argon2 cost (tests normally use a lower one), as in a process that started
    # with it; no lock in the way of timing.
    app.config.update(ARGON2_TIME_COST=3, ARGON2_MEMORY_KIB=65536, LOCKOUT_ATTEMPTS=10_000)
    passwords._DUMMY.clear()
    real, locked = world.people["ictg.p1"], world.people["advocate.p1"]
    with app.app_context():
        db.session().get(User, real.id).password_hash = passwords.hash_password(PASSWORD)
        db.session().get(User, locked.id).locked_until = now() + timedelta(minutes=15)
        db.session().commit()
    emails = {"unknown email": "nobody@example.org", "locked account": locked.email,
              "wrong password": real.email}
    token = csrf_token(client, "/sign-in")
    took = {name: [] for name in emails}
    # CPU time, not wall time: the same work, without the noise of other processes on the machine.
    for round_ in range(10):
        names = list(emails)[round_ % 3:] + list(emails)[:round_ % 3]  # alternate the order
        for name in names:
            start = time.process_time()
            response = client.post("/sign-in", data={"csrf_token": token, "email": emails[name],
                                                     "password": "not the password at all"})
            if round_:  # the first round warms up
                took[name].append(time.process_time() - start)
            assert response.status_code == 400
    medians = {name: statistics.median(times) for name, times in took.items()}
    assert max(medians.values()) <= 1.2 * min(medians.values()), medians


def _lock(client, person):
    """Five wrong passwords for person's email, from someone else's browser."""
    for _ in range(5):
        post_form(client, "/sign-in", {"email": person.email, "password": "not the password"})


def test_a_lock_ends_the_accounts_sessions_and_says_why(app, world):
    person = world.people["ictg.p1"]
    phone, laptop, attacker = app.test_client(), app.test_client(), app.test_client()
    as_person(app, phone, person)
    as_person(app, laptop, person)
    assert phone.get("/cases/").status_code == 200
    token = csrf_token(laptop, "/account")  # the laptop has the account page open
    _lock(attacker, person)
    page = phone.get("/cases/")
    assert page.status_code == 403
    assert "Your account is locked" in page.text and "too many wrong tries" in page.text
    assert phone.get("/cases/").location.endswith("/sign-in")  # that session is gone
    # The laptop is told at its next request too, even one sending a form, and even when that
    # comes after the 15 minutes of the lock: 20 minutes ago it was signed in, 17 minutes ago
    # last used, 16 minutes ago the account was locked.
    with app.app_context():
        db.session().get(User, person.id).locked_until = now() - timedelta(minutes=1)
        for row in db.session().scalars(select(AuthSession)):
            row.created_at = now() - timedelta(minutes=20)
            row.last_seen_at = now() - timedelta(minutes=17)
        db.session().commit()
    sent = laptop.post("/account/language", data={"csrf_token": token, "locale": "cy"})
    assert sent.status_code == 403 and "Your account is locked" in sent.text
    with app.app_context():
        assert db.session().get(User, person.id).locale is None
    assert _count(app, AuthSession) == 0
    # Signing in again afterwards works as usual.
    sign_in(phone, person)
    assert phone.get("/cases/").status_code == 200


def test_a_lock_from_wrong_reauthentication_says_why(app, client, world):
    person = world.people["org_admin.p1"]
    as_person(app, client, person)
    for _ in range(5):
        response = post_form(client, "/reauth", {"password": "not the password", "code": "000000"})
    assert response.status_code == 403 and "Your account is locked" in response.text
    assert client.get("/cases/").location.endswith("/sign-in")


def test_a_lock_asks_the_child_holding_the_device_to_hand_it_back(app, world):
    device, attacker = app.test_client(), app.test_client()
    session_id = start_session(app, device, world, language="ar")
    _lock(attacker, world.people["ictg.p1"])
    page = device.get(f"/child/{session_id}/consent")
    assert page.status_code == 403 and 'lang="ar"' in page.text
    assert "الرجاء إعادة الهاتف إلى الوصيّ عليك." in page.text
    assert "locked" not in page.text and "/cases" not in page.text
    assert device.get(f"/child/{session_id}/consent").location.endswith("/sign-in")


def test_no_redirect_to_another_site_after_signing_in_or_reauthenticating(app, client, world):
    person = world.people["org_admin.p1"]
    elsewhere = ["/\\example.org/x", "/\\/example.org", "//example.org/x", "https://example.org/",
                 "javascript:alert(1)"]
    post_form(client, "/sign-in", {"email": person.email, "password": PASSWORD})
    done = post_form(client, f"/sign-in/code?next={quote(elsewhere[0])}",
                     {"code": pyotp.TOTP(person.secret).now()}, page="/sign-in/code")
    assert done.status_code == 302 and done.location == "/cases/"
    with app.app_context():
        codes = service.new_recovery_codes(db.session().get(User, person.id))
        db.session().commit()
    for target, code in zip(elsewhere, codes):
        url = f"/reauth?next={quote(target, safe='')}"
        response = post_form(client, url, {"password": PASSWORD, "code": code})
        assert response.status_code == 302 and response.location == "/account", target
