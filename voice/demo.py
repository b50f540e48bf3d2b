"""Demo data for `make run`: one person of each role, a provider, a panel and a case.

Running it again changes nothing. The demo secrets are fixed so the printed sign-ins work; they
are for a local demonstration only.
"""
from __future__ import annotations

from datetime import date, timedelta

import pyotp
from sqlalchemy import select

from . import db
from .auth import passwords, service as auth_service
from .cases import service as case_service
from .models import (ADVOCATE, ICTG, ORG_ADMIN, PANEL, PANEL_MEMBER, PROVIDER, SERVICE_ADMIN,
                     Case, Organisation, User)

PASSWORD = "correct horse battery staple demo"
PEOPLE = [
    # email, name, role, organisation key, TOTP secret
    ("service.admin@voice.example", "Sam Service", SERVICE_ADMIN, None, "JBSWY3DPEHPK3PXAVOICEDEMOASECRET"),
    ("provider.admin@voice.example", "Priya Provider-Admin", ORG_ADMIN, "provider", "JBSWY3DPEHPK3PXBVOICEDEMOBSECRET"),
    ("ictg@voice.example", "Isla ICTG", ICTG, "provider", "JBSWY3DPEHPK3PXCVOICEDEMOCSECRET"),
    ("advocate@voice.example", "Ade Advocate", ADVOCATE, "provider", "JBSWY3DPEHPK3PXDVOICEDEMODSECRET"),
    ("panel.admin@voice.example", "Pat Panel-Admin", ORG_ADMIN, "panel", "JBSWY3DPEHPK3PXEVOICEDEMOESECRET"),
    ("panel.member@voice.example", "Morgan Member", PANEL_MEMBER, "panel", "JBSWY3DPEHPK3PXFVOICEDEMOFSECRET"),
]
ORGS = {"provider": ("Northbridge Guardianship Service (demo)", PROVIDER),
        "panel": ("Riverside Multi-agency Panel (demo)", PANEL)}


def seed() -> list[str]:
    session = db.session()
    orgs = {}
    for key, (name, kind) in ORGS.items():
        org = session.scalar(select(Organisation).where(Organisation.name == name))
        if org is None:
            org = Organisation(name=name, kind=kind)
            session.add(org)
            session.flush()
        orgs[key] = org
    people = {}
    for email, name, role, org_key, secret in PEOPLE:
        user = auth_service.find_user(email)
        if user is None:
            user = User(email=email, display_name=name, role=role,
                        org_id=orgs[org_key].id if org_key else None,
                        password_hash=passwords.hash_password(PASSWORD))
            session.add(user)
            session.flush()
            auth_service.save_totp_secret(user, secret)
        people[role if org_key != "panel" or role != ORG_ADMIN else "panel_admin"] = user
    if session.scalar(select(Case).where(Case.provider_id == orgs["provider"].id)) is None:
        case_service.create(orgs["provider"], orgs["panel"], "Amira", "12-15", ["ar", "en"],
                            people[ICTG], people[ADVOCATE], date.today() + timedelta(days=21))
    db.commit_unit()
    lines = ["Demo sign-ins (password for all: %r):" % PASSWORD]
    for email, _name, role, _org, secret in PEOPLE:
        lines.append(f"  {role:<14} {email:<32} TOTP secret {secret}  "
                     f"(code now: {pyotp.TOTP(secret).now()})")
    lines.append("Add a TOTP secret to any authenticator app, or run: "
                 ".venv/bin/python -c \"import pyotp; print(pyotp.TOTP('SECRET').now())\"")
    return lines
