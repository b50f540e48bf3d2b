"""Media files on the filesystem, encrypted under the case key, streamed in and out.

Files live at MEDIA_PATH/<case id>/<file id>; neither id says anything about the child. A write
goes to a temporary file first and is renamed into place, so a half-written file never appears.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator

from flask import current_app

from .crypto import CaseCipher
from .models import new_id

# A file being written is handed to the disk every WRITE_BACK bytes, while the rest is still
# being sealed, so that the closing fsync waits only for the last of it (without this, a 25 MB
# recording's upload took about a fifth longer). Without posix_fadvise, fsync does it all.
WRITE_BACK = 4 * 1024 * 1024


def _root() -> Path:
    return Path(current_app.config["MEDIA_PATH"])


def _path(case_id: str, file_id: str) -> Path:
    if "/" in case_id or "/" in file_id or case_id.startswith(".") or file_id.startswith("."):
        raise ValueError("bad id")
    return _root() / case_id / file_id


def save(cipher: CaseCipher, case_id: str, source: BinaryIO, limit: int | None = None) -> tuple[str, int]:
    """Encrypt source into a new file of the case; returns (file id, plaintext size)."""
    file_id = new_id()
    folder = _root() / case_id
    folder.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as target:
            size = cipher.seal_stream(source, _WrittenBack(target), case_id, f"file:{file_id}",
                                      limit=limit)
            target.flush()
            os.fsync(target.fileno())
        os.replace(temporary, _path(case_id, file_id))
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return file_id, size


class _WrittenBack:
    """A file opened for writing whose bytes the kernel starts writing to disk every WRITE_BACK
    bytes (POSIX_FADV_DONTNEED starts the writeback of those pages; they are not waited for)."""

    def __init__(self, target: BinaryIO):
        self.target, self.written, self.handed = target, 0, 0

    def write(self, data) -> int:
        count = self.target.write(data)
        self.written += count
        if self.written - self.handed >= WRITE_BACK and hasattr(os, "posix_fadvise"):
            self.target.flush()
            os.posix_fadvise(self.target.fileno(), self.handed, self.written - self.handed,
                             os.POSIX_FADV_DONTNEED)
            self.handed = self.written
        return count


def read(cipher: CaseCipher, case_id: str, file_id: str) -> Iterator[bytes]:
    """Decrypted chunks of a stored file."""
    with open(_path(case_id, file_id), "rb") as source:
        yield from cipher.open_stream(source, case_id, f"file:{file_id}")


def read_all(cipher: CaseCipher, case_id: str, file_id: str) -> bytes:
    return b"".join(read(cipher, case_id, file_id))


def delete(case_id: str, file_id: str) -> None:
    _path(case_id, file_id).unlink(missing_ok=True)


def delete_case(case_id: str) -> None:
    """Remove every file of a case (after its key is destroyed)."""
    folder = _root() / case_id
    if folder.is_dir() and "/" not in case_id:
        shutil.rmtree(folder)
