"""Password rules and hashing (Argon2id)."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn

MIN, MAX = 12, 128


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(time_cost=config["ARGON2_TIME_COST"],
                          memory_cost=config["ARGON2_MEMORY_KIB"])


def problem(password: str, user_inputs: list[str] = ()) -> str | None:
    """Why this password may not be used, or None."""
    if len(password) < MIN:
        return _l("Password must be at least 12 characters")
    if len(password) > MAX:
        return _l("Password must be 128 characters or fewer")
    if zxcvbn(password, user_inputs=list(user_inputs))["score"] < 3:
        return _l("Password is too common or easy to guess; try a few unrelated words together")
    return None


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def dummy_verify(password: str) -> None:
    """As much work as checking a real account's password, for when there is none to check.

    The hash is made once per Argon2 cost, so that an unknown email, or an account that is
    turned off or locked, takes one Argon2 verification, as a wrong password does.
    """
    config = current_app.config
    cost = (config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_KIB"])
    if cost not in _DUMMY:
        _DUMMY[cost] = hash_password("not a real password at all")
    verify(_DUMMY[cost], password)


_DUMMY: dict[tuple[int, int], str] = {}
