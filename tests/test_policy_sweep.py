"""Walks every URL rule of the application, as every role and as nobody, against records of the
person's own organisation, of another organisation, and that do not exist. Fails if a route has
no policy declaration or if anything of another organisation's records leaks."""
from __future__ import annotations


import pytest
from sqlalchemy import select

from .conftest import as_person, csrf_token

# How to fill each URL variable: (record in organisation p1 / n1, record in p2 / n2).
def record_ids(app, client, world):
    from voice import db
    from voice.delivery import push
    from voice.delivery import service as delivery
    from voice.models import CaptureSession, SafetyAlert
    from voice.offline import service as offline

    from .test_review import approved, child_session

    summaries, sessions, versions = [], [], []
    for key in ("p1", "p2"):
        ids, summary_id = approved(app, client, world, key)
        summaries.append(summary_id)
        versions.append(ids["feel-more"][1])
        with app.app_context():
            sessions.append(db.session().scalar(select(CaptureSession.id).where(
                CaptureSession.case_id == world.cases[key])))
    alerts = []
    for key in ("p1", "p2"):
        child_session(app, world, key, answers=[("safe-home", "choice", ["no"], "private")])
        with app.app_context():
            alerts.append(db.session().scalar(select(SafetyAlert.id).where(
                SafetyAlert.case_id == world.cases[key])))
    client.delete_cookie("voice", domain="localhost")
    with app.test_request_context():
        endpoints = [delivery.create_endpoint(world.orgs[n], "Records", "http://127.0.0.1:9/",
                                              ["summary.submitted"])[0].id for n in ("n1", "n2")]
        notices = [push.notify([world.people[f"ictg.{k}"].id], "feedback_arrived")[0].id
                   for k in ("p1", "p2")]
        uploads = [offline.create_upload(db.session().get(CaptureSession, s), f"item-{s}", "voice",
                                         10).id for s in sessions]
        db.session().commit()
    return {
        "case_id": (world.cases["p1"], world.cases["p2"]),
        "user_id": (world.people["ictg.p1"].id, world.people["ictg.p2"].id),
        "token": ("not-a-real-invitation-token", "not-a-real-invitation-token"),
        "session_id": tuple(sessions),
        "version_id": tuple(versions),
        "step_id": ("feel-more", "feel-more"),
        "summary_id": tuple(summaries),
        "endpoint_id": tuple(endpoints),
        "notification_id": tuple(notices),
        "upload_id": tuple(uploads),
        "questionnaire_id": ("my-views-12-17", "my-views-12-17"),
        "language": ("ps", "ps"),
        "digest": ("0" * 64, "0" * 64),
        "extension": ("wav", "wav"),
        "name": ("0" * 64 + ".wav", "0" * 64 + ".wav"),
        "alert_id": tuple(alerts),
    }


# Things only the p1 case team (and, once its summary is submitted, its panel's members) may
# ever see, and things of p2 nobody in p1/n1 may see.
P1_SECRET = "Child of p1"
P1_READERS = ("ictg.p1", "advocate.p1", "panel_member.n1")
P2_SECRETS = ("Child of p2", "ictg.p2@example.org", "advocate.p2@example.org")

PEOPLE = ["ictg.p1", "advocate.p1", "org_admin.p1", "panel_member.n1", "org_admin.n1",
          "service_admin"]


def _capable(app, person, capability: str) -> bool:
    from voice import db, policy
    from voice.models import User

    with app.app_context():
        return policy.capable(db.session().get(User, person.id), capability)


def _rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def test_every_route_declares_its_access(app):
    missing = [rule.rule for rule in _rules(app)
               if not hasattr(app.view_functions[rule.endpoint], "access")]
    assert missing == [], f"routes without a policy declaration: {missing}"


def test_a_route_without_declaration_is_refused(app, client, world):
    @app.route("/undeclared")
    def undeclared():
        return "leaked"

    as_person(app, client, world.people["org_admin.p1"])
    response = client.get("/undeclared")
    assert response.status_code == 404
    assert "leaked" not in response.text


def _url(rule, values):
    args = {}
    for name in rule.arguments:
        assert name in values, (f"the sweep does not know how to fill <{name}> in {rule.rule}: "
                                "add it to record_ids() in tests/test_policy_sweep.py")
        args[name] = values[name]
    return rule.build(args, append_unknown=False)[1]


def _request(client, method, url, token):
    if method == "GET":
        return client.get(url)
    return client.open(url, method=method, data={"csrf_token": token})


@pytest.mark.parametrize("who", PEOPLE + [None])
def test_sweep(app, client, world, who):
    ids = record_ids(app, client, world)
    own = {name: pair[0] for name, pair in ids.items()}
    foreign = {name: pair[1] for name, pair in ids.items()}
    missing = {name: "doesnotexist0000000000" for name in ids}
    if who:
        as_person(app, client, world.people[who])
    token = csrf_token(client, "/sign-in" if not who else "/account")
    team = who in P1_READERS
    problems = []
    for rule in _rules(app):
        view = app.view_functions[rule.endpoint]
        access = view.access
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for label, values in (("own", own), ("foreign", foreign), ("missing", missing)):
                if not rule.arguments and label != "own":
                    continue
                url = _url(rule, values)
                response = _request(client, method, url, token)
                body = response.get_data()
                where = f"{who or 'nobody'} {method} {rule.rule} [{label}] -> {response.status_code}"
                for secret in P2_SECRETS:
                    if secret.encode() in body:
                        problems.append(f"{where}: shows {secret!r}")
                if P1_SECRET.encode() in body and not team:
                    problems.append(f"{where}: shows the p1 child's name")
                if access == "public":
                    continue
                if who is None:
                    ok = response.status_code in (302, 401) and (
                        response.status_code == 401 or "/sign-in" in response.location)
                    if not ok:
                        problems.append(f"{where}: not sent to sign in")
                elif access in ("record", "child") and label != "own":
                    if response.status_code != 404:
                        problems.append(f"{where}: expected 404")
                if who and access == "signed_in" and response.status_code == 200:
                    capability = view.access_details["capability"]
                    if capability and not _capable(app, world.people[who], capability):
                        problems.append(f"{where}: not capable but got 200")
        # Signing out happens only once, at the end; other POSTs must not end the session.
        if rule.endpoint in ("auth.sign_out", "auth.sign_out_everywhere"):
            if who:
                as_person(app, client, world.people[who])
            token = csrf_token(client, "/account" if who else "/sign-in")
    assert problems == [], "\n".join(problems)
