"""Rotating the key-encryption key: both keys open while it runs, a rotation stopped half way
finishes when run again, and afterwards the new key opens everything and the old one nothing."""
from __future__ import annotations

import base64
import os

import pytest
from sqlalchemy import select

from voice import create_app, db
from voice.auth import service as auth
from voice.crypto import Tampered, load_kek, open_with_kek
from voice.delivery import service as delivery
from voice.models import AuditEvent, Case, User, WebhookEndpoint
from voice.retention import service as retention
from voice.rotation import service as rotation

from .conftest import app_config
from .test_backup import _contents
from .test_review import child_session, endpoint_for


def _secrets(app) -> dict:
    """Every KEK-sealed secret that is not a case's content, opened."""
    with app.app_context():
        session = db.session()
        return {"totp": sorted(auth.totp_secret(u) for u in session.scalars(select(User))),
                "webhooks": sorted(s for e in session.scalars(select(WebhookEndpoint))
                                   for s in delivery.signing_secrets(e)),
                "erase_reasons": sorted(retention.reason(c, "erase_reason")
                                        for c in session.scalars(select(Case))
                                        if c.erase_reason)}


def test_rotation_while_serving_resumes_and_leaves_the_old_key_useless(app, world, tmp_path,
                                                                       database_url, monkeypatch):
    child_session(app, world, "p1")
    endpoint_for(app, world)
    with app.test_request_context():
        retention.erase(world.cases["p2"], None, "The family asked")
        db.commit_unit()
    before, secrets = _contents(app, world.cases["p1"]), _secrets(app)
    old = app.config["KEY_ENCRYPTION_KEY"]
    new = base64.b64encode(os.urandom(32)).decode()
    apps = []

    def with_keys(**keys):
        apps.append(create_app(app_config(tmp_path, database_url, SECRET_KEY=app.config["SECRET_KEY"],
                                          **keys)))
        return apps[-1]

    try:
        both = with_keys(KEY_ENCRYPTION_KEY=new, KEY_ENCRYPTION_KEY_PREVIOUS=old)
        # Without a previous key there is nothing to rotate from.
        result = with_keys(KEY_ENCRYPTION_KEY=new).test_cli_runner().invoke(args=["rotate-kek"])
        assert result.exit_code != 0 and "VOICE_KEK_PREVIOUS" in result.output
        # While both keys are configured everything opens, before and during the rotation.
        assert _contents(both, world.cases["p1"]) == before and _secrets(both) == secrets

        real, calls = rotation.rewrap, []

        def power_cut(*args):
            calls.append(1)
            if len(calls) == 4:
                raise OSError("the machine went down")
            return real(*args)

        monkeypatch.setattr(rotation, "rewrap", power_cut)
        result = both.test_cli_runner().invoke(args=["rotate-kek", "--batch", "2"])
        assert result.exit_code != 0
        assert _contents(both, world.cases["p1"]) == before and _secrets(both) == secrets
        monkeypatch.setattr(rotation, "rewrap", real)
        result = both.test_cli_runner().invoke(args=["rotate-kek", "--batch", "2"])
        assert result.exit_code == 0, result.output
        assert "nothing is left under the previous key" in result.stdout
        again = both.test_cli_runner().invoke(args=["rotate-kek"])
        assert "Re-wrapped 0 values" in again.stdout

        # The new key alone opens everything; the old key opens nothing at all.
        alone = with_keys(KEY_ENCRYPTION_KEY=new)
        assert _contents(alone, world.cases["p1"]) == before and _secrets(alone) == secrets
        old_key, opened = load_kek(old), 0
        with alone.app_context():
            session = db.session()
            for model, name, purpose in rotation.SEALED:
                for row_id, blob in session.execute(select(model.id, getattr(model, name))):
                    if blob is None:
                        continue
                    opened += 1
                    with pytest.raises(Tampered):
                        open_with_kek(old_key, blob, purpose(row_id))
            assert opened > 10
            assert session.scalar(select(AuditEvent).where(AuditEvent.action == "kek.rotate"))
    finally:
        for each in apps:
            each.extensions["voice.engine"].dispose()
