"""In real Chromium: the advocate approves a child's session, a panel member reads it on the
agenda, the provider sees the receipt, the panel records its outcome and message, and the ICTG
records that the child was told. axe-core on every page; the print layout checked as a PDF."""
from __future__ import annotations

import io
import re

from pypdf import PdfReader

from .browser import assert_accessible, browser_sign_in
from .conftest import PASSWORD
from .test_capture import png, wav
from .test_review import capture_media, child_session

CHILD_WORDS = "Waxaan jeclahay dugsiga iyo kubadda cagta"
ACCOUNT = "She spoke about her foster family and wants to stay near them."
JOURNEY = [
    ("feel-today", "feelings", ["happy", "calm"], "panel"),
    ("enjoy", "text", CHILD_WORDS, "panel"),
    ("people", "voice", lambda: capture_media.clean_audio(io.BytesIO(wav(1))), "panel_words"),
    ("safe-drawing", "drawing", lambda: capture_media.clean_image(io.BytesIO(png((300, 200)))),
     "panel"),
    ("hopes", "text", "KEPT-PRIVATE-4410", "private"),
]
A4_POINTS = (595.3, 841.9)  # 210 x 297 mm


def _visit(page, url=None):
    if url:
        page.goto(url)
    assert_accessible(page)


def test_from_the_childs_session_to_the_panel_and_back(app, world, live_server, page,
                                                       another_page):
    base = live_server.url
    ids = child_session(app, world, answers=JOURNEY)
    case_url = f"{base}/cases/{world.cases['p1']}"
    text_id, voice_id = ids["enjoy"][0], ids["people"][0]

    # The advocate reviews and approves.
    browser_sign_in(page, base, world.people["advocate.p1"], PASSWORD)
    _visit(page, case_url)
    page.get_by_role("button", name="Review the child's views").click()
    page.wait_for_url("**/review")
    _visit(page)
    page.locator(f"#translation-{text_id}").fill("I like school and football")
    page.check(f"input[name='provenance-{text_id}'][value='interpreter']")
    page.locator(f"#account-{voice_id}").fill(ACCOUNT)
    page.check(f"input[name='provenance-{voice_id}'][value='interpreter']")
    page.get_by_label("Your overview, in your own words").fill(
        "She was calm and clear. She wants to stay at her school.")
    page.get_by_role("button", name="Approve and send to the panel").click()
    page.wait_for_url(re.compile(r".*/summaries/[^/]+$"))
    assert "Version 1 of the summary has been sent to the panel" in page.content()
    _visit(page)

    # A panel member opens the agenda, the summary and its print layout.
    panel = another_page()
    browser_sign_in(panel, base, world.people["panel_member.n1"], PASSWORD)
    panel.get_by_role("link", name="Agenda").click()
    panel.wait_for_url("**/panel")
    _visit(panel)
    assert "KEPT-PRIVATE" not in panel.content()
    panel.get_by_role("link", name="Child of p1").click()
    panel.wait_for_url(re.compile(r".*/summaries/[^/]+$"))
    _visit(panel)
    summary_url = panel.url
    content = panel.content()
    assert CHILD_WORDS in content and ACCOUNT in content and "KEPT-PRIVATE" not in content
    assert panel.locator("img[alt='The child’s drawing']").evaluate("i => i.naturalWidth") > 0
    assert panel.locator("audio").count() == 0  # the recording was shared as words only
    panel.get_by_role("link", name="Print layout (A4)").click()
    panel.wait_for_url("**/print")
    _visit(panel)
    panel.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
    pdf = PdfReader(io.BytesIO(panel.pdf(format="A4", print_background=True)))
    assert len(pdf.pages) in (1, 2, 3)
    for sheet in pdf.pages:
        size = (float(sheet.mediabox.width), float(sheet.mediabox.height))
        assert all(abs(got - want) < 2 for got, want in zip(size, A4_POINTS)), size
    printed = " ".join(" ".join(sheet.extract_text().split()) for sheet in pdf.pages)
    assert CHILD_WORDS in printed
    assert "I like school and football" in printed and "The advocate's overview" in printed.replace("’", "'")
    assert printed.index(CHILD_WORDS) < printed.index("She was calm and clear")
    assert "KEPT-PRIVATE" not in printed
    # The print layout has the drawing on paper.
    assert any("/XObject" in (sheet.get("/Resources") or {}) for sheet in pdf.pages)

    # The provider sees the receipt on the case page.
    page.goto(case_url)
    receipts = page.get_by_role("table", name="Who in the panel has read it")
    assert "panel_member n1" in receipts.inner_text()
    _visit(page)

    # The panel records its outcome and its message for the child.
    panel.goto(summary_url)
    panel.get_by_role("button", name="Record the panel's outcome").click()
    panel.wait_for_url("**/outcome")
    _visit(panel)
    panel.get_by_label("What did the panel decide?").fill("She stays with her foster family.")
    panel.get_by_label("How did the panel consider the child's views?").fill(
        "Her wish to stay at her school and near her foster family decided it.")
    panel.get_by_label("Message for the child").fill(
        "We read what you told us. You can stay at your school.")
    panel.get_by_role("button", name="Record the outcome").click()
    panel.wait_for_url(re.compile(r".*/summaries/[^/]+$"))
    assert "We read what you told us" in panel.content()
    _visit(panel)

    # The ICTG reads the message and records that the child was told, and how.
    ictg = another_page()
    browser_sign_in(ictg, base, world.people["ictg.p1"], PASSWORD)
    _visit(ictg, case_url)
    assert "We read what you told us. You can stay at your school." in ictg.content()
    ictg.get_by_role("button", name="Record that you told the child").click()
    ictg.wait_for_url("**/feedback")
    _visit(ictg)
    ictg.get_by_label("In person, with an interpreter").check()
    ictg.get_by_role("button", name="Record that the child was told").click()
    ictg.wait_for_url(re.compile(r".*/cases/[^/]+$"))
    assert "Recorded: the child has been told what the panel decided." in ictg.content()
    assert "In person, with an interpreter" in ictg.content()
    _visit(ictg)
    assert page.js_errors == [] and panel.js_errors == [] and ictg.js_errors == []
