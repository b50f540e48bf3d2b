"""Every permission rule, for every record type, in one place.

A rule answers whether a person may do an action to a record (`RULES`), or, for the few actions
that concern no record, whether the person's role and organisation allow it (`CAPABILITIES`).
`KNOWING` says which actions let a person learn that a record exists at all; `CASE_OF` ties a
record to its child's case, so nothing of an erased case is reachable.
"""
from __future__ import annotations

import hmac
import ipaddress
from typing import Callable

from flask_babel import lazy_gettext as _l

from ..models import (ADVOCATE, ICTG, ORG_ADMIN, PANEL, PANEL_MEMBER, PROVIDER, SERVICE_ADMIN,
                      AnswerVersion, CaptureSession, Case, Notification, SafetyAlert, Summary,
                      User, WebhookEndpoint)


def _org_kind(user: User) -> str | None:
    return user.org.kind if user.org is not None else None


# --- people and their places -----------------------------------------------------------------

def case_team(user: User, case: Case) -> bool:
    """The case's ICTG and advocate: the only people who read the child's own content."""
    return (user.role in (ICTG, ADVOCATE) and user.org_id == case.provider_id
            and user.id in (case.ictg_id, case.advocate_id))


def _provider_admin(user: User, case: Case) -> bool:
    return user.role == ORG_ADMIN and user.org_id == case.provider_id


def _team_or_admin(user: User, case: Case) -> bool:
    return case_team(user, case) or _provider_admin(user, case)


def _safeguarding_lead(user: User, case: Case) -> bool:
    return user.safeguarding_lead and user.org_id == case.provider_id


def _alert_handler(user: User, alert: SafetyAlert) -> bool:
    """Who is told of a safety alert and may act on it: the case's team, the provider's org
    admins (it escalates to them) and its safeguarding leads. Never a panel."""
    return _team_or_admin(user, alert.case) or _safeguarding_lead(user, alert.case)


def _panel_member_of(user: User, panel_id: str) -> bool:
    return user.role == PANEL_MEMBER and user.org_id == panel_id


def _panel_admin(user: User) -> bool:
    return user.role == ORG_ADMIN and _org_kind(user) == PANEL


def _session_starter(user: User, capture: CaptureSession) -> bool:
    return user.role == ICTG and user.id == capture.started_by_id and case_team(user, capture.case)


def _interpreter(user: User) -> bool:
    """Granted by the provider's org admin: records read-aloud prompts, translates for the child."""
    return bool(user.interpreter) and _org_kind(user) == PROVIDER


# --- rules on records --------------------------------------------------------------------------

RULES: dict[type, dict[str, Callable]] = {
    Case: {
        # The child's own content: name, answers, media.
        "case.read": case_team,
        "case.edit": case_team,
        # What an organisation's admin may see and do: no content.
        "case.meta": _team_or_admin,
        "case.assign": _provider_admin,
        "case.audit": _provider_admin,
        "case.hold": _provider_admin,
        "case.erase": _provider_admin,
        "case.close": _team_or_admin,
        "session.start": lambda u, c: u.role == ICTG and u.id == c.ictg_id and case_team(u, c),
        "review.edit": lambda u, c: u.role == ADVOCATE and case_team(u, c),
        "safeguarding.raise": lambda u, c: u.role == ADVOCATE and case_team(u, c),
        "safeguarding.read": _team_or_admin,
        "sharing.withdraw": lambda u, c: u.role == ICTG and case_team(u, c),
        "feedback.record": lambda u, c: u.role == ICTG and case_team(u, c),
        # The panel's message in the child's language: the advocate, or an interpreter on the team.
        "message.translate": lambda u, c: case_team(u, c) and (u.role == ADVOCATE
                                                                or _interpreter(u)),
    },
    User: {
        "person.manage": lambda u, person: u.role == ORG_ADMIN and u.org_id == person.org_id
        and u.id != person.id,
        # Safeguarding leads hear of every safety alert of a provider's cases.
        "person.safeguarding": lambda u, person: u.role == ORG_ADMIN and u.org_id == person.org_id
        and u.id != person.id and _org_kind(u) == PROVIDER,
    },
    CaptureSession: {
        "session.read": lambda u, s: case_team(u, s.case),
        # The pages the child uses, checked for the ICTG who handed the device over.
        "session.child": _session_starter,
        # Leaving child mode works even if the case was reassigned meanwhile.
        "session.leave": lambda u, s: u.id == s.started_by_id,
        "session.resume": lambda u, s: _session_starter(u, s) and s.finished_at is None,
        "consent.record": lambda u, s: u.role == ICTG and case_team(u, s.case),
        # "What the panel decided", shown in child mode by the ICTG who started the session.
        "decision.show": _session_starter,
    },
    # The panel reaches shared media only through the summary's signed, expiring links.
    AnswerVersion: {"answer.media": lambda u, v: case_team(u, v.case)},
    # A panel member may know a summary (and so its case) only once it was submitted to their
    # panel; the versions they received stay readable to them.
    Summary: {
        "summary.read": lambda u, s: case_team(u, s.case) or _panel_member_of(u, s.panel_id),
        "summary.outcome": lambda u, s: _panel_member_of(u, s.panel_id),
        "summary.reference": lambda u, s: _panel_member_of(u, s.panel_id),
    },
    # An endpoint belongs to one panel organisation: only its org admins may know it.
    WebhookEndpoint: {"endpoint.manage": lambda u, e: _panel_admin(u) and u.org_id == e.org_id},
    SafetyAlert: {"alert.read": _alert_handler, "alert.acknowledge": _alert_handler},
    # A notice is its person's alone.
    Notification: {"notification.open": lambda u, notice: notice.user_id == u.id},
}
KNOWING: dict[type, tuple[str, ...]] = {
    Case: ("case.meta",), User: ("person.manage",), CaptureSession: ("session.read",),
    AnswerVersion: ("answer.media",), Summary: ("summary.read",),
    WebhookEndpoint: ("endpoint.manage",), Notification: ("notification.open",),
    SafetyAlert: ("alert.read",),
}
CASE_OF: dict[type, Callable] = {
    Case: lambda case: case, CaptureSession: lambda s: s.case, AnswerVersion: lambda v: v.case,
    Summary: lambda s: s.case, SafetyAlert: lambda alert: alert.case,
}

# --- what a person may do that concerns no one record -----------------------------------------

CAPABILITIES: dict[str, Callable[[User], bool]] = {
    "cases.list": lambda u: u.role != SERVICE_ADMIN,
    "cases.create": lambda u: u.role in (ICTG, ADVOCATE),
    "organisations.manage": lambda u: u.role == SERVICE_ADMIN,
    "people.manage": lambda u: u.role == ORG_ADMIN,
    "interpreters.grant": lambda u: u.role == ORG_ADMIN and _org_kind(u) == PROVIDER,
    "readaloud.record": _interpreter,
    "org.audit": lambda u: u.role == ORG_ADMIN,
    "retention.settings": lambda u: u.role == ORG_ADMIN and _org_kind(u) == PROVIDER,
    "endpoints.manage": _panel_admin,
    "panel.agenda": lambda u: u.role == PANEL_MEMBER,
    "panel.figures": lambda u: u.role in (ORG_ADMIN, SERVICE_ADMIN),
    "panel.chairs": _panel_admin,
    # Who sees everything of the figures (no case is ever shown, only counts).
    "figures.all": lambda u: u.role == SERVICE_ADMIN,
}

# The menu: each entry is shown to whoever has its capability, in this order.
NAVIGATION = (
    ("organisations.manage", "admin.organisations", _l("Organisations")),
    ("cases.list", "cases.index", _l("Cases")),
    ("people.manage", "admin.people", _l("People")),
    ("readaloud.record", "readaloud.index", _l("Read-aloud recordings")),
    ("org.audit", "admin.org_audit", _l("Audit trail")),
    ("retention.settings", "retention.settings", _l("Retention")),
    ("endpoints.manage", "delivery.endpoints", _l("Case record endpoints")),
    ("panel.agenda", "panel.agenda", _l("Agenda")),
    ("panel.figures", "panel.evaluation", _l("Figures")),
    ("panel.chairs", "panel.chairs", _l("Panel chairs")),
    (None, "auth.account", _l("Your account")),
)


# --- machines ---------------------------------------------------------------------------------

def may_scrape_metrics(address: str | None, forwarded: bool, bearer: str | None,
                       allowed: tuple, token: str | None) -> bool:
    """/metrics: a bearer token equal to the configured one, or a direct connection (not one
    the TLS proxy forwarded, whose address would be the proxy's) from an allowed network."""
    if token and bearer is not None and hmac.compare_digest(bearer.encode(), token.encode()):
        return True
    if forwarded or not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in allowed)
