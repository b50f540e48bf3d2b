"""Headers on every response, error pages, the body cap and the health check."""
from __future__ import annotations

import re
from pathlib import Path

from .browser import AXE
from .conftest import as_person, post_form

MASKED_TOKEN = re.compile(r'value="m\.[^"]+"')


def test_security_headers_on_every_response(app, client, world):
    as_person(app, client, world.people["ictg.p1"])
    for url in ("/sign-in", f"/cases/{world.cases['p1']}", "/nope", "/static/icon.svg"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        for part in ("default-src 'self'", "object-src 'none'", "base-uri 'none'",
                     "frame-ancestors 'none'", "form-action 'self'"):
            assert part in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert "geolocation=()" in headers["Permissions-Policy"]
        assert "camera=(self)" in headers["Permissions-Policy"]
        assert "microphone=(self)" in headers["Permissions-Policy"]
    page = client.get(f"/cases/{world.cases['p1']}")
    assert page.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in page.headers  # development over plain HTTP


def test_friendly_errors_reveal_nothing(app, client, world):
    as_person(app, client, world.people["ictg.p1"])
    foreign = client.get(f"/cases/{world.cases['p2']}")
    missing = client.get("/cases/doesnotexist")
    assert foreign.status_code == missing.status_code == 404
    # Another organisation's case looks like no case (but for the CSRF token's fresh mask).
    assert MASKED_TOKEN.sub("", foreign.text) == MASKED_TOKEN.sub("", missing.text)
    assert "Page not found" in foreign.text and "Child of p2" not in foreign.text
    forbidden = client.get(f"/cases/{world.cases['p1']}/audit")
    assert forbidden.status_code == 403 and "You cannot do that" in forbidden.text


def test_welsh_error_page_and_staff_language(app, client, world):
    response = client.get("/nope", headers={"Accept-Language": "cy"})
    assert response.status_code == 404
    assert 'lang="cy"' in response.text


def test_test_tooling_is_not_served(app, client):
    """axe-core is for the browser tests only: they read it from node_modules/, no page loads it."""
    assert client.get("/static/build/axe.min.js").status_code == 404
    assert AXE.is_file() and not AXE.is_relative_to(app.static_folder)
    assert [p for p in Path(app.static_folder).rglob("*axe*")] == []


def test_body_over_the_cap_is_refused(app, client, world):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    as_person(app, client, world.people["ictg.p1"])
    response = post_form(client, "/cases/new", {"name": "x" * 5000}, page="/cases/new")
    assert response.status_code == 413
    assert "too large" in response.text


def test_over_long_and_empty_fields(app, client, world):
    as_person(app, client, world.people["ictg.p1"])
    response = post_form(client, "/cases/new", {"name": "x" * 81, "age_band": "8-11",
                                                "languages": ["en"], "panel": world.orgs["n1"]})
    assert response.status_code == 400
    assert "80 characters or fewer" in response.text
    assert "Enter the panel date" in response.text
    empty = post_form(client, "/cases/new", {"name": ""})
    assert "Enter the name the child wants to be called" in empty.text


def test_create_case_and_see_it(app, client, world):
    as_person(app, client, world.people["ictg.p1"])
    response = post_form(client, "/cases/new", {
        "name": "Dawit", "age_band": "12-15", "languages": ["ti", "en"], "panel": world.orgs["n1"],
        "panel_date": ["3", "4", "2027"], "ictg": world.people["ictg.p1"].id,
        "advocate": world.people["advocate.p1"].id})
    assert response.status_code == 302, response.text
    case_url = response.location
    assert "Dawit" not in case_url
    page = client.get(case_url)
    assert "Dawit" in page.text and "ትግርኛ" in page.text
    assert "<title>Case – voice</title>" in page.text  # no name in the title


def test_healthz(app, client):
    from voice.db import make_engine

    assert client.get("/healthz").json["status"] == "ok"
    unreachable = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    app.extensions["voice.sessionmaker"].configure(bind=unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json == {"status": "unavailable"}
