"""Static files: pages link them under hashed names, which browsers keep for a year and get
compressed; a later visit of a child's step or a staff page asks the server for the page alone,
compressed."""
from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import brotli
import pytest
from flask import g

from accessibility.site import device
from bench.weights import visit
from voice import db
from voice.capture import service as capture
from voice.capture.service import answer_forms, questionnaires
from voice.consent import service as consent
from voice.models import Case, User

from .conftest import as_person
from .test_review import QUESTIONNAIRE

STATIC_URL = re.compile(r"""(?:href|src)="(/static/[^"]+)\"""")
HASHED = re.compile(r"\.[0-9a-f]{12}\.[a-z0-9]+$")
USE = re.compile(r'<use href="([^"#]+)#([a-z_]+)"')
IMMUTABLE = "public, max-age=31536000, immutable"


def _child_device(app, world, language: str) -> tuple[str, str]:
    """The ICTG's device handed to a child (a session in language, after consent): its cookie
    value and the URL of the step about feelings."""
    with app.test_request_context():
        session = db.session()
        ictg = session.get(User, world.people["ictg.p1"].id)
        g.user = ictg
        sitting = capture.start(session.get(Case, world.cases["p1"]), ictg,
                                capture.questionnaires()[QUESTIONNAIRE], language,
                                "ICTG and interpreter", None)
        consent.record_consent(sitting, ictg, True, "interpreter", language, "yes",
                               "ICTG and interpreter")
        session.commit()
        sitting_id = sitting.id
    return device(app, world, sitting_id), f"/child/{sitting_id}/step/feel-today"


def test_pages_link_static_files_by_hashed_name_kept_a_year_and_compressed(app, client, world):
    as_person(app, client, world.people["ictg.p1"])
    staff_page = client.get(f"/cases/{world.cases['p1']}").text
    token, step = _child_device(app, world, "ti")
    child = app.test_client()
    child.set_cookie("voice", token, domain="localhost")
    child_page = child.get(step).text
    linked = {url.split("#")[0] for url in STATIC_URL.findall(staff_page) + STATIC_URL.findall(child_page)}
    fonts = child.get(next(url for url in linked if "/fonts/" in url)).text
    linked |= {f"/static/build/fonts/{name}" for name in re.findall(r"url\(([^)]+)\)", fonts)}
    assert {"css", "js", "svg", "woff2"} <= {url.rsplit(".", 1)[1] for url in linked}

    for url in sorted(linked):
        assert HASHED.search(url), f"{url} is not named after its content"
        plain = client.get(url, headers={"Accept-Encoding": "identity"})
        assert plain.status_code == 200, url
        assert plain.headers["Cache-Control"] == IMMUTABLE
        assert plain.headers["X-Content-Type-Options"] == "nosniff"
        if url.endswith(".woff2"):  # compressed already
            continue
        for encoding, decompress in (("br", brotli.decompress), ("gzip", gzip.decompress)):
            response = client.get(url, headers={"Accept-Encoding": f"{encoding}, identity"})
            assert response.headers["Content-Encoding"] == encoding, url
            assert response.headers["Cache-Control"] == IMMUTABLE
            assert "Accept-Encoding" in response.headers["Vary"]
            assert decompress(response.data) == plain.data
            assert len(response.data) < len(plain.data)


def test_stable_urls_keep_short_caching(app, client):
    """The icon the service worker shows and the service worker itself keep their names."""
    icon = client.get("/static/icon.svg")
    assert icon.status_code == 200 and "immutable" not in icon.headers["Cache-Control"]
    worker = client.get("/service-worker.js")
    assert worker.status_code == 200 and "immutable" not in worker.headers["Cache-Control"]


def test_font_subset_has_the_catalogue_and_falls_back_to_the_whole_script(app):
    """A Tigrinya page downloads the small subset for the catalogue's characters; any other
    Ethiopic character (a child's own words) is covered by the whole script's file."""
    build = Path(app.static_folder) / "build"
    manifest = json.loads((build / "manifest.json").read_text())["static"]
    css = (build / manifest["build/fonts/ti.css"].removeprefix("build/")).read_text()
    faces = re.findall(r"src: url\(([^)]+)\).*?unicode-range: ([^;\n]+)", css, re.S)
    subset = [ranges for src, ranges in faces if src.startswith("ti-400.")]
    whole = [ranges for src, ranges in faces if "ethiopic-400" in src]
    assert subset and whole
    assert "U+1275" in subset[0] or "U+1270-" in subset[0]  # ት of ትግርኛ
    assert (build / "fonts" / "ti-400.woff2").stat().st_size < 10 * 1024


@pytest.mark.parametrize("language", ["en", "ar", "ti"])
def test_a_child_step_is_light_and_a_later_visit_costs_one_small_request(
        app, world, live_server, chromium, language):
    """Bytes on the wire (headers included, as sent): a first visit within 40 KB, a later visit
    the compressed page alone within 4 KB."""
    token, step = _child_device(app, world, language)
    context = chromium.new_context(viewport={"width": 412, "height": 823})
    context.add_cookies([{"name": "voice", "value": token, "url": live_server.url}])
    try:
        first = visit(context, live_server.url + step)
        assert {"Document", "Stylesheet", "Script", "Other"} <= first.keys()  # Other: the sprite
        assert ("Font" in first) == (language == "ti")
        assert sum(map(sum, first.values())) <= 40 * 1024, first
        later = visit(context, live_server.url + step)
        assert list(later) == ["Document"] and len(later["Document"]) == 1, later
        assert later["Document"][0] <= 4 * 1024, later
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/sign-in", "/cases/", "/cases/{case}"])
def test_a_staff_page_is_light_and_a_later_visit_costs_one_small_request(
        app, client, world, live_server, chromium, path):
    """Bytes on the wire (headers included, as sent): a first visit within 60 KB, a later visit
    the compressed page alone within 4 KB."""
    context = chromium.new_context(viewport={"width": 1350, "height": 940})
    if path != "/sign-in":
        token = as_person(app, client, world.people["ictg.p1"]).get_cookie("voice").value
        context.add_cookies([{"name": "voice", "value": token, "url": live_server.url}])
    url = live_server.url + path.format(case=world.cases["p1"])
    try:
        first = visit(context, url)
        assert {"Document", "Stylesheet", "Script"} <= first.keys()
        assert sum(map(sum, first.values())) <= 60 * 1024, first
        later = visit(context, url)
        assert list(later) == ["Document"] and len(later["Document"]) == 1, later
        assert later["Document"][0] <= 4 * 1024, later
    finally:
        context.close()


def test_every_picture_of_a_step_page_is_in_the_sprite_it_names(app, world):
    """Each step page loads its own small sprite: whichever way the child answers, every
    picture it shows is a symbol of that sprite."""
    token, step = _child_device(app, world, "en")
    child = app.test_client()
    child.set_cookie("voice", token, domain="localhost")
    session_url = step.rsplit("/", 1)[0]
    sprites, checked = {}, 0
    for step_ in questionnaires()[QUESTIONNAIRE].steps:
        for form in ["choose", *answer_forms(step_)]:
            page = child.get(f"{session_url}/{step_.id}?form={form}")
            assert page.status_code == 200, (step_.id, form)
            for url, name in USE.findall(page.text):
                assert url.endswith(f"/{step_.id}.{url.split('.')[-2]}.svg"), url
                if url not in sprites:
                    sprites[url] = child.get(url).text
                assert f'<symbol id="{name}"' in sprites[url], (step_.id, form, name)
                checked += 1
    assert checked > 100
