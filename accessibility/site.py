"""What the audit opens: the records it needs, built with the project's own services and test
helpers, and the table of how to reach every GET rule of the application's URL map.

A rule without URL variables is reached as its declaration says (public: no one signed in;
`signed_in(role, ...)`: a person of the first role). A rule with variables, or one whose page
needs more than its declaration says, must be in ROLES, and each of its variables in VARIABLES
(or CHILD_VARIABLES for child mode); otherwise `visits_for` raises `Unreachable`, naming the
endpoint, and the suite fails until this table says how to reach the new page.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import urlsplit

from flask import g
from sqlalchemy import select
from werkzeug.routing import Rule

from tests.conftest import PASSWORD, World, make_world
from tests.test_capture import png, wav
from tests.test_review import QUESTIONNAIRE, approved, child_session
from voice import db
from voice.auth import passwords, sessions
from voice.auth import service as auth_service
from voice.capture import media as capture_media
from voice.capture import service as capture
from voice.cases import service as cases
from voice.consent import service as consent
from voice.decision import service as decision
from voice.delivery import service as delivery
from voice.models import (AuthSession, CaptureSession, Case, Notification, Organisation,
                          SafetyAlert, Summary, User)
from voice.panel import service as panel
from voice.readaloud import service as readaloud
from voice.summary import door

# --- the table -------------------------------------------------------------------------------

# Who opens each page that names a record, or whose declaration does not say enough. People are
# keys of tests.conftest.make_world's world.people; "anonymous" is no one signed in; "pending"
# and "enrolling" have given a right password and need a code or a first authenticator; child
# pages name the device: locked to the language's "fresh" session (no consent yet), "active"
# one (consent and answers) or "finished" one.
ROLES = {
    "cases.show": "ictg.p1", "cases.edit": "ictg.p1", "cases.assign": "org_admin.p1",
    "cases.trail": "org_admin.p1", "retention.close": "ictg.p1", "retention.erase": "org_admin.p1",
    "retention.hold": "org_admin.p1", "panel.feedback": "ictg.p1",
    "review.review": "advocate.p1", "review.send_back": "advocate.p1",
    "review.safeguarding": "advocate.p1", "review.withdraw": "ictg.p1",
    "capture.start": "ictg.p1", "capture.session": "ictg.p1", "consent.record": "ictg.p1",
    "capture.media_file": "ictg.p1", "review.summary": "panel_member.n1",
    "review.print_layout": "panel_member.n1", "review.summary_json": "panel_member.n1",
    "review.media": "panel_member.n1", "panel.outcome": "panel_member.n1",
    "admin.person": "org_admin.p1", "delivery.endpoint": "org_admin.n1", "alerts.show": "ictg.p1",
    "delivery.open_notification": "ictg.p1",
    # Signed in, but only a panel's administrator has these pages.
    "panel.chairs": "org_admin.n1", "delivery.endpoints": "org_admin.n1",
    "delivery.new_endpoint": "org_admin.n1",
    # Halfway through signing in.
    "auth.code": "pending", "auth.enrol": "enrolling",
    # Child mode: the device of a session before consent, and of a finished one.
    "child.consent_step": "fresh", "child.guardian": "fresh", "child.done": "finished",
    # The panel's message: translated by the advocate, shown on a finished session's device.
    "decision.translate": "advocate.p1",
    "child.decision_page": "finished", "child.decision_shown": "finished",
    "child.decision_recording": "finished",
}
# The person for a role named by a `signed_in(...)` declaration.
# Who opens a page declared with a capability (voice/policy/rules.py CAPABILITIES).
PERSON_FOR_CAPABILITY = {
    "cases.list": "ictg.p1", "cases.create": "ictg.p1", "organisations.manage": "service_admin",
    "people.manage": "org_admin.p1", "org.audit": "org_admin.p1",
    "retention.settings": "org_admin.p1", "endpoints.manage": "org_admin.n1",
    "panel.agenda": "panel_member.n1", "panel.figures": "org_admin.p1",
    "panel.chairs": "org_admin.n1", "readaloud.record": "advocate.p1"}
SIGNED_IN = "ictg.p1"  # for pages any signed-in person has

# How to fill each URL variable: the name of a record that `build` makes (Site.ids).
VARIABLES = {"case_id": "case", "session_id": "session", "version_id": "version",
             "summary_id": "summary", "endpoint_id": "endpoint", "user_id": "person",
             "notification_id": "notification", "token": "invitation",
             "questionnaire_id": "questionnaire", "language": "readaloud_language",
             "digest": "recording_digest", "extension": "recording_extension",
             "alert_id": "alert"}
# In child mode: the device's own session, a drawing of that session, and a step of each kind.
CHILD_VARIABLES = {"session_id": "session", "version_id": "version", "step_id": "step",
                   "name": "recording"}
STEPS = ("welcome", "feel-today", "going-well", "feel-more", "enjoy", "matters-photo", "hopes",
         "safe-drawing")
# "My feelings" (ages 4 to 7), each step opened on the device of a session of that questionnaire
# ("young"), an open step in each of its ways.
YOUNG_QUESTIONNAIRE = "my-feelings-4-7"
YOUNG_STEPS = ("welcome", "feel-today", "safe-home", "like", "happy-drawing", "people",
               "people?form=voice", "people?form=drawing", "tell", "thank-you")
# Query strings a page cannot do without.
QUERIES = {"review.media": "media_query"}

# Child pages that speak the ICTG's language, not the child's.
GUARDIAN_PAGES = {"child.guardian", "child.leave", "child.decision_shown"}


@dataclass(frozen=True)
class Visit:
    endpoint: str            # the URL map's endpoint ("" for an error page)
    who: str                 # see ROLES
    path: str
    label: str = ""          # a state of the page other than the plain one
    then: str = ""           # done in the page before the audit ("submit", "wrong-secret")
    status: int = 200        # what the page must answer
    child: bool = False

    @property
    def name(self) -> str:
        return self.endpoint + (f" ({self.label})" if self.label else "")


# States of pages worth auditing besides the one a plain GET shows.
STAFF_EXTRAS = [
    Visit("auth.sign_in", "anonymous", "/sign-in", "errors", then="submit", status=400),
    Visit("cases.new", "ictg.p1", "/cases/new", "errors", then="submit", status=400),
    Visit("", "ictg.p1", "/cases/no-such-case", "page not found", status=404),
]
CHILD_EXTRAS = [
    Visit("child.leave", "active", "/child/{session}/leave", "errors", then="wrong-secret",
          status=400, child=True),
    Visit("", "active", "/child/{session}/step/no-such-step", "page not found", status=404,
          child=True),
] + [Visit("child.step", "young", "/child/{session}/step/" + step, f"my feelings, step {step}",
           child=True) for step in YOUNG_STEPS]


class Unreachable(AssertionError):
    pass


def is_page_rule(app, rule: Rule) -> bool:
    return "GET" in rule.methods and rule.endpoint != "static"


def is_child(app, rule: Rule) -> bool:
    return getattr(app.view_functions[rule.endpoint], "access", None) == "child"


def visits_for(app, rule: Rule, ids: dict) -> list[Visit]:
    """How to open this rule's page(s): raises Unreachable when the table does not say."""
    view = app.view_functions[rule.endpoint]
    access = getattr(view, "access", None)
    child = access == "child"
    where = f"{rule.endpoint} ({rule.rule})"
    if access is None:
        raise Unreachable(f"{where} has no policy declaration")
    who = ROLES.get(rule.endpoint)
    if who is None:
        if child:
            who = "active"
        elif access == "public":
            who = "anonymous"
        elif access == "signed_in":
            capability = view.access_details.get("capability")
            who = PERSON_FOR_CAPABILITY[capability] if capability else SIGNED_IN
        else:
            raise Unreachable(f"the accessibility audit does not know who may open {where}: "
                              "add it to ROLES in accessibility/site.py")
    table = CHILD_VARIABLES if child else VARIABLES
    missing = [name for name in rule.arguments if name not in table]
    if missing:
        raise Unreachable(f"the accessibility audit cannot fill {', '.join(missing)} of {where}: "
                          f"add {'it' if len(missing) == 1 else 'them'} to "
                          f"{'CHILD_VARIABLES' if child else 'VARIABLES'} in accessibility/site.py")
    query = ids.get(QUERIES[rule.endpoint], "") if rule.endpoint in QUERIES else ""
    steps = STEPS if "step_id" in rule.arguments else (None,)
    result = []
    for step in steps:
        values = {name: (step if name == "step_id" else "{%s}" % table[name])
                  for name in rule.arguments}
        path = rule.build(values, append_unknown=False)[1]
        path = path.replace("%7B", "{").replace("%7D", "}")
        result.append(Visit(rule.endpoint, who, path + (f"?{query}" if query else ""),
                            label=f"step {step}" if step else "", child=child))
    return result


def all_visits(app, ids: dict) -> tuple[list[Visit], list[Visit], list[str]]:
    """(staff visits, child visits, problems): every GET rule of the URL map, and the extras."""
    staff, child, problems = [], [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not is_page_rule(app, rule):
            continue
        try:
            found = visits_for(app, rule, ids)
        except Unreachable as error:
            problems.append(str(error))
            continue
        (child if is_child(app, rule) else staff).extend(found)
    return staff + STAFF_EXTRAS, child + CHILD_EXTRAS, problems


# --- the records -----------------------------------------------------------------------------

@dataclass
class Site:
    world: World
    ids: dict                      # record names of VARIABLES -> ids (staff pages)
    enrolling: str                 # id of a person who has no authenticator yet
    devices: dict                  # language -> {"fresh"|"active"|"finished": (token, ids)}


def _as(user: User) -> None:
    g.user, g.auth_session = user, SimpleNamespace(child_session_id=None)


# The child's written answer in the session's own language and script (staff pages show it).
FOOTBALL = {"ar": "كرة القدم", "ti": "ኩዕሶ እግሪ", "ps": "فوټبال", "vi": "Bóng đá"}


def _active_session(app, world: World, language: str) -> dict:
    """A session in `language` with consent and an answer of each kind, not finished."""
    with app.test_request_context():
        session = db.session()
        case = session.get(Case, world.cases["p1"])
        ictg = session.get(User, world.people["ictg.p1"].id)
        _as(ictg)
        questionnaire = capture.questionnaires()[QUESTIONNAIRE]
        sitting = capture.start(case, ictg, questionnaire, language, "ICTG and interpreter", None)
        consent.record_consent(sitting, ictg, True, "interpreter", language, "yes",
                               "ICTG and interpreter")
        capture.save(sitting, questionnaire.step("feel-today"), "feelings", ["happy", "worried"])
        capture.save(sitting, questionnaire.step("enjoy"), "text",
                     FOOTBALL.get(language, "Football"))
        kept = {}
        for step_id, form, make in (
                ("feel-more", "voice", lambda: capture_media.clean_audio(io.BytesIO(wav(1)))),
                ("matters-photo", "photo", lambda: capture_media.clean_image(io.BytesIO(png()))),
                ("safe-drawing", "drawing",
                 lambda: capture_media.clean_image(io.BytesIO(png((80, 60)))))):
            cleaned = make()
            try:
                kept[step_id] = capture.save(sitting, questionnaire.step(step_id), form,
                                             upload=cleaned).id
            finally:
                cleaned.discard()
        session.commit()
        return {"session": sitting.id, "version": kept["safe-drawing"]}


def _fresh_session(app, world: World, language: str) -> dict:
    with app.test_request_context():
        session = db.session()
        ictg = session.get(User, world.people["ictg.p1"].id)
        _as(ictg)
        sitting = capture.start(session.get(Case, world.cases["p1"]), ictg,
                                capture.questionnaires()[QUESTIONNAIRE], language,
                                "ICTG and interpreter", None)
        session.commit()
        return {"session": sitting.id}


def _young_session(app, world: World, language: str) -> dict:
    """A session of "My feelings" for a child of 4 to 7, with consent and one answer."""
    with app.test_request_context():
        session = db.session()
        ictg = session.get(User, world.people["ictg.p1"].id)
        _as(ictg)
        case = cases.create(session.get(Organisation, world.orgs["p1"]),
                            session.get(Organisation, world.orgs["n1"]), "Young child", "4-7",
                            [language], ictg, None, None)
        questionnaire = capture.questionnaires()[YOUNG_QUESTIONNAIRE]
        sitting = capture.start(case, ictg, questionnaire, language, "ICTG", None)
        consent.record_consent(sitting, ictg, True, "tapped", None, "yes", "ICTG",
                               limits_explained=True)
        capture.save(sitting, questionnaire.step("feel-today"), "feelings", ["happy"])
        session.commit()
        return {"session": sitting.id}


def _finished_session(app, world: World, language: str) -> dict:
    child_session(app, world, "p1", language, answers=[("enjoy", "text", "Football", "panel")])
    with app.app_context():
        newest = db.session().scalar(select(CaptureSession).where(
            CaptureSession.language == language, CaptureSession.finished_at.is_not(None))
            .order_by(CaptureSession.started_at.desc()).limit(1))
        return {"session": newest.id}


def _read_aloud(app, world: World, languages) -> dict:
    """The advocate is an interpreter: a checked recording of the first prompt in Pashto, and
    the panel's message translated (and read aloud) in each language of the walk's devices."""
    with app.test_request_context():
        session = db.session()
        advocate = session.get(User, world.people["advocate.p1"].id)
        ictg = session.get(User, world.people["ictg.p1"].id)
        advocate.interpreter = True
        _as(advocate)
        questionnaire = capture.questionnaires()[QUESTIONNAIRE]
        part = readaloud.parts(questionnaire)[0]
        row = readaloud.save(questionnaire, "ps", part, io.BytesIO(wav(1)), advocate)
        readaloud.check(row, ictg)
        case = session.get(Case, world.cases["p1"])
        outcome = panel.awaiting_feedback(case)
        for language in languages:
            spoken = readaloud.clean(io.BytesIO(wav(1)))
            try:
                decision.save(case, outcome, language, "Your message from the panel.",
                              "interpreter", advocate, spoken)
            finally:
                spoken.discard()
        session.commit()
        name = f"{row.digest}.wav"
    return {"questionnaire": QUESTIONNAIRE, "readaloud_language": "ps", "recording": name,
            "recording_digest": name.split(".")[0], "recording_extension": "wav"}


def device(app, world: World, capture_id: str) -> str:
    """A signed-in device of the ICTG, handed to the child: locked to that session."""
    with app.test_request_context():
        session = db.session()
        ictg = session.get(User, world.people["ictg.p1"].id)
        token = sessions.start(ictg)
        session.flush()
        g.user = ictg
        g.auth_session = session.scalar(select(AuthSession).where(
            AuthSession.token_hash == sessions._hash(token)))
        capture.lock_device(session.get(CaptureSession, capture_id), g.auth_session)
        session.commit()
    return token


def signed_in(app, user_id: str) -> str:
    """A fresh signed-in session (cookie token) for a person."""
    with app.test_request_context():
        token = sessions.start(db.session().get(User, user_id))
        db.session().commit()
    return token


def set_locale(app, locale: str | None) -> None:
    """Every person's own choice of language for staff pages."""
    with app.app_context():
        session = db.session()
        for user in session.scalars(select(User)):
            user.locale = locale
        session.commit()


def build(app, child_languages) -> Site:
    world = make_world(app)
    answers = child_session(app, world, "p1", "so")
    _ids, summary_id = approved(app, app.test_client(), world, "p1", ids=answers)
    with app.test_request_context():
        session = db.session()
        summary = session.get(Summary, summary_id)
        member = session.get(User, world.people["panel_member.n1"].id)
        _as(member)
        panel.record_outcome(summary, member, "She stays with her foster family.",
                             "Her wish to stay at her school decided it.",
                             "We listened to you. You can stay at your school.")
        endpoint, _secret = delivery.create_endpoint(
            world.orgs["n1"], "Case records", "https://records.example.org/hook",
            list(delivery.EVENT_TYPES))
        invitation = auth_service.invite(session.get(Organisation, world.orgs["p1"]),
                                         "new.advocate@example.org", "advocate", None)
        newcomer = User(email="new.ictg@example.org", display_name="New ICTG", role="ictg",
                        org_id=world.orgs["p1"], password_hash=passwords.hash_password(PASSWORD))
        session.add(newcomer)
        ictg_id = world.people["ictg.p1"].id
        notification = session.scalar(select(Notification).where(
            Notification.user_id == ictg_id).limit(1))
        sitting = session.scalar(select(CaptureSession).where(
            CaptureSession.case_id == world.cases["p1"]))
        drawing = answers["safe-drawing"][1]
        media_query = urlsplit(door.media_link(summary, drawing, "http://localhost/")["url"]).query
        session.commit()
        ids = {"case": world.cases["p1"], "session": sitting.id, "version": drawing,
               "summary": summary_id, "endpoint": endpoint.id, "person": ictg_id,
               "notification": notification.id, "invitation": invitation,
               "media_query": media_query}
        enrolling = newcomer.id
    ids.update(_read_aloud(app, world, child_languages))
    # A safety alert: the child of p1 said "No" to feeling safe, and kept it private.
    child_session(app, world, "p1", "so", answers=[("safe-home", "choice", ["no"], "private")])
    with app.app_context():
        ids["alert"] = db.session().scalar(select(SafetyAlert.id))
    devices = {}
    for language in child_languages:
        sessions_ = {"fresh": _fresh_session(app, world, language),
                     "active": _active_session(app, world, language),
                     "finished": _finished_session(app, world, language),
                     "young": _young_session(app, world, language)}
        devices[language] = {key: (device(app, world, values["session"]),
                                   {**values, "recording": ids["recording"]})
                             for key, values in sessions_.items()}
    return Site(world, ids, enrolling, devices)
