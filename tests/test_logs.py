"""Logs: one JSON line per request with ids, route names, status and duration, and nothing of
a child or a person in any line."""
from __future__ import annotations

import json


from voice import db
from voice.cases import service as cases
from voice.models import Case, User

from .conftest import post_form
from .test_capture import answer, give_consent, leave, start_session, step_url
from .test_review import FULL, approved, child_session, panel_client

SENTINEL = "Zyxwortel"
REQUEST_FIELDS = {"time", "request_id", "route", "status", "duration_ms", "person"}


def _put_sentinels_everywhere(app, world):
    """Every person's name and email and every case's name carry the sentinel."""
    with app.app_context():
        session = db.session()
        for user in session.query(User).all():
            user.display_name = f"{SENTINEL} {user.role}"
            user.email = f"{SENTINEL.lower()}.{user.email}"
        for case in session.query(Case).all():
            case.name = cases.cipher(case).seal(case.id, "name", f"{SENTINEL} child")
        session.commit()
    for person in world.people.values():
        person.email = f"{SENTINEL.lower()}.{person.email}"


def test_a_journey_with_sentinels_everywhere_logs_none_of_them(app, client, world, capsys):
    _put_sentinels_everywhere(app, world)
    capsys.readouterr()
    # Someone tries to sign in with a sentinel email and password, and a query string.
    post_form(client, f"/sign-in?next={SENTINEL}", {"email": world.people["ictg.p1"].email,
                                                    "password": SENTINEL})
    # The child's side: a session, consent, a text answer in the child's words, leaving.
    session_id = start_session(app, client, world, pin="4821")
    give_consent(client, session_id)
    assert answer(client, session_id, "enjoy", {"text": f"{SENTINEL} words"}).status_code == 302
    assert client.get(step_url(session_id, "enjoy")).status_code == 200
    assert leave(client, session_id, "4821").status_code == 302
    # The advocate reviews and approves another child's views; the panel reads them.
    words = [(step, form, f"{SENTINEL} {value}" if form == "text" else value, choice)
             for step, form, value, choice in FULL]
    ids = child_session(app, world, "p2", answers=words)
    _ids, summary_id = approved(app, client, world, "p2", ids=ids, overview=f"{SENTINEL} overview")
    assert client.get(f"/cases/{world.cases['p2']}").status_code == 200
    panel = panel_client(app, world, "panel_member.n2")
    assert SENTINEL in panel.get(f"/summaries/{summary_id}").text
    assert panel.get(f"/panel?q={SENTINEL}").status_code == 200
    assert panel.get(f"/no-such-page/{SENTINEL}").status_code == 404

    output = capsys.readouterr().err
    assert SENTINEL.lower() not in output.lower()
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    requests = [line for line in lines if line["logger"] == "voice.requests"]
    assert len(requests) > 15
    for line in requests:
        assert REQUEST_FIELDS <= set(line), line
        assert isinstance(line["duration_ms"], float) and len(line["request_id"]) == 32
    routes = {(line["route"], line["status"]) for line in requests}
    assert ("child.step", 302) in routes and ("review.review", 302) in routes
    assert (None, 404) in routes and ("auth.sign_in", 200) in routes
    people = {line["person"] for line in requests}
    assert world.people["panel_member.n2"].id in people and None in people
    # Each request has its own id.
    assert len({line["request_id"] for line in requests}) == len(requests)


def test_the_worker_logs_json_lines_too(app, world):
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert any(line["message"].startswith("worker: ") for line in lines)
