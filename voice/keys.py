"""The service's keys and settings, for domain code that must not know about Flask.

The app factory calls `init_app`; domain modules then ask here for the key-encryption key, the
secret that signs links and the few settings they need, instead of reading the web framework's
configuration themselves.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from .crypto import Keyring, load_kek


@dataclass(frozen=True)
class Keys:
    kek: Keyring        # wraps every case key and the secrets that belong to no case
    secret: bytes       # signs links and cookies
    settings: dict


def init_app(app: Flask) -> None:
    secret = app.config["SECRET_KEY"]
    app.extensions["voice.keys"] = Keys(
        kek=Keyring(load_kek(app.config["KEY_ENCRYPTION_KEY"]),
                    [load_kek(previous)] if (previous := app.config.get("KEY_ENCRYPTION_KEY_PREVIOUS"))
                    else []),
        secret=secret.encode() if isinstance(secret, str) else secret,
        settings=app.config)


def _current() -> Keys:
    return current_app.extensions["voice.keys"]


def kek() -> Keyring:
    return _current().kek


def secret() -> bytes:
    return _current().secret


def setting(name: str, default=None):
    return _current().settings.get(name, default)
