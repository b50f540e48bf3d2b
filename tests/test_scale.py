"""Many cases: the case list is paginated, and the case list, the agenda, a case page and a
summary cost the same number of SQL statements with 100 cases as with 1,000."""
from __future__ import annotations

import html
import re
from contextlib import contextmanager

from sqlalchemy import event, func, select

from voice import db
from voice.models import AuditEvent, Case, Summary

from .conftest import as_person
from .test_review import approved
from .scale import grow

PAGE_SIZE = 50


@contextmanager
def statements(app):
    """Counts the SQL statements the app's engine runs meanwhile."""
    counted = []

    def count(_conn, _cursor, statement, *_args):
        counted.append(statement)

    engine = app.extensions["voice.engine"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counted
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _client(app, world, who):
    client = app.test_client()
    as_person(app, client, world.people[who])
    return client


def _pages(app, world, summary_id):
    """(client, URL) of every page whose cost must not grow with the number of cases."""
    return {
        "case list (provider admin)": (_client(app, world, "org_admin.p1"), "/cases/"),
        "case list (ICTG)": (_client(app, world, "ictg.p1"), "/cases/"),
        "case list, page 2": (_client(app, world, "org_admin.p1"), "/cases/?page=2"),
        "agenda": (_client(app, world, "panel_member.n1"), "/panel"),
        "case page": (_client(app, world, "ictg.p1"), f"/cases/{world.cases['p1']}"),
        "summary": (_client(app, world, "panel_member.n1"), f"/summaries/{summary_id}"),
    }


def _counts(app, pages) -> dict[str, int]:
    for client, url in pages.values():  # warm caches (templates, questionnaires, read receipts)
        client.get(url)
    counts = {}
    for name, (client, url) in pages.items():
        with statements(app) as counted:
            response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        counts[name] = len(counted)
    return counts


def test_pages_cost_as_many_statements_with_1000_cases_as_with_100(app, client, world):
    _ids, summary_id = approved(app, client, world)
    grow(app, world, 100 - 1)
    pages = _pages(app, world, summary_id)
    with_100 = _counts(app, pages)
    grow(app, world, 1000 - 100)
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Case).where(
            Case.provider_id == world.orgs["p1"])) == 1000
    assert _counts(app, pages) == with_100


def _links(response) -> list[str]:
    return re.findall(r'href="/cases/([A-Za-z0-9_-]{22})"', response.get_data(as_text=True))


def test_the_case_list_is_paginated_and_audits_only_the_names_shown(app, world):
    grow(app, world, 120)  # 121 cases of provider p1: three pages
    ictg = _client(app, world, "ictg.p1")
    with app.app_context():
        before = db.session().scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "case.read_name"))
    first = ictg.get("/cases/")
    text = html.unescape(first.get_data(as_text=True))
    assert len(_links(first)) == PAGE_SIZE
    assert 'href="/cases/?page=2"' in text and "Next" in text and "Previous" not in text
    assert "Showing 1 to 50 of 121 cases" in text
    with app.app_context():
        after = db.session().scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "case.read_name"))
    assert after - before == PAGE_SIZE  # only the names on the page were opened

    seen = []
    for number in (1, 2, 3):
        seen += _links(ictg.get(f"/cases/?page={number}"))
    last = html.unescape(ictg.get("/cases/?page=3").get_data(as_text=True))
    assert "Showing 101 to 121 of 121 cases" in last and "Next" not in last
    assert len(seen) == len(set(seen)) == 121  # every case once, none twice
    # The admin sees the same pages, with no names.
    admin = _client(app, world, "org_admin.p1")
    assert _links(admin.get("/cases/?page=3")) == _links(ictg.get("/cases/?page=3"))
    assert "Child of p1" not in admin.get("/cases/").get_data(as_text=True)
    for wrong in ("4", "0", "-1", "two"):
        assert admin.get(f"/cases/?page={wrong}").status_code == 404


def test_the_agenda_is_paginated(app, client, world):
    _ids, summary_id = approved(app, client, world)
    grow(app, world, 60)
    member = _client(app, world, "panel_member.n1")
    with app.app_context():
        arrived = db.session().scalar(select(func.count(func.distinct(Summary.case_id))).where(
            Summary.panel_id == world.orgs["n1"]))
    assert arrived == 61
    first = html.unescape(member.get("/panel").get_data(as_text=True))
    second = html.unescape(member.get("/panel?page=2").get_data(as_text=True))
    shown = re.findall(r'href="/summaries/([A-Za-z0-9_-]{22})"', first + second)
    assert len(shown) == len(set(shown)) == 61
    assert "Showing 1 to 50 of 61" in first and 'href="/panel?page=2"' in first
    assert member.get("/panel?page=3").status_code == 404
