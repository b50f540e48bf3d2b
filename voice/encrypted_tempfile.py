"""A temporary file whose bytes are never on disk in plaintext, for an upload while it is checked.

The bytes are sealed with AES-256-GCM in 64 KiB chunks under a random key that lives only in
this object's memory; each chunk has a fresh nonce and its index as associated data. The file is
created (0600) in the instance folder and unlinked at once, so nothing is left behind on any
path, and if the process dies the space it held is unreadable: its key died with the process.

Reads, writes, seeks and truncation work anywhere in the file, so Pillow, mutagen and the WebM
parser use it like an ordinary file; at most one chunk is in memory, in plaintext. There is
deliberately no `fileno()`: a library that writes to the descriptor itself (Pillow's encoders do
when they can) would write plaintext, so they are made to go through `write`.
"""
from __future__ import annotations

import io
import os
import secrets
import struct
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

CHUNK = 64 * 1024
NONCE = 12
SLOT = NONCE + CHUNK + 16  # nonce, ciphertext, GCM tag


def create() -> EncryptedTempFile:
    """A new encrypted temporary file in the instance folder's `uploads`."""
    return EncryptedTempFile(Path(current_app.config["INSTANCE_PATH"]) / "uploads")


class SeekableFile(io.RawIOBase):
    """What a file read through `read`, with its own position and `_size`, does alike."""

    _position = _size = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        self._checkClosed()
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._checkClosed()
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise OSError("negative seek position")
        self._position = base + offset
        return self._position

    def readall(self) -> bytes:
        return self.read()

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


class EncryptedTempFile(SeekableFile):
    def __init__(self, folder: Path):
        super().__init__()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = folder / secrets.token_hex(16)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        os.unlink(path)
        self._aes = AESGCM(AESGCM.generate_key(bit_length=256))
        self._size = self._position = 0
        self._index: int | None = None  # the chunk held in memory
        self._plain = bytearray()
        self._dirty = False

    def writable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        self._checkClosed()
        end = self._size if size is None or size < 0 else min(self._size, self._position + size)
        pieces = []
        while self._position < end:
            index, offset = divmod(self._position, CHUNK)
            self._load(index)
            # A clean chunk is held as bytes: a read of all of it is that object, not a copy.
            piece = self._plain[offset:offset + end - self._position]
            pieces.append(piece)
            self._position += len(piece)
        return bytes(pieces[0]) if len(pieces) == 1 else b"".join(pieces)

    def read1(self, size: int = -1) -> bytes:
        """At most `size` bytes, not past the end of the chunk they start in: all of a chunk
        read from its start is the decrypted chunk itself, not a copy of it."""
        self._checkClosed()
        room = CHUNK - self._position % CHUNK
        return self.read(room if size is None or size < 0 else min(size, room))

    def write(self, data) -> int:
        self._checkClosed()
        if self._position > self._size:  # writing past the end: the gap reads as zeros
            self._extend(self._position)
        view = memoryview(data).cast("B")
        done = 0
        while done < len(view):
            index, offset = divmod(self._position, CHUNK)
            step = min(CHUNK - offset, len(view) - done)
            if step == CHUNK:  # a whole chunk: sealed straight from the caller's bytes
                if self._index == index:
                    self._index, self._plain, self._dirty = None, b"", False
                self._seal(index, view[done:done + step])
            else:
                self._load(index)
                if not isinstance(self._plain, bytearray):
                    self._plain = bytearray(self._plain)
                self._plain[offset:offset + step] = view[done:done + step]
                self._dirty = True
            done += step
            self._position += step
            self._size = max(self._size, self._position)
        return done

    def truncate(self, size: int | None = None) -> int:
        self._checkClosed()
        size = self._position if size is None else size
        if size > self._size:
            self._extend(size)
        elif size < self._size:
            index, keep = divmod(size, CHUNK)
            if keep:
                self._load(index)
                self._plain = bytearray(self._plain[:keep])
                self._dirty = True
            else:
                self._flush()
                if self._index is not None and self._index >= index:
                    self._index, self._plain = None, bytearray()
            os.ftruncate(self._fd, index * SLOT)
            self._size = size
        return size

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
            self._aes, self._plain, self._index = None, bytearray(), None
        super().close()

    # --- chunks --------------------------------------------------------------------------------

    def _extend(self, size: int) -> None:
        position, self._position = self._position, self._size
        while self._position < size:
            self.write(bytes(min(CHUNK, size - self._position)))
        self._position = position

    def _load(self, index: int) -> None:
        if index == self._index:
            return
        self._flush()
        plain = b""
        if index * CHUNK < self._size:
            blob = os.pread(self._fd, SLOT, index * SLOT)
            try:
                plain = self._aes.decrypt(blob[:NONCE], memoryview(blob)[NONCE:],
                                          struct.pack(">Q", index))
            except InvalidTag as exc:
                raise OSError("the temporary file was changed on disk") from exc
        self._index, self._plain, self._dirty = index, plain, False

    def _flush(self) -> None:
        if self._dirty:
            self._seal(self._index, self._plain)
            self._dirty = False

    def _seal(self, index: int, plain) -> None:
        nonce = os.urandom(NONCE)
        sealed = self._aes.encrypt(nonce, plain, struct.pack(">Q", index))
        written = os.pwritev(self._fd, (nonce, sealed), index * SLOT)
        while written < NONCE + len(sealed):  # a short write: the rest
            written += os.pwrite(self._fd, (nonce + sealed)[written:], index * SLOT + written)
