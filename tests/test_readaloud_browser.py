"""Read-aloud in real Chromium: an interpreter records a prompt with the fake microphone,
someone else checks it, and a child in Pashto hears it by pressing the read-aloud button."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from voice import db
from voice.capture import service as capture_service
from voice.consent import service as consent
from voice.models import CaptureSession, PromptRecording, User

from .browser import assert_accessible, click_until_seen, translator
from .conftest import post_form
from .test_child_journey import _signed_in
from .test_readaloud import PAGE, PROMPT, _client, coverage_row, grant_interpreter

# Every play() of an audio element, with its URL, and whether it really played.
RECORD_PLAYS = """
window.__played = [];
const play = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function () {
  const entry = { src: this.src, playing: false };
  window.__played.push(entry);
  this.addEventListener("playing", () => { entry.playing = true; }, { once: true });
  return play.call(this);
};
"""
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_prompt_recorded_in_the_browser_is_read_aloud_to_a_child_in_pashto(
        app, world, live_server, page, another_page):
    base = live_server.url
    grant_interpreter(app, world, "advocate.p1")
    grant_interpreter(app, world, "ictg.p1")
    _signed_in(app, page, base, world.people["advocate.p1"])
    page.goto(f"{base}/read-aloud")
    page.locator(f'a[href="{PAGE}"]').click()
    part = page.locator(f'[id="part-{PROMPT}"]')
    click_until_seen(part.get_by_role("button", name="Start recording"))
    page.wait_for_timeout(1500)
    part.get_by_role("button", name="Stop recording").click()
    part.locator("[data-recorder-playback]").wait_for(state="visible")
    expect(part.get_by_role("button", name="Record again")).to_be_visible()
    with page.expect_navigation():
        part.get_by_role("button", name="Save this recording").click()
    assert "Recording saved" in page.content()
    assert part.locator('audio[src*="/read-aloud/file/"]').count() == 1
    assert_accessible(page)
    with app.app_context():
        row = db.session().scalar(select(PromptRecording))
        assert row.media_type == "audio/webm" and 0 < row.seconds <= 60
        digest = row.digest
    total = coverage_row(_client(app, world, "advocate.p1"))[2] + 1
    # Someone else checks it.
    ictg = _client(app, world, "ictg.p1")
    assert post_form(ictg, f"{PAGE}/check", {"part": PROMPT}, page=PAGE).status_code == 302
    assert coverage_row(ictg) == (1, 1, total - 1)

    # The ICTG, before handing over: warned for a language with neither a recording nor a
    # device voice, not for Pashto (which has a recording now).
    child = another_page()
    child.add_init_script(RECORD_PLAYS)
    _signed_in(app, child, base, world.people["ictg.p1"])
    child.goto(f"{base}/cases/{world.cases['p1']}/sessions/new")
    warning = child.locator("[data-readaloud-warning]")
    language = child.get_by_label("The child's language for this session")
    language.select_option("ti")
    has_tigrinya_voice = child.evaluate(
        "speechSynthesis.getVoices().some(v => v.lang.startsWith('ti'))")
    assert warning.is_visible() != has_tigrinya_voice
    language.select_option("ps")
    assert warning.is_hidden()
    child.get_by_label("Who is with the child").fill("ICTG and a Pashto interpreter")
    with child.expect_navigation():
        child.get_by_role("button", name="Hand the device to the child").click()
    session_id = re.search(r"/child/([^/]+)/consent", child.url).group(1)
    with app.test_request_context():
        sitting = db.session().get(CaptureSession, session_id)
        consent.record_consent(sitting, db.session().get(User, world.people["ictg.p1"].id), True,
                               "interpreter", "ps", "yes", "ICTG and a Pashto interpreter")
        db.session().commit()

    # The child in Pashto: the button is there; nothing plays until it is pressed.
    t = translator(app, "ps")
    child.goto(f"{base}/child/{session_id}/step/welcome")
    assert child.evaluate("document.documentElement.lang") == "ps"
    button = child.get_by_role("button", name=t("Read aloud"))
    expect(button).to_be_visible()
    child.wait_for_timeout(500)
    assert child.evaluate("window.__played") == []
    button.click()
    child.wait_for_function("window.__played.length === 1 && window.__played[0].playing")
    [played] = child.evaluate("window.__played")
    assert played["src"] == f"{base}/child/{session_id}/read-aloud/{digest}.webm"
    assert button.get_attribute("aria-pressed") == "true"
    assert child.evaluate("window.__played.length") == 1
    assert page.js_errors == []
