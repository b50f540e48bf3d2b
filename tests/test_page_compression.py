"""Pages are sent compressed, safely from BREACH: a child's step always (nothing of the request is
reflected in it), any other page only when the browser says the service's own pages or the user
asked for it (`Sec-Fetch-Site`), never to a request another site made; and every CSRF token is
masked afresh in every response (no secret repeats)."""
from __future__ import annotations

import gzip
import re

import pytest

from voice.compression import unmask

from .conftest import PASSWORD, as_person
from .test_static_files import _child_device

TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
GZIP = {"Accept-Encoding": "gzip, deflate, br"}
OWN = {**GZIP, "Sec-Fetch-Site": "same-origin"}  # a link or form of the service's own pages


def _compressed(client, url, headers=GZIP) -> tuple[str, list[str]]:
    """The page at url, sent compressed, and the CSRF tokens it carries."""
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert {"Accept-Encoding", "Sec-Fetch-Site"} <= set(response.vary)
    page = gzip.decompress(response.data).decode()
    assert len(response.data) < len(page) / 2
    return page, TOKEN.findall(page)


def _forged(token: str) -> str:
    return token[:-4] + ("BBBB" if token.endswith("AAAA") else "AAAA")


def _one_secret_masked_differently(pages) -> list[str]:
    """The tokens of pages (each page's list), asserted all different yet carrying one secret
    that no page shows as it is."""
    tokens = [token for _page, page_tokens in pages for token in page_tokens]
    assert len(set(tokens)) == len(tokens) > 1  # no two carry the same bytes for the secret
    # ... yet each carries the session's one secret (signed with the second it was made in).
    secrets = {unmask(token).split(".")[0] for token in tokens}
    assert len(secrets) == 1
    secret = secrets.pop()
    assert not any(secret in page for page, _tokens in pages)
    return tokens


def test_a_compressed_step_carries_a_different_token_each_time_and_each_validates(app, world):
    cookie, step = _child_device(app, world, "en")
    child = app.test_client()
    child.set_cookie("voice", cookie, domain="localhost")
    tokens = _one_secret_masked_differently([_compressed(child, step) for _ in range(3)])

    forged = _forged(tokens[0])
    refused = child.post(step, data={"csrf_token": forged, "option": "happy"})
    assert refused.status_code == 400

    for token, option in zip(tokens, ("happy", "calm", "okay")):
        saved = child.post(step, data={"csrf_token": token, "option": option})
        assert saved.status_code == 302, saved.text
        page, _tokens = _compressed(child, step)
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


@pytest.mark.parametrize("path", ["/sign-in", "/cases/", "/cases/{case}"])
def test_a_staff_page_is_compressed_only_for_the_services_own_pages_or_the_user(
        app, client, world, path):
    """Sec-Fetch-Site, which no page can set: another site's page (cross-site, or same-site from
    a neighbouring subdomain) cannot have the browser fetch a compressed page, nor can a client
    that does not say where the request came from."""
    if path != "/sign-in":
        as_person(app, client, world.people["ictg.p1"])
    url = path.format(case=world.cases["p1"])
    for site in (None, "cross-site", "same-site"):
        headers = GZIP if site is None else {**GZIP, "Sec-Fetch-Site": site}
        plain = client.get(url, headers=headers)
        assert plain.status_code == 200 and "Content-Encoding" not in plain.headers, site
        assert {"Accept-Encoding", "Sec-Fetch-Site"} <= set(plain.vary), site
    for site in ("same-origin", "none"):  # a link of the service's, or typed, a bookmark
        page, _tokens = _compressed(client, url, {**GZIP, "Sec-Fetch-Site": site})
        assert "</html>" in page
    identity = client.get(url, headers={"Accept-Encoding": "identity", "Sec-Fetch-Site": "none"})
    assert "Content-Encoding" not in identity.headers


def test_a_compressed_staff_page_carries_a_different_token_each_time_and_each_validates(
        app, client, world):
    as_person(app, client, world.people["ictg.p1"])
    case = f"/cases/{world.cases['p1']}"
    tokens = _one_secret_masked_differently([_compressed(client, case, OWN) for _ in range(3)])
    forged = _forged(tokens[0])
    assert client.post("/account/language", data={"csrf_token": forged, "locale": "cy"}
                       ).status_code == 400
    for token in tokens:
        saved = client.post("/account/language", data={"csrf_token": token, "locale": "en"})
        assert saved.status_code == 302 and saved.location.endswith("/account"), saved.text
        assert "Language saved" in client.get("/account").text


def test_a_forms_own_token_is_masked_too(app, world):
    """A form's CSRF field (`{{ form.csrf_token }}`) is masked like the layout's, and accepted."""
    person = world.people["ictg.p1"]
    browser = app.test_client()
    tokens = _one_secret_masked_differently(
        [_compressed(browser, "/sign-in", OWN) for _ in range(3)])
    refused = browser.post("/sign-in", data={"csrf_token": _forged(tokens[0]),
                                             "email": person.email, "password": PASSWORD})
    assert refused.status_code == 400 and "The form had expired" in refused.text
    for token in tokens:
        signed = browser.post("/sign-in", data={"csrf_token": token, "email": person.email,
                                                "password": PASSWORD})
        assert signed.status_code == 302 and "/sign-in/code" in signed.location
