"""The erasure list: which cases were erased, and when (ids and times, never content).

It is kept with the keys (the instance folder by default, VOICE_ERASURES_PATH otherwise), not in
the database, so that restoring a backup taken before an erasure cannot bring the child's record
back: `flask --app voice restore` erases again every case on the list. One JSON line is appended
after each erasure commits.
"""
from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from .. import keys


def _path() -> Path:
    return Path(keys.setting("ERASURES_PATH"))


def append(case_id: str, moment: datetime) -> None:
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a") as handle:
        handle.write(json.dumps({"case": case_id, "erased_at": moment.isoformat()}) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def read() -> list[tuple[str, datetime]]:
    """Every recorded erasure, oldest first (a line cut short by a crash is skipped)."""
    try:
        lines = _path().read_text().splitlines()
    except FileNotFoundError:
        return []
    erased = []
    for line in lines:
        try:
            entry = json.loads(line)
            erased.append((entry["case"], datetime.fromisoformat(entry["erased_at"])))
        except (ValueError, KeyError):
            continue
    return erased
