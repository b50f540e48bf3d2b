"""A child's step is sent compressed, safely from BREACH: its CSRF token is masked afresh in every
response (no secret repeats), nothing of the request is reflected in it, and pages that may
reflect what someone else chose are not compressed."""
from __future__ import annotations

import gzip
import re

from voice.compression import unmask

from .conftest import as_person
from .test_static_files import _child_device

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def _compressed_step(client, url) -> tuple[str, str]:
    response = client.get(url, headers=GZIP)
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    page = gzip.decompress(response.data).decode()
    assert len(response.data) < len(page) / 2
    return page, TOKEN.search(page).group(1)


def test_a_compressed_step_carries_a_different_token_each_time_and_each_validates(app, world):
    cookie, step = _child_device(app, world, "en")
    child = app.test_client()
    child.set_cookie("voice", cookie, domain="localhost")
    pages = [_compressed_step(child, step) for _ in range(3)]
    tokens = [token for _page, token in pages]
    assert len(set(tokens)) == 3  # no two responses carry the same bytes for the secret
    # ... yet each carries the session's one secret (signed with the second it was made in).
    secrets = {unmask(token).split(".")[0] for token in tokens}
    assert len(secrets) == 1
    secret = secrets.pop()
    assert not any(secret in page for page, _token in pages)

    forged = tokens[0][:-4] + ("AAAA" if not tokens[0].endswith("AAAA") else "BBBB")
    refused = child.post(step, data={"csrf_token": forged, "option": "happy"})
    assert refused.status_code == 400

    for token, option in zip(tokens, ("happy", "calm", "okay")):
        saved = child.post(step, data={"csrf_token": token, "option": option})
        assert saved.status_code == 302, saved.text
        page, _token = _compressed_step(child, step)
        assert re.search(rf'value="{option}" checked', page)


def test_a_step_reflects_nothing_of_the_request(app, world):
    """What BREACH needs, a guess of the attacker's next to the secret, cannot get into a
    compressed page: the query only picks among fixed values and the path must name a step."""
    cookie, step = _child_device(app, world, "en")
    child = app.test_client()
    child.set_cookie("voice", cookie, domain="localhost")
    guess = "csrf_token%22+value%3D%22IjQ"
    page = gzip.decompress(child.get(
        f"{step}?form={guess}&from={guess}&back={guess}&{guess}={guess}", headers=GZIP).data)
    assert b"IjQ" not in page and b"csrf_token&#34;" not in page
    unknown = child.get(step.rsplit("/", 1)[0] + "/" + guess, headers=GZIP)
    assert unknown.status_code == 404 and "Content-Encoding" not in unknown.headers


def test_pages_that_may_reflect_the_request_are_not_compressed(app, client, world):
    cookie, step = _child_device(app, world, "en")
    child = app.test_client()
    child.set_cookie("voice", cookie, domain="localhost")
    cover = child.get(step.replace("/step/feel-today", "/hidden") + "?back=" + step, headers=GZIP)
    assert cover.status_code == 200 and "Content-Encoding" not in cover.headers
    assert "Content-Encoding" not in client.get("/sign-in", headers=GZIP).headers
    as_person(app, client, world.people["ictg.p1"])
    case = client.get(f"/cases/{world.cases['p1']}", headers=GZIP)
    assert case.status_code == 200 and "Content-Encoding" not in case.headers
