"""Sign-in, two-factor codes, recovery codes and invitations: the domain logic behind auth views."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import pyotp
import segno
from sqlalchemy import select

from .. import audit, db, keys
from ..crypto import open_with_kek, seal_with_kek
from ..models import Invitation, RecoveryCode, User, now
from . import passwords

ISSUER = "voice"


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session().scalar(select(User).where(User.email == normalise_email(email)))


def is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > now()


def locked_since(user: User, moment) -> bool:
    """Whether the account was locked after too many wrong tries at or after `moment`."""
    if user.locked_until is None:
        return False
    seconds = keys.setting("LOCKOUT_SECONDS")
    return user.locked_until - timedelta(seconds=seconds) >= moment


def note_failure(user: User) -> None:
    """Count a failed sign-in; the fifth in a row locks the account for 15 minutes."""
    user.failed_sign_ins += 1
    if user.failed_sign_ins >= keys.setting("LOCKOUT_ATTEMPTS"):
        user.locked_until = now() + timedelta(seconds=keys.setting("LOCKOUT_SECONDS"))
        user.failed_sign_ins = 0
        audit.record("account.locked", user, audit.OK, actor_id=user.id, org_id=user.org_id)


def check_password(email: str, password: str) -> User | None:
    """The person when email and password match and the account is usable, else None.

    Unknown email, wrong password and locked account all answer None, after the same work.
    """
    user = find_user(email)
    if user is None or not user.active:
        passwords.dummy_verify(password)
        return None
    if is_locked(user):
        passwords.dummy_verify(password)
        return None
    if not passwords.verify(user.password_hash, password):
        note_failure(user)
        return None
    return user


# --- TOTP ------------------------------------------------------------------------------------

def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_qr_svg(user: User, secret: str) -> str:
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return segno.make(uri, error="m").svg_inline(scale=5, title="QR code for your authenticator app")


def totp_secret(user: User) -> str | None:
    if user.totp_secret is None:
        return None
    return open_with_kek(keys.kek(), user.totp_secret, f"totp:{user.id}").decode()


def save_totp_secret(user: User, secret: str) -> None:
    user.totp_secret = seal_with_kek(keys.kek(), secret.encode(), f"totp:{user.id}")


def verify_totp(user: User, secret: str, code: str) -> bool:
    """A code from the current or neighbouring 30-second step, never one used before."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now())
    for step in (current - 1, current, current + 1):
        if step > user.totp_last_step and secrets.compare_digest(totp.generate_otp(step), code):
            user.totp_last_step = step
            return True
    return False


def new_recovery_codes(user: User) -> list[str]:
    session = db.session()
    for old in session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        session.delete(old)
    codes = ["-".join(secrets.token_hex(3) for _ in range(2)) for _ in range(10)]
    for code in codes:
        session.add(RecoveryCode(user_id=user.id, code_hash=_sha256(code)))
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    code = code.strip().lower()
    row = db.session().scalar(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _sha256(code),
        RecoveryCode.used_at.is_(None)))
    if row is None:
        return False
    row.used_at = now()
    return True


def second_factor_ok(user: User, code: str) -> bool:
    secret = totp_secret(user)
    return bool(secret) and (verify_totp(user, secret, code) or use_recovery_code(user, code))


# --- invitations -----------------------------------------------------------------------------

def invite(org, email: str, role: str, invited_by: User | None) -> str:
    """Create an invitation and return its one-time token (only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    hours = keys.setting("INVITATION_SECONDS")
    invitation = Invitation(token_hash=_sha256(token), org_id=org.id, email=normalise_email(email),
                            role=role, invited_by_id=invited_by.id if invited_by else None,
                            expires_at=now() + timedelta(seconds=hours))
    db.session().add(invitation)
    audit.record("invitation.create", invitation, org_id=org.id)
    return token


def open_invitation(token: str) -> Invitation | None:
    """The invitation when the token is known, unused and not expired."""
    row = db.session().scalar(select(Invitation).where(Invitation.token_hash == _sha256(token)))
    if row is None or row.used_at is not None or row.expires_at <= now():
        return None
    return row


def accept_invitation(invitation: Invitation, display_name: str, password: str) -> User:
    invitation.used_at = now()
    user = User(org_id=invitation.org_id, email=invitation.email, display_name=display_name.strip(),
                role=invitation.role, password_hash=passwords.hash_password(password))
    db.session().add(user)
    db.session().flush()
    audit.record("account.create", user, actor_id=user.id, org_id=user.org_id)
    return user
