"""Settings, read once from environment variables with safe defaults.

Every setting has a VOICE_ prefix in the environment except DATABASE_URL. Secrets that are not
configured are generated on first run into the instance folder with mode 0600.
"""
from __future__ import annotations

import base64
import ipaddress
import os
import secrets
from pathlib import Path


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_file(instance: Path, name: str, nbytes: int) -> str:
    """Read a base64 secret from the instance folder, creating it (0600) when missing."""
    path = instance / name
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True, mode=0o700)
        value = base64.b64encode(secrets.token_bytes(nbytes)).decode()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(value + "\n")
    return path.read_text().strip()


def from_environment(instance_path: str) -> dict:
    instance = Path(os.environ.get("VOICE_INSTANCE_PATH", instance_path))
    development = _bool("VOICE_DEVELOPMENT", False)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'voice.sqlite3'}"
    return {
        "DEVELOPMENT": development,
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": database_url,
        # Where people reach the service (https://...): the base of links in what is sent to
        # panels when no request says it (events made by commands and jobs).
        "BASE_URL": os.environ.get("VOICE_BASE_URL"),
        "MEDIA_PATH": os.environ.get("VOICE_MEDIA_PATH", str(instance / "media")),
        # The list of erased cases, kept with the keys and never in a backup (see erasures.py).
        "ERASURES_PATH": os.environ.get("VOICE_ERASURES_PATH", str(instance / "erasures.log")),
        "SECRET_KEY": os.environ.get("VOICE_SECRET_KEY") or _secret_file(instance, "secret.key", 32),
        "KEY_ENCRYPTION_KEY": os.environ.get("VOICE_KEK") or _secret_file(instance, "kek.key", 32),
        # While `rotate-kek` runs: the key being replaced, which still opens (see the README).
        "KEY_ENCRYPTION_KEY_PREVIOUS": os.environ.get("VOICE_KEK_PREVIOUS") or (
            (instance / "kek.previous.key").read_text().strip()
            if (instance / "kek.previous.key").exists() else None),
        # Cookies are Secure with the __Host- prefix everywhere except plain-HTTP development.
        "SECURE_COOKIES": _bool("VOICE_SECURE_COOKIES", not development),
        "MAX_CONTENT_LENGTH": int(os.environ.get("VOICE_MAX_BODY_BYTES", 30 * 1024 * 1024)),
        "SESSION_IDLE_SECONDS": 30 * 60,
        "SESSION_ABSOLUTE_SECONDS": 12 * 60 * 60,
        "REAUTH_SECONDS": 5 * 60,
        "LOCKOUT_ATTEMPTS": 5,
        "LOCKOUT_SECONDS": 15 * 60,
        "INVITATION_SECONDS": 72 * 60 * 60,
        # Tries per account and per address in RATE_LIMIT_SECONDS, by kind ("account": the email
        # typed, the person asked for a code, the invitation, the child session left with a PIN).
        "RATE_LIMITS": {"sign_in": (10, 50), "code": (10, 50), "invitation": (10, 50), "pin": (10, 30)},
        "RATE_LIMIT_SECONDS": 15 * 60,
        # How many proxies add to X-Forwarded-For in front of gunicorn (0: none, use the peer).
        "PROXY_HOPS": int(os.environ.get("VOICE_PROXY_HOPS", 1)),
        # Argon2id cost; tests lower it to keep the suite quick.
        "ARGON2_TIME_COST": int(os.environ.get("VOICE_ARGON2_TIME_COST", 3)),
        "ARGON2_MEMORY_KIB": int(os.environ.get("VOICE_ARGON2_MEMORY_KIB", 65536)),
        "VAPID_PRIVATE_KEY": os.environ.get("VOICE_VAPID_PRIVATE_KEY"),  # `flask --app voice vapid-keys`
        "VAPID_PUBLIC_KEY": os.environ.get("VOICE_VAPID_PUBLIC_KEY"),
        "VAPID_SUBJECT": os.environ.get("VOICE_VAPID_SUBJECT"),  # mailto: of the operator
        # A killed worker's deliveries are taken again after this many seconds.
        "DELIVERY_LEASE_SECONDS": int(os.environ.get("VOICE_DELIVERY_LEASE_SECONDS", 45)),
        # Seconds between tries, comma-separated (default 30,120,600,3600,21600,43200).
        "DELIVERY_RETRY_DELAYS": tuple(int(v) for v in os.environ.get(
            "VOICE_DELIVERY_RETRY_DELAYS", "").split(",") if v.strip()),
        # /metrics answers direct connections from these addresses or networks (comma-separated),
        # and anyone with the bearer token; everyone else gets 404.
        "METRICS_ALLOW": tuple(ipaddress.ip_network(v.strip()) for v in os.environ.get(
            "VOICE_METRICS_ALLOW", "127.0.0.1,::1").split(",") if v.strip()),
        "METRICS_TOKEN": os.environ.get("VOICE_METRICS_TOKEN") or None,
        # A safety alert nobody acknowledged after this many minutes goes to the org admins.
        "ALERT_ESCALATE_MINUTES": int(os.environ.get("VOICE_ALERT_ESCALATE_MINUTES", 30)),
        "BABEL_DEFAULT_LOCALE": "en",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session that holds it
    }
