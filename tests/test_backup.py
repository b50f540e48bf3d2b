"""Backups that restore: backup, wipe, restore into an empty instance with the same key; a case
erased after the backup stays erased; a damaged backup is refused."""
from __future__ import annotations

import base64
import hashlib
import json
import shutil

import pytest
from sqlalchemy import create_engine, func, inspect, select, text

from voice import create_app, db, storage
from voice.cases import service as cases
from voice.crypto import KeyDestroyed
from voice.models import AnswerVersion, Case
from voice.retention import service as retention

from .conftest import app_config
from .test_review import child_session


def _contents(app, case_id) -> dict:
    """Everything of the case, opened: its name, its words and its media (as checksums)."""
    with app.app_context():
        case = db.session().get(Case, case_id)
        cipher = cases.cipher(case)
        versions = db.session().scalars(select(AnswerVersion).where(
            AnswerVersion.case_id == case_id)).all()
        return {"name": cipher.open_text(case.id, "name", case.name),
                "words": sorted(cipher.open(v.id, "value", v.value) for v in versions if v.value),
                "media": sorted(hashlib.sha256(storage.read_all(cipher, case_id, v.media_file_id))
                                .hexdigest() for v in versions if v.media_file_id)}


def _empty_database(backend, tmp_path, pg_server) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    admin = create_engine(pg_server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE voice_restored"))
    admin.dispose()
    return pg_server.url("voice_restored")


def test_backup_wipe_restore_and_an_erasure_made_since_stays(app, world, backend, tmp_path,
                                                              pg_server):
    child_session(app, world, "p1")
    child_session(app, world, "p2")
    before = {key: _contents(app, world.cases[key]) for key in ("p1", "p2")}
    assert before["p1"]["media"] and before["p1"]["words"]
    runner = app.test_cli_runner()
    folder = tmp_path / "backup"
    result = runner.invoke(args=["backup", str(folder)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["backend"] == backend
    assert sum(name.startswith("media/") for name in manifest["files"]) == 8  # 4 media per case
    kek = app.config["KEY_ENCRYPTION_KEY"]
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert kek.encode() not in data and base64.b64decode(kek) not in data
    # A second backup never writes over the first.
    assert runner.invoke(args=["backup", str(folder)]).exit_code != 0

    # After the backup, the second child's record is erased.
    with app.test_request_context():
        assert retention.erase(world.cases["p2"], None, "The family asked")
        db.commit_unit()
    erased_list = (tmp_path / "instance" / "erasures.log").read_text()
    assert world.cases["p2"] in erased_list and "family" not in erased_list

    # The database and the media are lost; the keys and the erasure list are not.
    app.extensions["voice.engine"].dispose()
    shutil.rmtree(app.config["MEDIA_PATH"])
    config = app_config(tmp_path, _empty_database(backend, tmp_path, pg_server),
                        KEY_ENCRYPTION_KEY=kek, SECRET_KEY=app.config["SECRET_KEY"])
    restored = create_app(config)
    try:
        runner = restored.test_cli_runner()
        damaged = tmp_path / "damaged"
        shutil.copytree(folder, damaged)
        victim = next(p for p in (damaged / "media").rglob("*") if p.is_file())
        victim.write_bytes(victim.read_bytes()[:-1] + b"\0")
        result = runner.invoke(args=["restore", str(damaged)])
        assert result.exit_code != 0 and "does not match its checksum" in result.output
        with restored.app_context():
            assert inspect(db.engine()).get_table_names() == []

        result = runner.invoke(args=["restore", str(folder)])
        assert result.exit_code == 0, result.output
        assert "1 cases erased since the backup were erased again" in result.stdout
        assert _contents(restored, world.cases["p1"]) == before["p1"]
        with restored.app_context():
            case = db.session().get(Case, world.cases["p2"])
            assert case.erased_at is not None and case.wrapped_key is None and case.name is None
            with pytest.raises(KeyDestroyed):
                cases.cipher(case)
            assert db.session().scalar(select(func.count()).select_from(AnswerVersion).where(
                AnswerVersion.case_id == case.id)) == 0
        assert not (tmp_path / "media" / world.cases["p2"]).exists()
        # Restoring again into what is now a full instance is refused.
        result = runner.invoke(args=["restore", str(folder)])
        assert result.exit_code != 0 and "not empty" in result.output
    finally:
        restored.extensions["voice.engine"].dispose()
