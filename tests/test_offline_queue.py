"""The sealed queue in Debian's Chromium: answers given offline are sealed in IndexedDB (no word
and no media byte in clear), then sent once back online, consent first, each exactly once; a
20 MB recording whose upload is cut half way resumes from the last confirmed chunk."""
from __future__ import annotations

import base64
import io
import struct
import wave

import pytest
from PIL import Image
from sqlalchemy import select, text

from voice import db
from voice.models import Answer

from .browser import click_until_seen
from .conftest import as_person
from .test_capture import jpeg_with_gps
from .test_child_journey import _decrypted_answers, _signed_in
from .test_offline_sw import _session_cached

pytestmark = pytest.mark.service_worker  # offline, the pages come from the service worker

WORDS = "tangerine-lighthouse-5521"
MORE_WORDS = "marmalade-compass-7730"
# Every record of the queue, its values as base64 when they are bytes or blobs.
READ_QUEUE = """async (session) => {
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open(`voice-queue-${session}`);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const items = await new Promise((resolve) => {
    const request = db.transaction("items").objectStore("items").getAll();
    request.onsuccess = () => resolve(request.result);
  });
  db.close();
  const b64 = async (value) => {
    const bytes = new Uint8Array(value instanceof Blob ? await value.arrayBuffer() : value);
    let out = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      out += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    }
    return btoa(out);
  };
  const out = [];
  for (const item of items) {
    const record = {};
    for (const [key, value] of Object.entries(item)) {
      record[key] = value instanceof Blob || value instanceof ArrayBuffer ? await b64(value) : value;
    }
    out.push(record);
  }
  return out;
}"""


def _hand_over(page, base, case_id):
    page.goto(f"{base}/cases/{case_id}")
    page.get_by_role("button", name="Start a session with the child").click()
    page.get_by_label("The child's language for this session").select_option("en")
    page.get_by_label("Who is with the child").fill("ICTG")
    page.get_by_role("button", name="Hand the device to the child").click()
    page.wait_for_url("**/consent")
    return page.url.split("/child/")[1].split("/")[0]


def _child_with_consent(app, world, page, base) -> str:
    """An ICTG's device handed over to a new session whose consent was given (and sent)."""
    _signed_in(app, page, base, world.people["ictg.p1"])
    session_id = _hand_over(page, base, world.cases["p1"])
    _consent(page)
    return session_id


def _answer_words(page, base, session_id):
    page.goto(f"{base}/child/{session_id}/step/enjoy")
    page.locator("#answer-text").fill(WORDS)
    with page.expect_navigation():  # online: on to the next step
        _next(page)


def _consent(page):
    page.get_by_role("button", name="Yes, that is okay").click()
    page.wait_for_url("**/consent/guardian")
    page.get_by_label("The child tapped yes").check()
    page.locator("#understood-0").click()
    with page.expect_navigation(url="**/step/**"):
        page.get_by_role("button", name="Save and give the device to the child").click()


def _queue(page, session_id):
    return page.evaluate(READ_QUEUE, session_id)


def _next(page):
    page.get_by_role("button", name="Next", exact=True).click()


def _received(app, session_id):
    with app.app_context():
        return [tuple(row) for row in db.session().execute(text(
            "SELECT kind, outcome FROM received_item WHERE session_id = :s ORDER BY received_at"),
            {"s": session_id})]


def _stored(app, world):
    """The session's answers as stored (decrypted), each with how many versions it has."""
    rows, _choices = _decrypted_answers(app, world.cases["p1"])
    with app.app_context():
        counts = {answer.step_id: len(answer.versions)
                  for answer in db.session().scalars(select(Answer))}
    return {step: row[:5] + (counts[step],) for step, row in rows.items()}


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_answers_given_offline_are_sealed_on_the_phone_then_sent_once(app, world, live_server, page,
                                                                      tmp_path):
    base = live_server.url
    context = page.context
    _signed_in(app, page, base, world.people["ictg.p1"])
    session_id = _hand_over(page, base, world.cases["p1"])
    _consent(page)  # sent through the queue at once: the device is online
    assert _received(app, session_id) == [("consent", "stored")]

    # Each step open in its own tab while online; then the signal goes.
    steps = {}
    for step in ("feel-today", "enjoy", "safe-drawing", "matters-photo", "feel-more"):
        tab = context.new_page()
        tab.goto(f"{base}/child/{session_id}/step/{step}")
        steps[step] = tab
    _session_cached(tab, session_id)  # the service worker keeps the session's pages
    context.set_offline(True)
    saved = "Saved on this phone. It will be sent when there is internet."

    tab = steps["feel-today"]
    tab.get_by_label("Calm").check()
    tab.get_by_label("Sad").check()
    _next(tab)
    tab.get_by_text(saved).wait_for()

    tab = steps["enjoy"]
    tab.locator("#answer-text").fill(WORDS)
    _next(tab)
    tab.get_by_text(saved).wait_for()

    tab = steps["safe-drawing"]
    box = tab.locator("canvas").bounding_box()
    tab.mouse.move(box["x"] + 40, box["y"] + 40)
    tab.mouse.down()
    for i in range(1, 12):
        tab.mouse.move(box["x"] + 40 + i * 15, box["y"] + 40 + i * 8)
    tab.mouse.up()
    _next(tab)
    tab.get_by_text(saved).wait_for()

    tab = steps["matters-photo"]
    photo = jpeg_with_gps()
    (tmp_path / "p.jpg").write_bytes(photo)
    tab.locator("#answer-file").set_input_files(str(tmp_path / "p.jpg"))
    _next(tab)
    tab.get_by_text(saved).wait_for()

    tab = steps["feel-more"]
    click_until_seen(tab.get_by_role("button", name="Start recording"))
    tab.wait_for_timeout(5000)
    tab.get_by_role("button", name="Stop recording").click()
    tab.locator("[data-playback]").wait_for(state="visible")
    recording = base64.b64decode(tab.evaluate("""async () => {
      const file = document.querySelector('#answer-file').files[0];
      const bytes = new Uint8Array(await file.arrayBuffer());
      let out = ''; for (const b of bytes) out += String.fromCharCode(b); return btoa(out);
    }"""))
    _next(tab)
    tab.get_by_text(saved).wait_for()

    # The queue, read straight from IndexedDB: only ids, kinds, order, sizes, sealed bytes and
    # the ephemeral public keys; none of the words, options or media bytes the child gave.
    records = _queue(tab, session_id)
    assert sorted(r["kind"] for r in records) == ["answer"] * 5 + ["drawing", "photo", "voice"]
    allowed = {"id", "kind", "order", "size", "sealed", "epk", "file", "sent"}
    assert all(set(r) <= allowed for r in records), records[0].keys()
    dump = repr([{k: v for k, v in r.items() if k not in ("sealed", "epk")} for r in records]).encode()
    blobs = b"".join(base64.b64decode(r["sealed"]) + base64.b64decode(r["epk"]) for r in records)
    for secret in (WORDS.encode(), b'"calm"', b'"sad"', b'"feel-today"', b'"enjoy"'):
        assert secret not in dump and secret not in blobs
    for media in (photo, recording):
        for start in range(0, len(media) - 64, max(64, len(media) // 20)):
            assert media[start:start + 64] not in blobs
    assert _received(app, session_id) == [("consent", "stored")]  # nothing left the phone

    # Every page is closed. Still offline, the session opens again from the service worker's
    # cache: the child sees that answers are saved and waiting, not what they said, and goes on.
    for other in list(context.pages):
        other.close()
    tab = context.new_page()
    tab.goto(f"{base}/child/{session_id}/step/hopes?form=text")
    tab.get_by_text(saved).wait_for()
    assert WORDS not in tab.content()
    tab.locator("#answer-text").fill(MORE_WORDS)
    with tab.expect_navigation():
        _next(tab)
    tab.get_by_text(saved).wait_for()
    assert len(_queue(tab, session_id)) == 9

    # Back online, the first answer's acknowledgement is lost once: the device keeps the item,
    # sends it again, and the server acknowledges it as a replay.
    lost = []

    def lose_first_ack(route):
        response = route.fetch()
        if not lost:
            lost.append(response.json())
            route.abort()
        else:
            route.fulfill(response=response)
    context.route("**/items", lose_first_ack)
    context.set_offline(False)
    for _ in range(100):
        if lost:
            break
        tab.wait_for_timeout(100)
    assert lost and lost[0]["status"] == "stored"
    # Stored on the server, but without the acknowledgement the device keeps it (and, not
    # knowing what went wrong, sends nothing more for now).
    assert len(_queue(tab, session_id)) == 9
    assert _received(app, session_id) == [("consent", "stored"), ("answer", "stored")]
    # The page opened again while the server cannot be reached: the child sees that answers are
    # saved and waiting, not what they said.
    context.unroute("**/items")
    context.route("**/items", lambda route: route.abort())
    tab.reload()
    tab.get_by_text(saved).wait_for()
    assert WORDS not in tab.content()
    context.unroute("**/items")
    answers = []
    tab.on("response", lambda r: answers.append(r.json()["status"]) if r.url.endswith("/items") else None)
    tab.reload()  # the next page load sends what is still waiting
    tab.wait_for_function("document.querySelector('[data-queue]').hidden", timeout=30000)
    # The item whose acknowledgement was lost is acknowledged as a replay, not stored again.
    for _ in range(50):  # the last response event may come a moment after the page is done
        if len(answers) >= 6:
            break
        tab.wait_for_timeout(100)
    assert sorted(answers) == ["duplicate"] + ["stored"] * 5
    assert _queue(tab, session_id) == []

    received = _received(app, session_id)
    assert received[0] == ("consent", "stored") and len(received) == 7
    rows = _stored(app, world)
    assert set(rows) == {"feel-today", "enjoy", "safe-drawing", "matters-photo", "feel-more",
                         "hopes"}
    assert all(row[5] == 1 for row in rows.values())  # each stored once
    assert rows["feel-today"][:2] == ("feelings", ["calm", "sad"])
    assert rows["enjoy"][:2] == ("text", WORDS)
    assert rows["hopes"][:2] == ("text", MORE_WORDS)
    form, _value, drawing, media_type, _seconds, _n = rows["safe-drawing"]
    assert (form, media_type) == ("drawing", "image/png")
    assert Image.open(io.BytesIO(drawing)).size == (800, 600)
    form, _value, picture, media_type, _seconds, _n = rows["matters-photo"]
    assert (form, media_type) == ("photo", "image/jpeg") and b"GPS" not in picture
    form, _value, audio, media_type, seconds, _n = rows["feel-more"]
    assert (form, media_type) == ("voice", "audio/webm") and 4 < seconds < 8

    # The advocate sees them.
    advocate = app.test_client()
    as_person(app, advocate, world.people["advocate.p1"])
    seen = advocate.get(f"/sessions/{session_id}").text
    assert WORDS in seen and MORE_WORDS in seen


def _wav(seconds: int, rate=44100) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frame = struct.pack("<h", 1200) + struct.pack("<h", -1200)
        out.writeframes(frame * (seconds * rate // 2))
    return buffer.getvalue()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_big_recording_cut_half_way_resumes_from_the_last_confirmed_chunk(app, world, live_server,
                                                                           page, tmp_path):
    base = live_server.url
    session_id = _child_with_consent(app, world, page, base)
    recording = _wav(238)  # about 21 MB, under 10 minutes
    assert len(recording) > 20 * 1024 * 1024
    (tmp_path / "long.wav").write_bytes(recording)
    page.goto(f"{base}/child/{session_id}/step/feel-more")
    patches, heads = [], []

    def cut_once(route):
        request = route.request
        if request.method == "HEAD":
            heads.append(True)
        if request.method == "PATCH":
            offset = int(request.headers["upload-offset"])
            patches.append(offset)
            if len(patches) == 6:  # half way: the connection drops during this chunk
                route.abort("connectionreset")
                return
        route.continue_()
    page.route("**/uploads/*", cut_once)
    page.locator("#answer-file").set_input_files(str(tmp_path / "long.wav"))
    with page.expect_navigation(timeout=60000):
        _next(page)
    chunk = 2 * 1024 * 1024
    # Chunks 0..4 confirmed, the sixth cut; then a HEAD asks where to go on, and the upload goes on
    # from the sixth chunk, not from zero.
    assert patches[:6] == [i * chunk for i in range(6)]
    assert patches[6] == 5 * chunk and heads
    assert 0 not in patches[1:] and len(patches) == 12
    rows = _stored(app, world)
    form, _value, audio, media_type, seconds, _n = rows["feel-more"]
    assert (form, media_type) == ("voice", "audio/wav") and 237 < seconds < 239
    assert _received(app, session_id) == [("consent", "stored"), ("answer", "stored")]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_ictg_sees_what_waits_and_is_warned_before_leaving(app, world, live_server, page):
    base = live_server.url
    session_id = _child_with_consent(app, world, page, base)
    page.context.route("**/items", lambda route: route.abort())  # the server cannot be reached
    _answer_words(page, base, session_id)  # kept on the phone
    page.get_by_text("Saved on this phone. It will be sent when there is internet.").wait_for()
    page.goto(f"{base}/child/{session_id}/leave")
    status = page.locator("[data-queue-staff]")
    page.wait_for_function("document.querySelector('[data-queue-staff]').textContent !== ''")
    assert status.inner_text().startswith("Saved answers waiting on this device: 1. Their size:")
    assert WORDS not in page.content()
    page.get_by_label("Your password").fill("violet tangerine harbour 42 lanterns")
    page.get_by_role("button", name="Leave child mode").click()
    warning = page.locator("[data-queue-warning]")
    warning.wait_for(state="visible")
    assert "/leave" in page.url and warning.evaluate("element => element === document.activeElement")
    with page.expect_navigation(url="**/sessions/*"):
        page.get_by_role("button", name="Leave child mode").click()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_finished_and_sent_session_leaves_nothing_in_indexeddb(app, world, live_server, page):
    base = live_server.url
    session_id = _child_with_consent(app, world, page, base)
    _answer_words(page, base, session_id)
    page.goto(f"{base}/child/{session_id}/share")
    with page.expect_navigation(url="**/done"):
        page.get_by_role("button", name="Finish").click()
    assert _received(app, session_id) == [("consent", "stored"), ("answer", "stored"),
                                          ("share", "stored")]
    page.wait_for_function(
        "async (name) => !(await indexedDB.databases()).some((db) => db.name === name)",
        arg=f"voice-queue-{session_id}")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_consent_form_not_filled_in_shows_the_forms_own_errors(app, world, live_server, page):
    base = live_server.url
    _signed_in(app, page, base, world.people["ictg.p1"])
    session_id = _hand_over(page, base, world.cases["p1"])
    page.get_by_role("button", name="Yes, that is okay").click()
    page.wait_for_url("**/consent/guardian")
    page.get_by_role("button", name="Save and give the device to the child").click()
    page.get_by_text("Select how the agreement was given").first.wait_for()
    assert _received(app, session_id) == []


def _alerts(app, session_id):
    with app.app_context():
        return db.session().scalar(text(
            "SELECT count(*) FROM safety_alert a JOIN capture_answer_version v ON v.id = a.version_id "
            "JOIN capture_answer n ON n.id = v.answer_id WHERE n.session_id = :s"), {"s": session_id})


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_safety_answer_saved_offline_raises_the_alert_when_it_arrives(app, world, live_server, page):
    base = live_server.url
    session_id = _child_with_consent(app, world, page, base)
    page.goto(f"{base}/child/{session_id}/step/safe-home")
    page.context.set_offline(True)
    page.get_by_label("No", exact=True).check()
    _next(page)
    page.get_by_text("Saved on this phone. It will be sent when there is internet.").wait_for()
    assert _alerts(app, session_id) == 0  # nothing has left the phone yet
    page.context.set_offline(False)
    for _ in range(100):
        if _alerts(app, session_id):
            break
        page.wait_for_timeout(100)
    assert _alerts(app, session_id) == 1
