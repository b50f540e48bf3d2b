"""Organisations, people, sign-in state, cases and the audit trail."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, DDL, ForeignKey, Index, LargeBinary, String, event, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, new_id, now

PROVIDER, PANEL = "provider", "panel"
ORG_KINDS = (PROVIDER, PANEL)

ICTG, ADVOCATE, PANEL_MEMBER, ORG_ADMIN, SERVICE_ADMIN = (
    "ictg", "advocate", "panel_member", "org_admin", "service_admin")
ROLES = (ICTG, ADVOCATE, PANEL_MEMBER, ORG_ADMIN, SERVICE_ADMIN)
ROLES_BY_KIND = {PROVIDER: (ICTG, ADVOCATE, ORG_ADMIN), PANEL: (PANEL_MEMBER, ORG_ADMIN)}

AGE_BANDS = ("4-7", "8-11", "12-15", "16-17")


class Organisation(Base):
    __tablename__ = "organisation"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    # How long closed cases are kept after the panel date.
    retention_days: Mapped[int] = mapped_column(default=365)
    created_at: Mapped[datetime] = mapped_column(default=now)


class User(Base):
    __tablename__ = "user_account"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary)  # encrypted under the KEK
    totp_last_step: Mapped[int] = mapped_column(default=0)
    failed_sign_ins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    locale: Mapped[str | None] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(default=True)
    # May record read-aloud prompts and translate the panel's message (granted by an org admin).
    interpreter: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Set by the org admin: this person hears of every safety alert of the provider's cases.
    safeguarding_lead: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=now)

    org: Mapped[Organisation | None] = relationship()


class RecoveryCode(Base):
    __tablename__ = "recovery_code"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]


class Invitation(Base):
    __tablename__ = "invitation"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20))
    invited_by_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=now)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    org: Mapped[Organisation] = relationship()


class AuthSession(Base):
    """A signed-in device. Only a hash of the cookie's random id is stored."""

    __tablename__ = "auth_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=now)
    last_seen_at: Mapped[datetime] = mapped_column(default=now)
    reauth_at: Mapped[datetime] = mapped_column(default=now)
    # Set while the device is handed to a child: locks it to one capture session.
    child_session_id: Mapped[str | None] = mapped_column(String(32))

    user: Mapped[User] = relationship()
    # Read with the session itself: one query tells who holds the device and for which child.
    child_session: Mapped["CaptureSession | None"] = relationship(
        primaryjoin="foreign(AuthSession.child_session_id) == CaptureSession.id", viewonly=True)


class Case(Base):
    __tablename__ = "child_case"
    # The case list's order, and the agenda's cases by panel.
    __table_args__ = (Index("ix_child_case_list", "provider_id", "panel_date", "created_at"),
                      Index("ix_child_case_panel_date", "panel_id", "panel_date"))
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    provider_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    panel_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[bytes | None] = mapped_column(LargeBinary)  # encrypted under the case key
    age_band: Mapped[str] = mapped_column(String(10))
    languages: Mapped[list] = mapped_column(JSON, default=list)
    ictg_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    advocate_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    panel_date: Mapped[date | None]
    # The case's data key wrapped by the key-encryption key; None once erased.
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=now)
    closed_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]
    # Legal hold: while set, the case can be neither erased nor purged. The reason, who and when
    # describe the latest change (set or lift); the reason is sealed by the key-encryption key.
    legal_hold: Mapped[bool] = mapped_column(default=False)
    legal_hold_reason: Mapped[bytes | None] = mapped_column(LargeBinary)
    legal_hold_by_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    legal_hold_at: Mapped[datetime | None]
    # The tombstone of an erased case: who decided (None: the retention period ended) and why
    # (sealed by the key-encryption key, so it outlives the case key).
    erased_by_id: Mapped[str | None] = mapped_column(ForeignKey("user_account.id"))
    erase_reason: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The sequence number of the case's latest event for panels (see delivery.service.emit).
    event_sequence: Mapped[int] = mapped_column(default=0, server_default="0")

    provider: Mapped[Organisation] = relationship(foreign_keys=[provider_id])
    panel: Mapped[Organisation] = relationship(foreign_keys=[panel_id])
    ictg: Mapped[User | None] = relationship(foreign_keys=[ictg_id])
    advocate: Mapped[User | None] = relationship(foreign_keys=[advocate_id])


class AuditEvent(Base):
    """Who did what to which record, when, with what outcome. Never the content. Append-only."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=now, index=True)
    actor_id: Mapped[str | None] = mapped_column(String(32), index=True)
    org_id: Mapped[str | None] = mapped_column(String(32), index=True)
    case_id: Mapped[str | None] = mapped_column(String(32), index=True)
    action: Mapped[str] = mapped_column(String(60))
    record_type: Mapped[str | None] = mapped_column(String(40))
    record_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(20))


# The database itself refuses to change or remove audit rows.
AUDIT_TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
        "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$",
        "CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_event "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()",
    ],
}
for _dialect, _statements in AUDIT_TRIGGERS.items():
    for _sql in _statements:
        event.listen(AuditEvent.__table__, "after_create", DDL(_sql).execute_if(dialect=_dialect))
