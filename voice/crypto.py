"""Encryption at rest.

Every case has its own random 256-bit data key, stored wrapped (AES-256-GCM) by the
key-encryption key (KEK). Each value is sealed with AES-256-GCM under the case key with a fresh
96-bit nonce and the record id and field name bound as associated data, so a value cannot be
moved to another record or field. Files are sealed in 64 KiB chunks so they stream. Destroying
the wrapped key makes everything of the case unreadable (crypto-erasure).
"""
from __future__ import annotations

import base64
import os
import struct
from typing import BinaryIO, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = b"\x01"
NONCE = 12
CHUNK = 64 * 1024


class KeyDestroyed(Exception):
    """The case's data key is gone: its content can never be read again."""


class Tampered(Exception):
    """A sealed value failed authentication."""


def load_kek(value: str) -> bytes:
    key = base64.b64decode(value)
    if len(key) != 32:
        raise ValueError("the key-encryption key must be 32 bytes, base64-encoded")
    return key


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE)
    return VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, blob: bytes, aad: bytes) -> bytes:
    if not blob or blob[:1] != VERSION:
        raise Tampered("unknown format")
    for candidate in (key, *getattr(key, "previous", ())):
        try:
            return AESGCM(candidate).decrypt(blob[1:1 + NONCE], blob[1 + NONCE:], aad)
        except InvalidTag:
            continue
    raise Tampered("authentication failed")


class Keyring(bytes):
    """The key-encryption key (these bytes: they seal) and, while `rotate-kek` runs, the previous
    key, which still opens what it sealed."""

    previous: tuple[bytes, ...] = ()

    def __new__(cls, current: bytes, previous=()):
        ring = super().__new__(cls, current)
        ring.previous = tuple(previous)
        return ring


def rewrap(ring: Keyring, blob: bytes, purpose: str) -> bytes | None:
    """The blob sealed under the ring's current key, or None when it already is."""
    aad = b"voice:" + purpose.encode()
    try:
        _open(bytes(ring), blob, aad)
        return None
    except Tampered:
        return _seal(bytes(ring), _open(ring, blob, aad), aad)


def seal_with_kek(kek: bytes, plaintext: bytes, purpose: str) -> bytes:
    """Values that belong to no case (a person's TOTP secret) are sealed by the KEK itself."""
    return _seal(kek, plaintext, b"voice:" + purpose.encode())


def open_with_kek(kek: bytes, blob: bytes, purpose: str) -> bytes:
    return _open(kek, blob, b"voice:" + purpose.encode())


def case_key_purpose(case_id: str) -> str:
    return f"case-key:{case_id}"


def new_wrapped_key(kek: bytes, case_id: str) -> bytes:
    return seal_with_kek(kek, AESGCM.generate_key(bit_length=256), case_key_purpose(case_id))


class CaseCipher:
    """Seals and opens the content of one case."""

    def __init__(self, kek: bytes, case_id: str, wrapped_key: bytes | None):
        if wrapped_key is None:
            raise KeyDestroyed(case_id)
        self._key = open_with_kek(kek, wrapped_key, case_key_purpose(case_id))

    @staticmethod
    def _aad(record_id: str, field: str) -> bytes:
        return f"voice:{record_id}:{field}".encode()

    def seal(self, record_id: str, field: str, value: str | bytes) -> bytes:
        data = value.encode() if isinstance(value, str) else value
        return _seal(self._key, data, self._aad(record_id, field))

    def open(self, record_id: str, field: str, blob: bytes) -> bytes:
        return _open(self._key, blob, self._aad(record_id, field))

    def open_text(self, record_id: str, field: str, blob: bytes | None) -> str | None:
        return None if blob is None else self.open(record_id, field, blob).decode()

    def seal_stream(self, source: BinaryIO, target: BinaryIO, record_id: str, field: str,
                    limit: int | None = None) -> int:
        """Encrypt source into target chunk by chunk; returns the plaintext size.

        Each chunk's associated data carries its index and whether it is the last, so chunks
        cannot be reordered, dropped or the file truncated without detection.
        """
        aad = self._aad(record_id, field)
        aes = AESGCM(self._key)
        size, index = 0, 0
        chunk = source.read(CHUNK)
        target.write(VERSION)
        while True:
            following = source.read(CHUNK) if chunk else b""
            size += len(chunk)
            if limit is not None and size > limit:
                raise ValueError("too large")
            last = not following
            nonce = os.urandom(NONCE)
            sealed = aes.encrypt(nonce, chunk, aad + struct.pack(">QB", index, last))
            target.write(struct.pack(">I", len(sealed)) + nonce)
            target.write(sealed)
            if last:
                return size
            chunk, index = following, index + 1

    def open_stream(self, source: BinaryIO, record_id: str, field: str) -> Iterator[bytes]:
        aad = self._aad(record_id, field)
        aes = AESGCM(self._key)
        if source.read(1) != VERSION:
            raise Tampered("unknown format")
        index = 0
        while True:
            header = source.read(4)
            if len(header) != 4:
                raise Tampered("truncated")
            (length,) = struct.unpack(">I", header)
            nonce, sealed = source.read(NONCE), source.read(length)
            peek = source.read(1)
            last = not peek
            try:
                yield aes.decrypt(nonce, sealed, aad + struct.pack(">QB", index, last))
            except InvalidTag as exc:
                raise Tampered("authentication failed") from exc
            if last:
                return
            source.seek(-1, os.SEEK_CUR)
            index += 1
