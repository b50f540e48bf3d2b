"""The child's journey in real Chromium: Arabic (right to left) with a fake microphone, then by
keyboard alone at 320 CSS px; axe-core on every child step in Arabic, English and Tigrinya."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout, expect
from sqlalchemy import select

from voice import db, storage
from voice.capture import service as capture_service
from voice.cases.service import cipher
from voice.models import Answer, CaptureSession, Case, SharingRecord

from .browser import assert_accessible, click_until_seen, translator
from .test_capture import jpeg_with_gps

PIN = "2468"


def _signed_in(app, page, base_url, person):
    """A signed-in browser for person (the sign-in itself is tested elsewhere)."""
    from voice.auth import sessions
    from voice.models import User
    with app.test_request_context():
        token = sessions.start(db.session().get(User, person.id))
        db.session().commit()
    page.context.add_cookies([{"name": "voice", "value": token, "url": base_url}])


def _start(page, base_url, case_id, language):
    page.goto(f"{base_url}/cases/{case_id}")
    page.get_by_role("button", name="Start a session with the child").click()
    page.get_by_label("The child's language for this session").select_option(language)
    page.get_by_label("Who is with the child").fill("ICTG and an Arabic interpreter")
    page.get_by_label("Session PIN (optional)").fill(PIN)
    page.get_by_role("button", name="Hand the device to the child").click()
    page.wait_for_url("**/consent")


def _check(page, width=None):
    assert_accessible(page)
    assert page.js_errors == [], page.js_errors
    if width:
        assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def _decrypted_answers(app, case_id):
    with app.test_request_context():
        case = db.session().get(Case, case_id)
        rows = {}
        for answer in db.session().scalars(select(Answer).where(Answer.case_id == case_id)):
            version = answer.latest
            media = storage.read_all(cipher(case), case.id, version.media_file_id) \
                if version.media_file_id else None
            rows[answer.step_id] = (version.form, capture_service.value_of(version), media,
                                    version.media_type, version.media_seconds, version.language)
        choices = {r.answer_id: r.choice for r in db.session().scalars(select(SharingRecord))}
        steps = {a.id: a.step_id for a in db.session().scalars(select(Answer))}
        return rows, {steps[k]: v for k, v in choices.items()}


# Each journey runs once (the client tests cover both databases): Arabic on PostgreSQL, the
# keyboard journey on SQLite.
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_child_journey_in_arabic_with_every_kind_of_answer(app, world, live_server, page, tmp_path):
    base = live_server.url
    t = translator(app, "ar")
    _signed_in(app, page, base, world.people["ictg.p1"])
    _start(page, base, world.cases["p1"], "ar")
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["ar", "rtl"]
    _check(page)
    # Read aloud only where it can work: recorded prompt audio (none in these questionnaires) or
    # a voice of the device for the page's language.
    has_voice = page.evaluate("speechSynthesis.getVoices().some(v => v.lang.startsWith('ar'))")
    assert page.locator("[data-speak]").first.is_visible() == has_voice
    # Hide this screen: a neutral screen at once, then back.
    page.get_by_role("link", name=t("Hide this screen")).click()
    assert page.title() == t("Notes") and page.locator("[data-child-screen]").is_hidden()
    page.get_by_role("button", name=t("Close")).click()
    expect(page.locator("[data-child-screen]")).to_be_visible()

    page.get_by_role("button", name=t("Yes, that is okay")).click()
    page.wait_for_url("**/consent/guardian")
    _check(page)
    page.get_by_label("Through an interpreter").check()  # the guardian page is in their language
    page.get_by_label("Language the interpreter used").select_option("ar")
    page.locator("#understood-0").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Save and give the device to the child").click()

    photo = tmp_path / "IMG_0420.jpg"
    photo.write_bytes(jpeg_with_gps())
    seen = []
    while "/review" not in page.url:
        assert page.evaluate("document.documentElement.dir") == "rtl"
        _check(page)
        step = page.url.rsplit("/", 1)[-1].split("?")[0]
        seen.append(step)
        assert page.locator(".child-progress__text").inner_text().endswith(t("%(number)d of %(total)d", number=1, total=18).split("1", 1)[1])
        if step == "feel-today":
            page.get_by_label(t("Calm")).click()
            page.get_by_label(t("Hopeful")).click()
        elif step == "feel-more":
            click_until_seen(page.get_by_role("button", name=t("Start recording")))
            page.wait_for_function("document.querySelector('[data-timer]').textContent !== '0:00'")
            page.get_by_role("button", name=t("Stop recording")).click()
            page.locator("[data-playback]").wait_for(state="visible")
            # One button to record again, not two that do the same.
            assert page.get_by_role("button", name=t("Record again")).count() == 1
            assert page.get_by_role("button", name=t("Start recording")).count() == 0
            _check(page)
        elif step == "enjoy":
            page.locator("#answer-text").fill("أحب كرة القدم والرسم")
        elif step == "matters-photo":
            page.locator("#answer-file").set_input_files(str(photo))
            page.locator("[data-photo-preview]").wait_for(state="visible")
        elif step == "hopes":
            with page.expect_navigation():
                page.get_by_role("link", name=t("Write it")).click()
            _check(page)
            page.locator("#answer-text").fill("I hope to go to college")
        elif step == "safe-drawing":
            # A drawing area (drawn on with the keys too), not a picture; it says how to draw.
            canvas = page.get_by_role("application", name=t("Drawing space"))
            how = page.locator("#" + canvas.get_attribute("aria-describedby"))
            assert how.is_visible() and how.inner_text() == t(
                "Draw with your finger, a pen or the mouse. With a keyboard, the arrow keys draw "
                "a line, and Space starts a new line.")
            box = page.locator("canvas").bounding_box()
            page.mouse.move(box["x"] + 40, box["y"] + 40)
            page.mouse.down()
            for i in range(1, 12):
                page.mouse.move(box["x"] + 40 + i * 15, box["y"] + 40 + i * 8)
            page.mouse.up()
            page.get_by_role("button", name=t("Blue")).click()
            box = page.locator("canvas").bounding_box()  # the click may have scrolled the page
            page.mouse.move(box["x"] + 200, box["y"] + 30)
            page.mouse.down()
            page.mouse.move(box["x"] + 220, box["y"] + 120)
            page.mouse.up()
            page.get_by_role("button", name=t("Undo")).click()
            page.get_by_role("button", name=t("Black")).click()
            box = page.locator("canvas").bounding_box()
            page.mouse.move(box["x"] + 60, box["y"] + 150)
            page.mouse.down()
            page.mouse.move(box["x"] + 160, box["y"] + 150)
            page.mouse.up()
            _check(page)
        with page.expect_navigation():
            if page.get_by_role("button", name=t("Next"), exact=True).count():
                page.get_by_role("button", name=t("Next"), exact=True).click()
            elif step in ("welcome", "your-words", "you-choose", "thank-you"):
                page.get_by_role("link", name=t("Next"), exact=True).click()
            else:
                page.get_by_role("link", name=t("Skip"), exact=True).click()
        assert "child-error" not in page.content(), step
    assert len(seen) == 18

    # "This is what you told me": every answer, changeable.
    _check(page)
    summary = page.locator(".child-summary")
    assert "أحب كرة القدم والرسم" in summary.inner_text()
    assert summary.locator("audio").count() == 1 and summary.locator("img.child-answer__media").count() == 2
    assert summary.get_by_role("link", name=t("Change")).count() == 6
    page.get_by_role("link", name=t("I have finished")).click()
    page.wait_for_url("**/share")
    _check(page)
    page.locator("fieldset", has_text=t("You can take a photo of something that matters to you.")).get_by_label(t("Share it with the panel")).click()
    page.locator("fieldset", has_text=t("Would you like to say more about how you are feeling?")).get_by_label(t("Share what I said, not my voice")).click()
    page.get_by_role("button", name=t("Finish")).click()
    page.wait_for_url("**/done")
    _check(page)
    page.get_by_role("link", name=t("For your guardian")).click()
    _check(page)
    page.get_by_label("The session PIN, or your password").fill(PIN)  # in the guardian's language
    page.get_by_role("button", name="Leave child mode").click()
    page.wait_for_url(f"**/sessions/*")
    assert page.get_by_text("أحب كرة القدم والرسم").count() == 1

    rows, choices = _decrypted_answers(app, world.cases["p1"])
    assert set(rows) == {"feel-today", "feel-more", "enjoy", "matters-photo", "hopes", "safe-drawing"}
    assert rows["feel-today"][:2] == ("feelings", ["calm", "hopeful"]) or \
        rows["feel-today"][:2] == ("feelings", ["hopeful", "calm"])
    assert rows["enjoy"][:2] == ("text", "أحب كرة القدم والرسم")
    assert rows["hopes"][:2] == ("text", "I hope to go to college")
    form, _value, audio, media_type, seconds, language = rows["feel-more"]
    assert (form, media_type, language) == ("voice", "audio/webm", "ar")
    assert audio.startswith(b"\x1a\x45\xdf\xa3") and b"A_OPUS" in audio and 0.5 < seconds < 60
    form, _value, picture, media_type, _s, _l = rows["matters-photo"]
    assert (form, media_type) == ("photo", "image/jpeg")
    for secret in (b"Exif", b"GPS", b"COMMENT-SECRET-9", b"MakerSecretCamera", b"ICCSECRET"):
        assert secret not in picture
    image = Image.open(io.BytesIO(picture))
    assert image.size == (200, 300) and len(image.getexif()) == 0 and "comment" not in image.info
    form, _value, drawing, media_type, _s, _l = rows["safe-drawing"]
    drawn = Image.open(io.BytesIO(drawing)).convert("RGB")
    assert (form, media_type, drawn.size) == ("drawing", "image/png", (800, 600))
    colours = {colour for _count, colour in drawn.getcolors(1 << 20)}
    assert (27, 38, 49) in colours and (43, 111, 214) not in colours  # the blue line was undone
    assert choices["matters-photo"] == "panel" and choices["feel-more"] == "panel_words"
    assert choices["enjoy"] == "private"


def _tab_to(page, locator, limit=120):
    """Press Tab until the element has focus (the keyboard is the only input here)."""
    handle = locator.element_handle()
    for _ in range(limit):
        if page.evaluate("element => document.activeElement === element", handle):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"could not reach {locator} by keyboard")


def _record_by_keyboard(page):
    """Start and stop the recorder with the keyboard (the fake microphone), until it plays."""
    _start_recording_by_keyboard(page)
    page.keyboard.press("Space")
    page.locator("[data-playback]").wait_for(state="visible")


def _start_recording_by_keyboard(page):
    """Start the recorder with the keyboard (the fake microphone) and leave it recording."""
    _tab_to(page, page.get_by_role("button", name="Start recording"))
    page.keyboard.press("Space")
    page.wait_for_function("document.querySelector('[data-timer]').textContent !== '0:00'")


def _choose_radio(page, radio):
    """Tab into the radio group, then move with the arrow keys to the radio wanted."""
    handle = radio.element_handle()
    name = radio.get_attribute("name")
    for _ in range(120):
        if page.evaluate("name => document.activeElement && document.activeElement.name === name", name):
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Space")
    for _ in range(10):
        if page.evaluate("element => element.checked", handle):
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"could not choose {radio} by keyboard")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_same_journey_by_keyboard_at_320px_and_axe_in_english_and_tigrinya(app, world, live_server,
                                                                            page, tmp_path):
    base = live_server.url
    page.set_viewport_size({"width": 320, "height": 640})
    _signed_in(app, page, base, world.people["ictg.p1"])
    _start(page, base, world.cases["p1"], "en")
    _check(page, 320)
    _tab_to(page, page.get_by_role("button", name="Yes, that is okay"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/consent/guardian")
    _check(page, 320)
    _choose_radio(page, page.get_by_label("The child tapped yes"))
    _choose_radio(page, page.get_by_label("Yes", exact=True))
    _tab_to(page, page.get_by_role("button", name="Save and give the device to the child"))
    with page.expect_navigation():
        page.keyboard.press("Enter")

    photo = tmp_path / "photo.png"
    photo.write_bytes(_png_bytes())
    urls = []
    while "/review" not in page.url:
        _check(page, 320)
        urls.append(page.url)
        step = page.url.rsplit("/", 1)[-1].split("?")[0]
        if step == "feel-today":
            _tab_to(page, page.get_by_label("Okay"))
            page.keyboard.press("Space")
        elif step == "feel-more":
            # Sent while still recording: the recording is stopped, then sent with the step.
            _start_recording_by_keyboard(page)
        elif step == "enjoy":
            # Near the most, a counter shows how much is written; over it, it says so.
            counter = page.locator("#text-count")
            page.locator("#answer-text").fill("a" * 3999)
            assert counter.is_hidden()
            page.locator("#answer-text").fill("a" * 5001)
            assert counter.inner_text() == ("Too long: 5001 of 5000 letters and spaces. "
                                            "Please make it shorter.")
            page.locator("#answer-text").fill("")
            _tab_to(page, page.locator("#answer-text"))
            page.keyboard.type("Cooking")
        elif step == "matters-photo":
            _tab_to(page, page.locator("#answer-file"))
            try:
                with page.expect_file_chooser(timeout=5000) as chooser:
                    page.keyboard.press("Space")
            except PlaywrightTimeout:  # a busy machine can drop the first press: press again
                with page.expect_file_chooser() as chooser:
                    page.keyboard.press("Enter")
            chooser.value.set_files(str(photo))
        elif step == "safe-drawing":
            _tab_to(page, page.locator("canvas"))
            for key in ["ArrowRight"] * 6 + ["ArrowDown"] * 4 + ["Enter"] + ["ArrowLeft"] * 3:
                page.keyboard.press(key)
        next_button = page.get_by_role("button", name="Next", exact=True)
        if next_button.count():
            _tab_to(page, next_button)
        elif page.get_by_role("link", name="Next", exact=True).count():
            _tab_to(page, page.get_by_role("link", name="Next", exact=True))
        else:
            _tab_to(page, page.get_by_role("link", name="Skip", exact=True))
        with page.expect_navigation():
            page.keyboard.press("Enter")
    _check(page, 320)
    _tab_to(page, page.get_by_role("link", name="I have finished"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/share")
    _check(page, 320)
    _choose_radio(page, page.locator("fieldset", has_text="What do you enjoy doing?")
                  .get_by_label("Share it with the panel"))
    _tab_to(page, page.get_by_role("button", name="Finish"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/done")
    _check(page, 320)
    rows, choices = _decrypted_answers(app, world.cases["p1"])
    assert rows["feel-today"][1] == ["okay"] and rows["enjoy"][1] == "Cooking"
    assert rows["feel-more"][3] == "audio/webm" and rows["matters-photo"][3] == "image/png"
    assert rows["safe-drawing"][0] == "drawing" and choices["enjoy"] == "panel"

    # Tigrinya: a fresh session, every step loaded directly, axe on each.
    page.set_viewport_size({"width": 1024, "height": 800})
    page.get_by_role("link", name="For your guardian").click()
    page.get_by_label("The session PIN, or your password").fill(PIN)
    page.get_by_role("button", name="Leave child mode").click()
    page.wait_for_url("**/sessions/*")
    _start(page, base, world.cases["p1"], "ti")
    assert page.evaluate("document.documentElement.lang") == "ti"
    _check(page)
    page.get_by_role("button", name=translator(app, "ti")("Yes, that is okay")).click()
    page.locator("#given_how-1").click()
    page.locator("#understood-0").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Save and give the device to the child").click()
    session_url = page.url.split("/step/")[0]
    for url in urls:
        step = url.rsplit("/", 1)[-1]
        page.goto(f"{session_url}/step/{step}")
        assert page.evaluate("document.documentElement.lang") == "ti"
        _check(page)
    for extra in ("step/hopes?form=voice", "step/people?form=drawing", "review", "share", "stop",
                  "pictures", "leave"):
        page.goto(f"{session_url}/{extra}")
        _check(page)


def _png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(buffer, "PNG")
    return buffer.getvalue()


def _ten_answers(app, session_id):
    """Ten answers of every kind in the child's session, through the capture service."""
    from voice.capture import media

    from .test_capture import png, wav
    with app.test_request_context():
        sitting = db.session().get(CaptureSession, session_id)
        questionnaire = capture_service.questionnaire_of(sitting)
        for step_id, form, words in (
                ("feel-today", "feelings", ""), ("feel-more", "voice", ""),
                ("going-well", "choice", ""), ("enjoy", "text", "Football with my friends"),
                ("matters-photo", "photo", ""), ("worries", "text", "My brother and school"),
                ("hopes", "voice", ""), ("people", "drawing", ""), ("safe-places", "choice", ""),
                ("safe-drawing", "drawing", "")):
            step = questionnaire.step(step_id)
            if form in ("feelings", "choice"):
                capture_service.save(sitting, step, form, [step.options[0].id])
            elif form == "text":
                capture_service.save(sitting, step, form, words)
            else:
                cleaned = media.clean_audio(io.BytesIO(wav(1))) if form == "voice" else \
                    media.clean_image(io.BytesIO(png((120, 90))))
                try:
                    capture_service.save(sitting, step, form, upload=cleaned)
                finally:
                    cleaned.discard()
        db.session().commit()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sharing_ten_answers_fits_a_phone_with_round_radios(app, world, live_server, page):
    base = live_server.url
    _signed_in(app, page, base, world.people["ictg.p1"])
    _start(page, base, world.cases["p1"], "en")
    page.get_by_role("button", name="Yes, that is okay").click()
    page.get_by_label("The child tapped yes").check()
    page.get_by_label("Yes", exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save and give the device to the child").click()
    session_id = page.url.split("/child/")[1].split("/")[0]
    _ten_answers(app, session_id)

    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{base}/child/{session_id}/share")
    _check(page, 375)
    assert page.locator("fieldset").count() == 10
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 2500, height
    # Each answer shows its picture, the child's own picture or their first words.
    assert page.get_by_text("Football with my friends").count() == 1
    assert page.locator("fieldset img[src*='/media/']").count() == 3
    # Every radio is drawn round, chosen or not (not as a ticked square).
    page.locator("fieldset", has_text="What do you enjoy doing?").get_by_label(
        "Share it with the panel").check()
    radii = page.evaluate("""() => [...document.querySelectorAll('input[type=radio]')].map(input =>
        [input.checked, getComputedStyle(input.labels[0], '::before').borderTopLeftRadius])""")
    assert len(radii) == 22 and {radius for _checked, radius in radii} == {"50%"}
    assert [checked for checked, _radius in radii].count(True) == 10
    _check(page, 375)
    page.get_by_role("button", name="Finish").click()
    page.wait_for_url("**/done")
    _rows, choices = _decrypted_answers(app, world.cases["p1"])
    assert choices["enjoy"] == "panel" and choices["worries"] == "private"
