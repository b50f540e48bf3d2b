"""Test set-up: every database test runs on SQLite and on a real PostgreSQL server."""
from __future__ import annotations

import base64
import itertools
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

import pyotp
import pytest
from flask import Flask
from sqlalchemy import create_engine, text

from voice import create_app
from voice.db import make_engine
from voice.models import Base

from .postgres import Server
from .templates import CompiledTemplates

BACKENDS = ["sqlite", "postgresql"]
_counter = itertools.count()


@pytest.fixture(scope="session", autouse=True)
def compiled_templates():
    """Every app the tests create shares the templates compiled once (tests/templates.py)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Flask, "jinja_options", {**Flask.jinja_options,
                                               "bytecode_cache": CompiledTemplates()})
        yield


@pytest.fixture(scope="session")
def pg_server():
    server = Server().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def templates(tmp_path_factory, pg_server):
    """One schema per backend, built once; each test gets a fresh copy of it."""
    sqlite_file = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{sqlite_file}", pooled=False)
    Base.metadata.create_all(engine)
    engine.dispose()
    admin = create_engine(pg_server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE voice_template"))
    admin.dispose()
    engine = make_engine(pg_server.url("voice_template"), pooled=False)
    Base.metadata.create_all(engine)
    engine.dispose()
    return {"sqlite": sqlite_file}


def new_database(backend, tmp_path, pg_server, templates) -> str:
    if backend == "sqlite":
        target = tmp_path / "voice.sqlite3"
        shutil.copy(templates["sqlite"], target)
        return f"sqlite:///{target}"
    name = f"voice_test_{os.getpid()}_{next(_counter)}"
    admin = create_engine(pg_server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        # A file copy of the small template: three times faster than PostgreSQL's default
        # (WAL_LOG, made for large templates).
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE voice_template STRATEGY FILE_COPY"))
    admin.dispose()
    return pg_server.url(name)


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def database_url(backend, tmp_path, pg_server, templates):
    return new_database(backend, tmp_path, pg_server, templates)


def app_config(tmp_path, database_url, **extra):
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "MEDIA_PATH": str(tmp_path / "media"),
        "ERASURES_PATH": str(tmp_path / "instance" / "erasures.log"),
        "SECRET_KEY": base64.b64encode(os.urandom(32)).decode(),
        "KEY_ENCRYPTION_KEY": base64.b64encode(os.urandom(32)).decode(),
        "SECURE_COOKIES": False,
        "DEVELOPMENT": True,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_KIB": 1024,
        "SERVER_NAME": "localhost",
    }
    config.update(extra)
    return config


@pytest.fixture
def app(tmp_path, database_url):
    application = create_app(app_config(tmp_path, database_url))
    yield application
    application.extensions["voice.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


# --- people and cases ------------------------------------------------------------------------

PASSWORD = "violet tangerine harbour 42 lanterns"


@dataclass
class Person:
    id: str
    email: str
    role: str
    org_id: str | None
    secret: str = field(default_factory=pyotp.random_base32)


@dataclass
class World:
    orgs: dict
    people: dict
    cases: dict


def make_world(app) -> World:
    """Two providers and two panels, a person of every role in each, and a case per provider."""
    from voice import db
    from voice.auth import passwords, service
    from voice.cases import service as cases
    from voice.models import Organisation, User

    with app.app_context():
        session = db.session()
        orgs, people, case_ids = {}, {}, {}
        for key, kind in (("p1", "provider"), ("p2", "provider"), ("n1", "panel"), ("n2", "panel")):
            orgs[key] = Organisation(name=f"Org {key}", kind=kind)
            session.add(orgs[key])
        session.flush()
        roles = {"provider": ("ictg", "advocate", "org_admin"), "panel": ("panel_member", "org_admin")}
        hashed = passwords.hash_password(PASSWORD)
        for key, org in orgs.items():
            for role in roles[org.kind]:
                email = f"{role}.{key}@example.org"
                user = User(email=email, display_name=f"{role} {key}", role=role, org_id=org.id,
                            password_hash=hashed)
                session.add(user)
                session.flush()
                person = Person(user.id, email, role, org.id)
                service.save_totp_secret(user, person.secret)
                people[f"{role}.{key}"] = person
        admin = User(email="service.admin@example.org", display_name="service admin",
                     role="service_admin", password_hash=hashed)
        session.add(admin)
        session.flush()
        people["service_admin"] = Person(admin.id, admin.email, "service_admin", None)
        service.save_totp_secret(admin, people["service_admin"].secret)
        for key, panel in (("p1", "n1"), ("p2", "n2")):
            ictg = session.get(User, people[f"ictg.{key}"].id)
            advocate = session.get(User, people[f"advocate.{key}"].id)
            case = cases.create(orgs[key], orgs[panel], f"Child of {key}", "12-15", ["ar", "en"],
                                ictg, advocate, date.today() + timedelta(days=14))
            case_ids[key] = case.id
        session.commit()
        return World({k: o.id for k, o in orgs.items()}, people, case_ids)


@pytest.fixture
def world(app):
    return make_world(app)


def csrf_token(client, url: str) -> str:
    page = client.get(url)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text) or \
        re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, f"no CSRF token on {url} ({page.status_code})"
    return match.group(1)


def post_form(client, url: str, data: dict, page: str | None = None, **kwargs):
    """Submit a form the way a browser does: read the page, then post with its CSRF token."""
    token = csrf_token(client, page or url)
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def sign_in(client, person: Person, password: str = PASSWORD):
    """The real sign-in: email and password, then a TOTP code."""
    response = post_form(client, "/sign-in", {"email": person.email, "password": password})
    assert response.status_code == 302, response.text
    totp = pyotp.TOTP(person.secret)
    # A code may be used once: take the next step's code when this one was used already.
    code = totp.now()
    response = post_form(client, "/sign-in/code", {"code": code})
    if response.status_code != 302:
        response = post_form(client, "/sign-in/code", {"code": totp.at(time.time() + 30)})
    assert response.status_code == 302, response.text
    return response


def as_person(app, client, person: Person):
    """A signed-in session for person without going through sign-in (for tests of other things)."""
    from voice import db
    from voice.auth import sessions
    from voice.models import User

    with app.test_request_context():
        user = db.session().get(User, person.id)
        token = sessions.start(user)
        db.session().commit()
    client.set_cookie("voice", token, domain="localhost")
    return client


from .browser import another_page, chromium, live_server, page  # noqa: E402,F401  (browser fixtures)
