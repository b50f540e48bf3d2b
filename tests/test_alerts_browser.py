"""In real Chromium: a child in Tigrinya says they do not feel safe and keeps it private; the ICTG
hears of it at once by a notice and a Web Push with nothing personal in it, the panel never sees
it, and its acknowledgement and escalation are recorded. And "My feelings" (ages 4 to 7) walked by
keyboard and by touch at 320 px, with no step that needs typing."""
from __future__ import annotations

import json
import re
import time
from datetime import date, timedelta

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout, expect
from sqlalchemy import select, update

from voice import db
from voice.cases import service as cases
from voice.delivery import push, worker
from voice.models import (Answer, AuditEvent, Notification, Organisation, SafetyAlert, Summary,
                          User, now)
from voice.summary import door

from .browser import translator
from .conftest import as_person, post_form
from .test_alerts import _make_lead
from .test_child_journey import (PIN, _check, _choose_radio, _decrypted_answers, _record_by_keyboard,
                                 _signed_in, _start, _tab_to)
from .test_push import Browser, push_service, subscribe, vapid  # noqa: F401  (fixtures)


def _devices(app, client, world, push_service, *who):
    """A push subscription (a browser's keys) for each person, by the HTTP API the page uses."""
    browsers = {}
    for name in who:
        browsers[name] = Browser(f"{push_service.origin}/push/{name}")
        as_person(app, client, world.people[name])
        assert subscribe(client, browsers[name]).status_code == 201
    return browsers


def _received(push_service, browser) -> list[dict]:
    path = browser.endpoint.split(push_service.origin, 1)[1]
    return [browser.decrypt(body) for got, _headers, body in list(push_service.received)
            if got == path]


def _actions(app, case_id) -> list[str]:
    with app.app_context():
        return list(db.session().scalars(select(AuditEvent.action).where(
            AuditEvent.case_id == case_id, AuditEvent.action.like("alert.%"))
            .order_by(AuditEvent.id)))


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_child_in_tigrinya_says_no_privately_and_is_heard_at_once(
        app, client, world, live_server, page, vapid, push_service):  # noqa: F811
    base, case_id = live_server.url, world.cases["p1"]
    ictg = world.people["ictg.p1"]
    _make_lead(app, world, "advocate.p1")
    browsers = _devices(app, client, world, push_service, "ictg.p1", "org_admin.p1")
    ti = translator(app, "ti")

    _signed_in(app, page, base, ictg)
    _start(page, base, case_id, "ti")
    words = page.locator("#consent-words").inner_text()
    assert ti("If you tell us you are not safe, your guardian will be told, so they can help.") in words
    page.get_by_role("button", name=ti("Yes, that is okay")).click()
    page.locator("#given_how-1").click()
    page.locator("#understood-0").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Save and give the device to the child").click()
    session_url = page.url.split("/step/")[0]

    page.goto(f"{session_url}/step/feel-today")
    page.locator("#option-happy").click()
    with page.expect_navigation():
        page.locator("form[data-step-form] button[type=submit]").click()
    page.goto(f"{session_url}/step/safe-home")
    assert page.evaluate("document.documentElement.lang") == "ti"
    _check(page)
    page.locator("#option-no").click()
    started = time.monotonic()
    with page.expect_navigation():
        page.locator("form[data-step-form] button[type=submit]").click()

    # Within 5 seconds: the ICTG's notice, and the push received and decrypted.
    while True:
        with app.app_context():
            worker.run(until_idle=True)
            notices = db.session().scalars(select(Notification.id).where(
                Notification.user_id == ictg.id, Notification.kind == push.SAFETY_ALERT)).all()
        messages = _received(push_service, browsers["ictg.p1"])
        if notices and messages:
            break
        assert time.monotonic() - started < 5, "no notice and push within 5 seconds"
        time.sleep(0.1)
    assert time.monotonic() - started < 5
    [notice_id] = notices
    with app.app_context():
        [alert_id] = db.session().scalars(select(SafetyAlert.id)).all()
        advocate_told = db.session().scalar(select(Notification.id).where(
            Notification.user_id == world.people["advocate.p1"].id,
            Notification.kind == push.SAFETY_ALERT))
    assert advocate_told is not None  # the safeguarding lead
    assert messages == [{"title": "voice", "body": push.text(push.SAFETY_ALERT)[1],
                         "url": f"/notifications/{notice_id}"}]
    text = json.dumps(messages)
    for personal in (case_id, "Child of p1", ictg.email, ictg.id, alert_id, session_url,
                     "ictg p1", "Tigrinya", ti("No")):
        assert personal not in text, personal

    # The child finishes, sharing how they feel and keeping the safety answer private.
    with app.app_context():
        answers = {a.step_id: a.id for a in db.session().scalars(select(Answer))}
    page.goto(f"{session_url}/share")
    page.locator(f"input[name='share-{answers['feel-today']}'][value=panel]").check()
    assert page.locator(f"input[name='share-{answers['safe-home']}'][value=private]").is_checked()
    with page.expect_navigation():
        page.locator("button[type=submit]").click()
    assert page.url.endswith("/done")

    # The advocate approves; the panel's summary does not hold the private item.
    advocate = app.test_client()
    as_person(app, advocate, world.people["advocate.p1"])
    response = post_form(advocate, f"/cases/{case_id}/review",
                         {"overview": "She is happy today.", "action": "approve"})
    assert response.status_code == 302, response.text
    summary_id = re.search(r"/summaries/([^/]+)$", response.headers["Location"]).group(1)
    with app.test_request_context():
        items = door.for_panel(db.session().get(Summary, summary_id))["items"]
    assert [item["id"] for item in items] == [answers["feel-today"]]
    panel = app.test_client()
    as_person(app, panel, world.people["panel_member.n1"])
    summary_page = panel.get(f"/summaries/{summary_id}").text
    for hidden in ("Do you feel safe where you live now?", ti("Do you feel safe where you live now?"),
                   answers["safe-home"], alert_id, "Safety alert"):
        assert hidden not in summary_page, hidden

    # Time moves on: 31 minutes unacknowledged, the worker escalates to the org admins.
    with app.app_context():
        db.session().execute(update(SafetyAlert).values(raised_at=now() - timedelta(minutes=31)))
        db.session().commit()
        worker.run(until_idle=True)
    [escalated] = _received(push_service, browsers["org_admin.p1"])
    assert escalated["body"] == push.text(push.SAFETY_ALERT_ESCALATED)[1]
    assert case_id not in json.dumps(escalated)

    # The ICTG leaves child mode and records what they did, from the case page.
    page.goto(f"{session_url}/leave")
    page.get_by_label("The session PIN, or your password").fill(PIN)
    page.get_by_role("button", name="Leave child mode").click()
    page.wait_for_url("**/sessions/*")
    page.goto(f"{base}/cases/{case_id}")
    page.get_by_role("link", name="See the alert and record what you did").click()
    _check(page)
    page.get_by_label("What did you do?").fill("Spoke with her and her carer today.")
    page.get_by_role("button", name="Record that I acted on this alert").click()
    page.get_by_text("Recorded. The alert is closed.").wait_for()
    page.goto(f"{base}/cases/{case_id}")
    assert page.get_by_role("link", name="See the alert and record what you did").count() == 0
    with app.app_context():
        row = db.session().get(SafetyAlert, alert_id)
        assert row.acknowledged_by_id == ictg.id and row.escalated_at is not None
    assert _actions(app, case_id) == ["alert.raise", "alert.notify", "alert.escalate",
                                      "alert.read", "alert.acknowledge", "alert.read"]


# --- "My feelings", ages 4 to 7 ----------------------------------------------------------------

TEXT_ENTRY = "textarea, input[type=text], input[type=search], input:not([type]), [contenteditable]"


def _young_case(app, world) -> str:
    with app.test_request_context():
        session = db.session()
        case = cases.create(session.get(Organisation, world.orgs["p1"]),
                            session.get(Organisation, world.orgs["n1"]), "Young child", "4-7",
                            ["en"], session.get(User, world.people["ictg.p1"].id), None,
                            date.today() + timedelta(days=20))
        session.commit()
        return case.id


def _hand_over(app, page, world, base, case_id, use):
    """The ICTG starts a session in English and hands the device over; the child agrees. `use`
    clicks or taps a control."""
    _signed_in(app, page, base, world.people["ictg.p1"])
    _start(page, base, case_id, "en")
    _check(page, 320)
    for control in (page.get_by_role("button", name="Yes, that is okay"),
                    page.get_by_label("The child tapped yes"), page.get_by_label("Yes", exact=True)):
        use(control)
    with page.expect_navigation():
        use(page.get_by_role("button", name="Save and give the device to the child"))


def _no_typing_and_big_targets(page):
    """Nothing on the step asks for typing; what the child taps is at least 44 px each way."""
    assert page.locator(TEXT_ENTRY).count() == 0, page.url
    for target in page.locator(".child-card__label, .child-button, .child-recorder__button").all():
        if target.is_visible():
            box = target.bounding_box()
            assert box["width"] >= 44 and box["height"] >= 44, (page.url, box)


def _walk(page, app, act):
    """Each step of the questionnaire until the review page; `act(step)` answers it."""
    steps = []
    while "/review" not in page.url:
        _check(page, 320)
        _no_typing_and_big_targets(page)
        step = page.url.rsplit("/", 1)[-1].split("?")[0]
        steps.append(step)
        assert len(steps) <= 12, steps
        try:
            with page.expect_navigation():
                act(step)
        except PlaywrightTimeout as error:
            raise AssertionError(f"no next page after {step} ({page.url}); script errors: "
                                 f"{page.js_errors}; said: {getattr(page, 'said', None)}") from error
    return steps


def _finish(page, press):
    _check(page, 320)
    press(page.get_by_role("link", name="I have finished"))
    page.wait_for_url("**/share")
    _check(page, 320)
    _no_typing_and_big_targets(page)
    press(page.get_by_role("button", name="Finish"))
    page.wait_for_url("**/done")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_my_feelings_by_keyboard_at_320px_needs_no_typing(app, world, live_server, page):
    base, case_id = live_server.url, _young_case(app, world)
    page.set_viewport_size({"width": 320, "height": 640})
    _hand_over(app, page, world, base, case_id, lambda control: control.click())

    def press(locator):
        _tab_to(page, locator)
        page.keyboard.press("Enter")

    def act(step):
        if step == "feel-today":
            _tab_to(page, page.get_by_label("Happy"))
            page.keyboard.press("Space")
        elif step == "safe-home":
            _choose_radio(page, page.get_by_label("Yes", exact=True))
        elif step == "like":
            _tab_to(page, page.get_by_label("Stories"))
            page.keyboard.press("Space")
        elif step == "people" and "form=" not in page.url:
            return press(page.get_by_role("link", name="Draw it"))
        elif step in ("happy-drawing", "people"):
            _tab_to(page, page.locator("canvas"))
            for key in ["ArrowRight"] * 5 + ["ArrowDown"] * 3:
                page.keyboard.press(key)
        elif step == "tell":
            _record_by_keyboard(page)
        next_button = page.get_by_role("button", name="Next", exact=True)
        press(next_button if next_button.count() else page.get_by_role("link", name="Next", exact=True))

    steps = _walk(page, app, act)
    assert steps == ["welcome", "feel-today", "safe-home", "like", "happy-drawing", "people",
                     "people", "tell", "thank-you"]
    _finish(page, press)
    rows, _choices = _decrypted_answers(app, case_id)
    assert rows["feel-today"][1] == ["happy"] and rows["safe-home"][1] == ["yes"]
    assert rows["like"][1] == ["stories"] and rows["happy-drawing"][0] == "drawing"
    assert rows["people"][0] == "drawing" and rows["tell"][3] == "audio/webm"
    with app.app_context():
        assert db.session().scalars(select(SafetyAlert)).all() == []  # "Yes" is no signal


def _swipe(page, canvas):
    """A finger drawn across the canvas (touch events, as a phone sends them); the drawing can
    then be undone."""
    box = canvas.bounding_box()
    cdp = page.context.new_cdp_session(page)
    points = [(box["x"] + box["width"] * f, box["y"] + box["height"] * f) for f in (0.2, 0.4, 0.6)]
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart",
                                          "touchPoints": [{"x": points[0][0], "y": points[0][1]}]})
    for x, y in points[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()
    expect(page.get_by_role("button", name="Undo")).to_be_enabled()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_my_feelings_by_touch_at_320px_needs_no_typing(app, world, live_server, another_page):
    base, case_id = live_server.url, _young_case(app, world)
    page = another_page(viewport={"width": 320, "height": 640}, has_touch=True, is_mobile=True,
                        device_scale_factor=2)
    context = page.context
    # What the page said and which requests failed, named too.
    page.said = []
    page.on("console", lambda m: page.said.append(f"{m.type}: {m.text}"))
    context.on("requestfailed", lambda r: page.said.append(f"failed {r.method} {r.url}: {r.failure}"))
    # Each click the page saw and each page it went to, whichever page it was on.
    acted = []
    context.expose_binding("voiceClicked", lambda _source: acted.append("click"))
    context.add_init_script("addEventListener('click', () => window.voiceClicked(), true)")
    page.on("request", lambda r: r.is_navigation_request() and acted.append("page"))

    def tap(locator):
        """A finger's tap. On a loaded machine Chromium sometimes ends a tap with no click
        (pointer down and up, then nothing): the finger then taps again, as a child would."""
        for _ in range(3):
            seen = len(acted)
            locator.tap()
            deadline = time.monotonic() + 3
            while len(acted) == seen and time.monotonic() < deadline:
                page.wait_for_timeout(50)
            if len(acted) > seen:
                return
        raise AssertionError(f"three taps on {locator} clicked nothing")

    _hand_over(app, page, world, base, case_id, tap)

    def act(step):
        if step == "feel-today":
            tap(page.locator("#option-sad"))
        elif step == "safe-home":
            tap(page.locator("#option-not-sure"))
        elif step == "like":
            tap(page.locator("#option-playing"))
            tap(page.locator("#option-food"))
        elif step == "people" and "form=" not in page.url:
            return tap(page.get_by_role("link", name="Say it"))
        elif step == "happy-drawing":
            _swipe(page, page.locator("canvas"))
        elif step in ("tell", "people"):
            tap(page.get_by_role("button", name="Start recording"))
            page.wait_for_function(
                "document.querySelector('[data-timer]').textContent !== '0:00'")
            tap(page.get_by_role("button", name="Stop recording"))
            page.locator("[data-playback]").wait_for(state="visible")
        next_button = page.get_by_role("button", name="Next", exact=True)
        tap(next_button if next_button.count() else page.get_by_role("link", name="Next",
                                                                      exact=True))

    steps = _walk(page, app, act)
    assert steps == ["welcome", "feel-today", "safe-home", "like", "happy-drawing", "people",
                     "people", "tell", "thank-you"]
    _finish(page, tap)
    rows, choices = _decrypted_answers(app, case_id)
    assert rows["feel-today"][1] == ["sad"] and rows["safe-home"][1] == ["not-sure"]
    assert rows["like"][1] == ["playing", "food"] and rows["happy-drawing"][0] == "drawing"
    assert rows["people"][0] == "voice" and rows["tell"][0] == "voice"
    assert set(choices.values()) == {"private"}
    with app.app_context():  # "Not sure" is a safety signal, even kept private
        [alert] = db.session().scalars(select(SafetyAlert)).all()
        assert alert.case_id == case_id
