"""Every page of the service, from the application's own URL map, audited in real Chromium as the
right person, each in two to four languages: staff pages in English and Welsh (the staff languages) and,
for staff whose browser asks for Arabic or Tigrinya, the English pages of a session in that
language and those before signing in; child pages in English, Arabic (right to left), Tigrinya
(Ge'ez script) and Pashto (right to left, with the Arabic-script web font). See README.md for
what each page is checked for."""
from __future__ import annotations

import time
from collections import defaultdict

from tests.conftest import BACKENDS
from voice import i18n
from voice.auth import sessions
from voice.models import Case
from voice.policy import guard

from .audit import SCREENSHOTS, Walker
from .site import (ROLES, VARIABLES, YOUNG_STEPS, Visit, all_visits, is_child, is_page_rule,
                   set_locale)
from .site import signed_in as signed_in_token

# The full walk (every language) runs on SQLite. PostgreSQL gets the English walk, which opens
# every page once with axe and the page checks; the Tab key walk and reflow, which depend only on
# the markup and styles, are SQLite's (to keep the suite within minutes on two cores).
PLAN = {"sqlite": ("en", "cy", "ar", "ti", "ps"), "postgresql": ("en",)}
STAFF = {"en", "cy"}   # the walks that open every staff page
# The walks that open, for a browser asking for a child's language, the staff pages of a session
# in it and those before signing in (the browser's language chooses theirs). Every other staff
# page shows the same records, in English, as the English walk audits.
SESSION_STAFF = {"ar", "ti"}
CHILD = {"en", "ar", "ti", "ps"}   # the walks that open the child pages
SCREENSHOT_LANGUAGES = ("ar", "ti", "vi")
SCREENSHOT_STEP = "feel-today"
# The web font a language's pages load (others use the device's fonts).
SCRIPT_FONTS = {"ti": "Noto Sans Ethiopic"}


def pytest_generate_tests(metafunc):
    if "audited" not in metafunc.fixturenames:
        return
    if "language" in metafunc.fixturenames:
        pairs = [(backend, language) for backend in BACKENDS for language in PLAN[backend]]
        metafunc.parametrize(("audited", "language"), pairs, indirect=["audited"], scope="module",
                             ids=[f"{b}-{lang}" for b, lang in pairs])
    else:  # the screenshots look the same whatever the database
        metafunc.parametrize("audited", ["sqlite"], indirect=True, scope="module")


def _cookies(audited, language: str) -> dict:
    """Cookies of each person and device the walk uses, made fresh (re-authentication is
    needed within minutes for some pages)."""
    app, site = audited.app, audited.site
    serializer = app.session_interface.get_signing_serializer(app)
    form_cookie = app.config["SESSION_COOKIE_NAME"]
    with app.app_context():
        auth_cookie = sessions.cookie_name()
    jar = {"anonymous": {}}
    for key, person in site.world.people.items():
        jar[key] = {auth_cookie: signed_in_token(app, person.id)}
    for key, user_id, email in (("pending", site.world.people["ictg.p1"].id,
                                 site.world.people["ictg.p1"].email),
                                ("enrolling", site.enrolling, "new.ictg@example.org")):
        jar[key] = {form_cookie: serializer.dumps(
            {"pending": {"uid": user_id, "email": email, "at": time.time()}})}
    for key, (token, ids) in site.devices.get(language, {}).items():
        jar[key] = {auth_cookie: token}
        if key == "fresh":  # the child tapped "yes": the guardian's screen comes next
            jar[key][form_cookie] = serializer.dumps({f"agreed:{ids['session']}": True})
    return jar


def _staff_walked(app, language: str, endpoint: str, shows_session: bool) -> bool:
    if language in SESSION_STAFF:
        return shows_session or bool(endpoint) and app.view_functions[endpoint].access == "public"
    return language in STAFF


def _walk(audited, language: str, visits) -> list:
    site = audited.site
    # Staff pages show the session of the walk's language, where it has one.
    staff_ids = dict(site.ids)
    if language in site.devices:
        staff_ids["session"] = site.devices[language]["active"][1]["session"]
    paths = [visit.path.format(**(site.devices[language][visit.who][1] if visit.child
                                  else staff_ids)) for visit in visits]
    set_locale(audited.app, language if language in i18n.STAFF_LANGUAGES else None)
    try:
        return audited.browser.run(_walk_in_browser, audited.base_url, language,
                                   _cookies(audited, language), list(zip(visits, paths)),
                                   audited.backend == "sqlite")
    finally:
        set_locale(audited.app, None)


def _walk_in_browser(browser, base_url: str, language: str, cookies: dict, visits,
                     layout: bool) -> list:
    walker = Walker(browser, base_url, language, cookies, locale=language, layout=layout)
    try:
        return [walker.audit(visit, path) for visit, path in visits]
    finally:
        walker.close()


def test_every_page_of_the_url_map_is_reachable_by_the_audit(app):
    """The table in site.py says how to open every GET rule; a new page cannot escape it."""
    staff, child, problems = all_visits(app, {})
    assert problems == []
    endpoints = {v.endpoint for v in staff + child}
    wanted = {r.endpoint for r in app.url_map.iter_rules() if is_page_rule(app, r)}
    assert wanted <= endpoints
    assert set(ROLES) <= {r.endpoint for r in app.url_map.iter_rules()}, "stale entries in ROLES"

    # A new page naming a record the table does not know fails, naming the endpoint.
    @guard("case.meta", Case, arg="thing_id")
    def things(case):
        return case.id
    app.add_url_rule("/things/<thing_id>", "things.show", things)
    _staff, _child, problems = all_visits(app, {})
    assert len(problems) == 1 and "things.show" in problems[0] and "ROLES" in problems[0]
    ROLES["things.show"] = "ictg.p1"
    try:
        _staff, _child, problems = all_visits(app, {})
        assert len(problems) == 1 and "thing_id" in problems[0] and "VARIABLES" in problems[0]
        VARIABLES["thing_id"] = "case"
        staff, _child, problems = all_visits(app, {})
        assert problems == [] and any(v.endpoint == "things.show" for v in staff)
    finally:
        ROLES.pop("things.show")
        VARIABLES.pop("thing_id", None)


def test_every_page_passes_the_audit(audited, language):
    staff, child, problems = all_visits(audited.app, audited.site.ids)
    assert problems == []
    visits = [v for v in staff if _staff_walked(audited.app, language, v.endpoint,
                                                 "{session}" in v.path)]
    visits += child if language in CHILD else []
    started = time.monotonic()
    outcomes = _walk(audited, language, visits)
    seconds = time.monotonic() - started

    report = [f"[{language}] {o.visit.name} {o.url}: {p}" for o in outcomes for p in o.problems]
    # Every page title is unique (error pages apart): two endpoints never share one.
    titles = defaultdict(set)
    for outcome in outcomes:
        if outcome.kind == "page" and outcome.visit.endpoint:
            titles[outcome.title].add(outcome.visit.endpoint)
    report += [f"[{language}] title {title!r} shared by {sorted(endpoints)}"
               for title, endpoints in titles.items() if len(endpoints) > 1]
    # Every GET rule of the URL map (staff or child, as the language has them) was opened: as a
    # page, a redirect or a file.
    app = audited.app
    opened = {o.visit.endpoint for o in outcomes}
    wanted = {r.endpoint for r in app.url_map.iter_rules() if is_page_rule(app, r) and (
        language in CHILD if is_child(app, r)
        else _staff_walked(app, language, r.endpoint, "session_id" in r.arguments))}
    assert wanted <= opened
    # "My feelings" for ages 4 to 7 (child walks) and the safety alert's page (English and Welsh
    # walks) are audited as pages, not passed by as redirects.
    young_and_alert = [o for o in outcomes
                       if o.visit.who == "young" or o.visit.endpoint == "alerts.show"]
    assert len(young_and_alert) == (len(YOUNG_STEPS) if language in CHILD else 0) + \
        (1 if language in STAFF else 0)
    assert [o.visit.name for o in young_and_alert if o.kind != "page"] == []
    pages = sum(1 for o in outcomes if o.kind == "page")
    print(f"\n{audited.backend} {language}: {pages} pages audited in {seconds:.0f} s "
          f"({len(outcomes) - pages} redirects or files)")
    assert pages >= (30 if language in STAFF else 2 if language in SESSION_STAFF else 0) + \
        (15 if language in CHILD else 0)
    assert report == [], "\n".join(report)


def test_screenshots_of_a_child_step(audited):
    """A child step at 360 x 740 in Arabic, Tigrinya and Vietnamese, for reviewers and
    translators (see README.md); each passes the audit, and Tigrinya's Ge'ez font is loaded."""
    report = []
    for language in SCREENSHOT_LANGUAGES:
        _token, ids = audited.site.devices[language]["active"]
        path = f"/child/{ids['session']}/step/{SCREENSHOT_STEP}"
        name = f"child-step-{language}.png"
        (SCREENSHOTS / name).unlink(missing_ok=True)
        problems, fonts = audited.browser.run(_screenshot, audited.base_url, language,
                                              _cookies(audited, language), path, name)
        report += [f"[{language}] {p}" for p in problems]
        assert (SCREENSHOTS / name).stat().st_size > 5000
        if language in SCRIPT_FONTS:
            assert SCRIPT_FONTS[language] in fonts, (language, fonts)
        else:
            assert not fonts, (language, fonts)  # the device's own fonts are enough
    assert report == [], "\n".join(report)


def _screenshot(browser, base_url: str, language: str, cookies: dict, path: str, name: str):
    walker = Walker(browser, base_url, language, cookies, locale="en-GB")
    try:
        outcome = walker.audit(Visit("child.step", "active", path, child=True), path,
                               screenshot=name)
        return outcome.problems, walker.page("active").evaluate("() => __a11y.fonts()")
    finally:
        walker.close()


BROKEN = """<!DOCTYPE html>
<html lang="fr" dir="ltr"><head><meta charset="utf-8"><title> </title>
<style>
  .plain { text-decoration: none; }
  .quiet:focus { outline: none; box-shadow: none; }
  .choice { position: absolute; opacity: 0; }
  .choice + label { color: black; } .choice:checked + label { color: green; }
  [aria-pressed] { background: white; } [aria-pressed="true"] { background: green; }
  .slow { transition: color 1s; }
  .spin { animation: spin 2s linear infinite; } @keyframes spin { to { transform: rotate(1turn); } }
  .wide { width: 500px; }
  .cut { width: 100px; height: 1.2em; overflow: hidden; white-space: nowrap; }
  .spill { width: 40px; white-space: nowrap; }
  .tiny { width: 20px; height: 20px; padding: 0; }
  .over { margin-inline-start: -30px; }
  .cover { position: fixed; inset: auto 0 0 0; height: 80px; background: grey; z-index: 5; }
  .hidden-under { position: fixed; bottom: 10px; left: 10px; }
  .squeezed { width: 60px; table-layout: fixed; } .squeezed th { overflow-wrap: anywhere; }
  .fixed { width: 80px; table-layout: fixed; } .fixed span { display: inline-block; width: 200px; }
  .box { width: 50px; }
</style></head>
<body>
<h1>One</h1><h1>Two</h1>
<p>Read <a class="plain" href="#x">the rules</a> first.</p>
<p class="govuk-error-message"></p>
<input aria-invalid="true" aria-label="Name">
<input type="checkbox" id="c1" class="choice"><label for="c1">Tick me</label>
<button type="button" aria-pressed="false">Pressed?</button>
<p class="slow">Slow</p><p class="spin">Spinning</p>
<button type="button" class="quiet">No ring</button>
<div class="wide">Wide</div>
<div class="cut">This text is far too long for its box</div>
<button type="button" class="spill">Words spill out</button>
<button type="button" class="tiny">x</button>
<button type="button">Under</button><button type="button" class="over">Over</button>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<button type="button" class="hidden-under">Covered</button><div class="cover"></div>
<table class="squeezed"><tr><th>Recorded</th></tr></table>
<table class="fixed"><tr><td><span>Spills</span></td></tr></table>
<div class="box"><table><tr><td>Far_too_wide_for_its_box</td></tr></table></div>
<textarea id="trap" aria-label="Trap"></textarea>
<button type="button" class="after">Beyond the trap</button>
<script>
  document.getElementById("trap").addEventListener("keydown", (e) => { if (e.key === "Tab") e.preventDefault(); });
</script>
</body></html>"""
CAUGHT = ["2 h1 headings", "link in text not underlined", "error shown without words",
          "field marked as wrong without words", "a chosen checkbox looks the same",
          "a pressed button looks the same", "transition of 1s", "animation running",
          "animation spin", 'no visible focus (outline or box-shadow): button.quiet',
          'not reached with the Tab key: button.after', "scrolls sideways",
          "text cut off: div.cut", "words or pictures spill out of button.spill",
          "under 44x44: button.tiny", "controls on top of each other", "empty title",
          '<html lang="fr">', "axe image-alt", "focused but hidden behind other content",
          "axe region", "axe landmark-one-main", '"Recorded" broken across lines',
          "spills out of its table cell", "table wider than its box"]


def test_the_checks_find_what_they_look_for(audit_browser):
    """Each check fails on a page made to break it (so a passing audit means something)."""
    outcome = audit_browser.run(_audit_broken_page)
    found = "\n".join(outcome.problems)
    missed = [what for what in CAUGHT if what not in found]
    assert missed == [], found


def _audit_broken_page(browser):
    walker = Walker(browser, "http://audit.test", "en", {}, locale="en-GB")
    try:
        walker.page("anonymous").context.route(
            "http://audit.test/broken",
            lambda route: route.fulfill(body=BROKEN, content_type="text/html"))
        return walker.audit(Visit("broken", "anonymous", "/broken", child=True), "/broken")
    finally:
        walker.close()
