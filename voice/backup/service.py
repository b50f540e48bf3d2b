"""Backup and restore: the database, the encrypted media and a manifest of SHA-256 checksums.

A backup is taken while the service runs: SQLite through its online backup API, PostgreSQL with
`pg_dump` (custom format), then the media folder, which holds only ciphertext. The keys are
never in a backup: without the key-encryption key a backup opens nothing, and the key must be
kept elsewhere (see the README, "Running in production").

A restore goes into an empty instance (no tables, no media) that has the same key, checks every
checksum first, and then erases again every case the erasure list (kept with the keys) names:
a child erased after the backup was taken stays erased.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from .. import db, keys
from ..retention import erasures
from ..retention import service as retention

MANIFEST = "manifest.json"
SQLITE_FILE, PG_FILE, MEDIA = "database.sqlite3", "database.dump", "media"


class BackupProblem(Exception):
    """The backup cannot be taken or restored; the message says why."""


def pg_binary(name: str) -> str:
    """A PostgreSQL client program: on the PATH, or the newest in Debian's versioned folders."""
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise BackupProblem(f"PostgreSQL's {name} is not installed (Debian: apt-get install postgresql)")


def _pg_environment(url: str) -> dict:
    """libpq's variables for the database URL (the password stays out of the command line)."""
    parts = make_url(url)
    values = {"PGHOST": parts.host or parts.query.get("host"), "PGPORT": parts.port,
              "PGUSER": parts.username, "PGPASSWORD": parts.password, "PGDATABASE": parts.database}
    return {**os.environ, **{k: str(v) for k, v in values.items() if v}}


def _run(command: list[str], url: str) -> None:
    done = subprocess.run(command, env=_pg_environment(url), capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupProblem(f"{Path(command[0]).name} failed: {done.stderr.strip()}")


def _sqlite_copy(source_file, target_file) -> None:
    """SQLite's online backup: a consistent copy while others read and write."""
    source, target = sqlite3.connect(source_file), sqlite3.connect(target_file)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _media_files(root: Path):
    """Stored files, without the half-written ones (".incoming-...")."""
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                yield path


def backup(folder: Path) -> dict:
    """Write a consistent copy into an empty or new folder; returns the manifest."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise BackupProblem(f"{folder} is not empty")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    url = keys.setting("DATABASE_URL")
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        _sqlite_copy(make_url(url).database, folder / SQLITE_FILE)
    else:
        _run([pg_binary("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
              f"--file={folder / PG_FILE}"], url)
    # After the database: a file the dump names was written before it (files are stored before
    # their row commits); one written since is left over, harmless, without a row.
    media = Path(keys.setting("MEDIA_PATH"))
    for path in _media_files(media):
        copy = folder / MEDIA / path.relative_to(media)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, copy)
    manifest = {"format": 1, "backend": backend,
                "created_at": datetime.now(timezone.utc).isoformat(),
                "files": {str(p.relative_to(folder)): _sha256(p)
                          for p in sorted(folder.rglob("*")) if p.is_file()}}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def verify(folder: Path) -> dict:
    """The manifest, once every file it lists is there with its checksum."""
    try:
        manifest = json.loads((Path(folder) / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupProblem(f"no readable {MANIFEST} in {folder}") from error
    for name, checksum in manifest["files"].items():
        path = Path(folder) / name
        if not path.is_file() or _sha256(path) != checksum:
            raise BackupProblem(f"{name} is missing or does not match its checksum")
    return manifest


def restore(folder: Path) -> int:
    """Restore into this empty instance; returns how many cases were erased again."""
    folder = Path(folder)
    manifest = verify(folder)
    url = keys.setting("DATABASE_URL")
    backend = make_url(url).get_backend_name()
    if manifest["backend"] != backend:
        raise BackupProblem(f"the backup is of {manifest['backend']}, this instance uses {backend}")
    media = Path(keys.setting("MEDIA_PATH"))
    if inspect(db.engine()).get_table_names() or any(_media_files(media)):
        raise BackupProblem("this instance is not empty: restore into an empty database and media folder")
    db.engine().dispose()
    if backend == "sqlite":
        _sqlite_copy(folder / SQLITE_FILE, make_url(url).database)
    else:
        _run([pg_binary("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
              f"--dbname={_pg_environment(url)['PGDATABASE']}", str(folder / PG_FILE)], url)
    for name in manifest["files"]:
        if name.startswith(MEDIA + "/"):
            target_path = media / Path(name).relative_to(MEDIA)
            target_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(folder / name, target_path)
    erased = 0
    for case_id, moment in erasures.read():
        erased += retention.erase_again(case_id, moment)
        db.commit_unit()
    return erased
