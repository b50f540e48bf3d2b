"""Content is encrypted at rest: the raw database and media folder never hold it in plain text."""
from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest

from voice import db, storage
from voice.cases import service as cases
from voice.crypto import KeyDestroyed, Tampered, load_kek
from voice.models import Case

NAME = "SENTINEL-NAME-7f3a91"
FILE = b"SENTINEL-FILE-CONTENT-" + bytes(range(256)) * 700  # several chunks


def _raw_database(app, backend, pg_server, database_url) -> bytes:
    if backend == "sqlite":
        with app.app_context():
            db.engine().dispose()
        path = Path(database_url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    dbname = database_url.rsplit("/", 1)[1]
    pg_dump = shutil.which("pg_dump") or next(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))
    return subprocess.run([str(pg_dump), "-h", "127.0.0.1", "-p", str(pg_server.port), "-U",
                           pg_server.user, dbname], check=True, capture_output=True).stdout


def test_sentinels_are_not_in_the_raw_database_or_media(app, world, backend, pg_server, database_url, tmp_path):
    with app.app_context():
        case = db.session().get(Case, world.cases["p1"])
        cipher = cases.cipher(case)
        case.name = cipher.seal(case.id, "name", NAME)
        file_id, size = storage.save(cipher, case.id, io.BytesIO(FILE))
        db.session().commit()
        assert size == len(FILE)
        assert storage.read_all(cases.cipher(case), case.id, file_id) == FILE
        assert cases.name(case) == NAME
    raw = _raw_database(app, backend, pg_server, database_url)
    assert NAME.encode() not in raw and b"Child of p1" not in raw
    assert len(raw) > 10_000  # we did read the real thing
    media = b"".join(p.read_bytes() for p in Path(app.config["MEDIA_PATH"]).rglob("*") if p.is_file())
    assert len(media) > len(FILE)
    assert b"SENTINEL" not in media


def test_values_are_bound_to_their_record_and_field(app, world):
    with app.app_context():
        case = db.session().get(Case, world.cases["p1"])
        cipher = cases.cipher(case)
        sealed = cipher.seal(case.id, "name", "Amira")
        assert cipher.open(case.id, "name", sealed) == b"Amira"
        assert sealed != cipher.seal(case.id, "name", "Amira")  # fresh nonce each time
        with pytest.raises(Tampered):
            cipher.open(case.id, "other-field", sealed)
        with pytest.raises(Tampered):
            cipher.open(world.cases["p2"], "name", sealed)
        other = cases.cipher(db.session().get(Case, world.cases["p2"]))
        with pytest.raises(Tampered):
            other.open(case.id, "name", sealed)


def test_destroying_the_case_key_makes_content_unreadable(app, world):
    with app.app_context():
        case = db.session().get(Case, world.cases["p1"])
        storage.save(cases.cipher(case), case.id, io.BytesIO(FILE))
        case.wrapped_key = None
        db.session().commit()
        with pytest.raises(KeyDestroyed):
            cases.cipher(case)


def test_truncated_or_reordered_files_are_refused(app, world):
    with app.app_context():
        case = db.session().get(Case, world.cases["p1"])
        cipher = cases.cipher(case)
        file_id, _ = storage.save(cipher, case.id, io.BytesIO(FILE))
        path = Path(app.config["MEDIA_PATH"]) / case.id / file_id
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
        with pytest.raises(Tampered):
            storage.read_all(cipher, case.id, file_id)


def test_kek_and_secret_key_are_generated_0600(tmp_path, monkeypatch):
    from voice import settings

    monkeypatch.delenv("VOICE_KEK", raising=False)
    monkeypatch.delenv("VOICE_SECRET_KEY", raising=False)
    monkeypatch.setenv("VOICE_INSTANCE_PATH", str(tmp_path / "inst"))
    config = settings.from_environment(str(tmp_path / "unused"))
    for name in ("kek.key", "secret.key"):
        path = tmp_path / "inst" / name
        assert path.stat().st_mode & 0o777 == 0o600
    assert len(load_kek(config["KEY_ENCRYPTION_KEY"])) == 32
    assert settings.from_environment(str(tmp_path))["KEY_ENCRYPTION_KEY"] == config["KEY_ENCRYPTION_KEY"]
