"""The service's keys and settings, for domain code that must not know about Flask.

The app factory calls `init_app`; domain modules then ask here for the key-encryption key, the
secret that signs links and the few settings they need, instead of reading the web framework's
configuration themselves.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from .crypto import load_kek


@dataclass(frozen=True)
class Keys:
    kek: bytes          # wraps every case key and the secrets that belong to no case
    secret: bytes       # signs links and cookies
    settings: dict


def init_app(app: Flask) -> None:
    secret = app.config["SECRET_KEY"]
    app.extensions["voice.keys"] = Keys(
        kek=load_kek(app.config["KEY_ENCRYPTION_KEY"]),
        secret=secret.encode() if isinstance(secret, str) else secret,
        settings=app.config)


def _current() -> Keys:
    return current_app.extensions["voice.keys"]


def kek() -> bytes:
    return _current().kek


def secret() -> bytes:
    return _current().secret


def setting(name: str, default=None):
    return _current().settings.get(name, default)
