"""Safety alerts: a child who says they may not be safe is heard at once, by the right people,
and the panel never learns of it unless the child shares the answer."""
from __future__ import annotations

import html
import re
from datetime import date, timedelta

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, update

from voice import db
from voice.capture import service as capture
from voice.cases import service as cases
from voice.delivery import worker
from voice.models import (Answer, AuditEvent, ConsentRecord, Notification, Organisation, SafetyAlert,
                          Summary, User, now)
from voice.summary import door

from .conftest import as_person, post_form
from .test_capture import answer, give_consent, start_session
from .test_review import FULL, approved, child_session, panel_client

SAFE_STEP = "safe-home"
WORDS_OF_ACTION = "Rang the carer and visited PRIVATE-ACTION-5521"


def _notices(app, kind=None):
    """{person id: [kinds]} of every notice."""
    with app.app_context():
        rows = db.session().scalars(select(Notification)).all()
        found = {}
        for row in rows:
            if kind is None or row.kind == kind:
                found.setdefault(row.user_id, []).append(row.kind)
        return found


def _alerts(app):
    with app.app_context():
        rows = db.session().scalars(select(SafetyAlert).order_by(SafetyAlert.raised_at)).all()
        db.session().expunge_all()
        return rows


def _audited(app, action):
    """(actor, record id) of each audit entry of the action."""
    with app.app_context():
        return db.session().execute(select(AuditEvent.actor_id, AuditEvent.record_id).where(
            AuditEvent.action == action)).all()


def _make_lead(app, world, who):
    admin = app.test_client()
    as_person(app, admin, world.people[f"org_admin.{who.split('.')[1]}"])
    url = f"/organisation/people/{world.people[who].id}/safeguarding-lead"
    response = post_form(admin, url, {}, page=f"/organisation/people/{world.people[who].id}")
    assert response.status_code == 302, response.text
    return admin


def _text(response) -> str:
    return html.unescape(response.text)


def test_only_the_org_admin_of_a_provider_marks_safeguarding_leads(app, world):
    admin = _make_lead(app, world, "advocate.p1")
    page = _text(admin.get(f"/organisation/people/{world.people['advocate.p1'].id}"))
    assert "This person is a safeguarding lead." in page
    assert "safeguarding lead" in _text(admin.get("/organisation/people"))
    assert [record for _actor, record in _audited(app, "person.safeguarding_lead")] == \
        [world.people["advocate.p1"].id]
    # Nobody else may: a case worker, another provider's admin, a panel's admin.
    for who, person, page in (("ictg.p1", "advocate.p1", "/cases/new"),
                              ("org_admin.p2", "advocate.p1", "/organisation/people"),
                              ("org_admin.n1", "panel_member.n1", "/organisation/people")):
        other = app.test_client()
        as_person(app, other, world.people[who])
        response = post_form(other, f"/organisation/people/{world.people[person].id}"
                             "/safeguarding-lead", {}, page=page)
        assert response.status_code in (403, 404), who
    with app.app_context():
        assert db.session().get(User, world.people["panel_member.n1"].id).safeguarding_lead is False
    # Turning it off again.
    url = f"/organisation/people/{world.people['advocate.p1'].id}"
    assert post_form(admin, url + "/safeguarding-lead", {}, page=url).status_code == 302
    assert "This person is not a safeguarding lead." in _text(admin.get(url))


def test_a_private_no_raises_an_alert_at_once_for_the_ictg_and_the_leads(app, client, world):
    _make_lead(app, world, "advocate.p1")
    _make_lead(app, world, "ictg.p2")  # a lead of another provider hears nothing of p1's cases
    session_id = start_session(app, client, world, language="en")
    consent_page = client.get(f"/child/{session_id}/consent")
    assert "If you tell us you are not safe, your guardian will be told, so they can help." in \
        _text(consent_page)
    give_consent(client, session_id)
    with app.app_context():
        [record] = db.session().scalars(select(ConsentRecord)).all()
        assert record.limits_explained is True

    assert answer(client, session_id, SAFE_STEP, {"option": "yes"}).status_code == 302
    assert _alerts(app) == [] and _notices(app) == {}
    # "No", kept private (every answer is private until the child shares it): an alert at once.
    assert answer(client, session_id, SAFE_STEP, {"option": "no"}).status_code == 302
    [alert] = _alerts(app)
    assert alert.case_id == world.cases["p1"] and alert.acknowledged_at is None
    assert _notices(app) == {world.people["ictg.p1"].id: ["safety_alert"],
                             world.people["advocate.p1"].id: ["safety_alert"]}
    assert len(_audited(app, "alert.raise")) == 1 and len(_audited(app, "alert.notify")) == 1
    # Changing to "Not sure" while the alert waits does not raise a second one.
    assert answer(client, session_id, SAFE_STEP, {"option": "not-sure"}).status_code == 302
    assert len(_alerts(app)) == 1

    # The alert waits on the case page (for the ICTG and the org admin), not for the panel.
    ictg = app.test_client()
    as_person(app, ictg, world.people["ictg.p1"])
    case_page = _text(ictg.get(f"/cases/{world.cases['p1']}"))
    assert "Safety alert" in case_page and f"/alerts/{alert.id}" in case_page
    admin = app.test_client()
    as_person(app, admin, world.people["org_admin.p1"])
    assert f"/alerts/{alert.id}" in admin.get(f"/cases/{world.cases['p1']}").text
    for who in ("panel_member.n1", "org_admin.n1", "ictg.p2", "org_admin.p2"):
        other = app.test_client()
        as_person(app, other, world.people[who])
        assert other.get(f"/alerts/{alert.id}").status_code == 404, who


def test_only_a_chosen_safety_signal_raises_an_alert(app, client, world):
    session_id = start_session(app, client, world, language="en")
    give_consent(client, session_id)
    # "I am not sure" where the child feels safe is no signal: only options marked in the file.
    assert answer(client, session_id, "safe-places", {"option": ["nowhere", "not-sure"]}
                  ).status_code == 302
    # Options the step does not have are ignored.
    assert answer(client, session_id, SAFE_STEP, {"option": ["unsafe", "maybe"]}).status_code == 302
    # One answer only: a forged "yes" and "no" together keeps the first, "yes".
    assert answer(client, session_id, SAFE_STEP, {"option": ["no", "yes"]}).status_code == 302
    assert _alerts(app) == [] and _notices(app) == {}
    with app.app_context():
        row = db.session().scalar(select(Answer).where(Answer.step_id == SAFE_STEP))
        assert capture.value_of(row.latest) == ["yes"]
    assert answer(client, session_id, SAFE_STEP, {"option": "not-sure"}).status_code == 302
    assert len(_alerts(app)) == 1


def test_an_answer_saved_later_raises_it_and_the_panel_never_sees_a_private_one(app, client, world):
    # Through the capture service alone, as an answer arriving from an offline device is saved.
    ids, summary_id = approved(app, client, world, ids=child_session(
        app, world, answers=FULL + [(SAFE_STEP, "choice", ["no"], "private")]))
    [alert] = _alerts(app)
    assert alert.answer_id == ids[SAFE_STEP][0]
    assert world.people["ictg.p1"].id in _notices(app, "safety_alert")
    with app.test_request_context():
        document = door.for_panel(db.session().get(Summary, summary_id))
    assert ids[SAFE_STEP][0] not in {item["id"] for item in document["items"]}
    summary_page = _text(panel_client(app, world).get(f"/summaries/{summary_id}"))
    assert "Do you feel safe where you live now?" not in summary_page
    assert "Safety alert" not in summary_page and alert.id not in summary_page


def test_acknowledging_records_what_was_done_sealed_and_audited(app, client, world):
    child_session(app, world, answers=[(SAFE_STEP, "choice", ["not-sure"], "private")])
    [alert] = _alerts(app)
    ictg = app.test_client()
    as_person(app, ictg, world.people["ictg.p1"])
    page = _text(ictg.get(f"/alerts/{alert.id}"))
    assert "Do you feel safe where you live now?" in page and "Not sure" in page
    assert len(_audited(app, "alert.read")) == 1
    url = f"/alerts/{alert.id}"
    response = post_form(ictg, url, {"action": "  "})
    assert response.status_code == 400 and "Enter what you did" in _text(response)
    response = post_form(ictg, url, {"action": WORDS_OF_ACTION})
    assert response.status_code == 302
    [alert] = _alerts(app)
    assert alert.acknowledged_by_id == world.people["ictg.p1"].id and alert.acknowledged_at
    assert WORDS_OF_ACTION.encode() not in alert.action  # sealed under the case key
    assert WORDS_OF_ACTION in _text(ictg.get(url))
    assert [actor for actor, _record in _audited(app, "alert.acknowledge")] == \
        [world.people["ictg.p1"].id]
    assert "/alerts/" not in ictg.get(f"/cases/{world.cases['p1']}").text
    # Acknowledged once: a second answer does not overwrite it.
    assert post_form(ictg, url, {"action": "something else"}).status_code == 200
    assert len(_audited(app, "alert.acknowledge")) == 1
    # A new "No" later raises a new alert.
    child_session(app, world, answers=[(SAFE_STEP, "choice", ["no"], "private")])
    assert len(_alerts(app)) == 2


def _scrape(client) -> dict:
    text = client.get("/metrics").text
    return {s.name: s.value for family in text_string_to_metric_families(text)
            for s in family.samples}


def test_unacknowledged_alerts_escalate_to_the_org_admins_once(app, client, world):
    child_session(app, world, answers=[(SAFE_STEP, "choice", ["no"], "private")])
    assert _scrape(client)["voice_alerts_waiting"] == 1
    runner = app.test_cli_runner()
    result = runner.invoke(args=["escalate-alerts"])
    assert "Escalated 0 safety alerts." in result.output
    assert _notices(app, "safety_alert_escalated") == {}
    # 31 minutes later (the default is 30).
    with app.app_context():
        db.session().execute(update(SafetyAlert).values(raised_at=now() - timedelta(minutes=31)))
        db.session().commit()
    result = runner.invoke(args=["escalate-alerts"])
    assert "Escalated 1 safety alerts." in result.output, result.output
    assert _notices(app, "safety_alert_escalated") == {
        world.people["org_admin.p1"].id: ["safety_alert_escalated"]}
    assert "Escalated 0 safety alerts." in runner.invoke(args=["escalate-alerts"]).output
    [alert] = _alerts(app)
    assert alert.escalated_at is not None
    assert len(_audited(app, "alert.escalate")) == 1
    # The worker's loop runs it too, with a shorter setting.
    app.config["ALERT_ESCALATE_MINUTES"] = 1
    child_session(app, world, key="p2", answers=[(SAFE_STEP, "choice", ["no"], "private")])
    with app.app_context():
        db.session().execute(update(SafetyAlert).where(SafetyAlert.escalated_at.is_(None))
                             .values(raised_at=now() - timedelta(minutes=2)))
        db.session().commit()
        worker.run(once=True)
    assert _notices(app, "safety_alert_escalated")[world.people["org_admin.p2"].id] == \
        ["safety_alert_escalated"]
    # The escalated alert is still waiting until someone acknowledges it.
    admin = app.test_client()
    as_person(app, admin, world.people["org_admin.p1"])
    assert post_form(admin, f"/alerts/{alert.id}", {"action": "Called the ICTG"}).status_code == 302
    assert _scrape(client)["voice_alerts_waiting"] == 1  # p2's


def _more_cases(app, world, count):
    with app.test_request_context():
        session = db.session()
        ictg = session.get(User, world.people["ictg.p1"].id)
        provider = session.get(Organisation, world.orgs["p1"])
        panel = session.get(Organisation, world.orgs["n1"])
        ids = [cases.create(provider, panel, f"Young child {n}", "4-7", ["ti"], ictg, None,
                            date.today() + timedelta(days=20)).id for n in range(count)]
        session.commit()
    return ids


def _acknowledged_after(app, admin, alert, minutes):
    """The org admin acknowledges the alert, which had been raised `minutes` before."""
    assert post_form(admin, f"/alerts/{alert.id}", {"action": "Visited"}).status_code == 302
    with app.app_context():
        row = db.session().get(SafetyAlert, alert.id)
        row.raised_at = row.acknowledged_at - timedelta(minutes=minutes)
        db.session().commit()


def _cells(page: str, month: date) -> list[str]:
    row = re.search(rf"<tr[^>]*>\s*<td[^>]*>{month:%B %Y}</td>(.*?)</tr>", page, re.S)
    assert row, page
    return re.findall(r"<td[^>]*>([^<]*)</td>", row.group(1))


def test_figures_count_alerts_and_the_median_time_to_acknowledge(app, client, world):
    case_ids = [world.cases["p1"]] + _more_cases(app, world, 4)
    for case_id in case_ids:
        child_session(app, world, answers=[(SAFE_STEP, "choice", ["no"], "private")],
                      case_id=case_id)
    admin = app.test_client()
    as_person(app, admin, world.people["org_admin.p1"])
    for minutes, alert in zip((4, 10, 12, 30), _alerts(app)):
        _acknowledged_after(app, admin, alert, minutes)
    page = html.unescape(admin.get("/evaluation").text)
    assert "Safety alerts raised" in page and "Median minutes to acknowledge" in page
    # Five children's alerts are shown; the acknowledged ones are of four: not shown.
    assert _cells(page, date.today())[-2:] == ["5", "not shown: fewer than 5 cases"]
    [last] = [alert for alert in _alerts(app) if alert.acknowledged_at is None]
    _acknowledged_after(app, admin, last, 20)
    page = html.unescape(admin.get("/evaluation").text)
    assert _cells(page, date.today())[-2:] == ["5", "12 minutes"]
    for secret in ["Young child", "Visited"] + case_ids:
        assert secret not in page
    # A panel's admin never learns of alerts, even as counts.
    panel_admin = app.test_client()
    as_person(app, panel_admin, world.people["org_admin.n1"])
    page = html.unescape(panel_admin.get("/evaluation").text)
    assert "Sessions held" in page and "Safety alerts raised" not in page
    assert "minutes to acknowledge" not in page
