"""Items sealed on a device to a session's public key: ECDH P-256, HKDF-SHA256, AES-256-GCM.

The device makes a fresh key pair for every item, derives an AES key from the shared secret
(HKDF-SHA256, salt: its own public key, info: what the item is) and seals the item with it, the
same info bound as associated data. A sealed item is the device's public key (65 bytes,
uncompressed point), a 12-byte nonce, then the ciphertext; only the session's private key opens
it, so the device cannot read its own queue. The matching JavaScript is static/js/queue.js.
"""
from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .crypto import Tampered

POINT = 65
NONCE = 12


def new_key_pair() -> tuple[bytes, bytes]:
    """(public key as an uncompressed point, private key as PKCS#8 DER)."""
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(serialization.Encoding.X962,
                                               serialization.PublicFormat.UncompressedPoint)
    return public, private.private_bytes(serialization.Encoding.DER,
                                         serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption())


def info(session_id: str, item_id: str) -> bytes:
    return f"voice:{session_id}:{item_id}".encode()


def _key(private: ec.EllipticCurvePrivateKey, peer_point: bytes, salt: bytes,
         context: bytes) -> AESGCM:
    peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), peer_point)
    shared = private.exchange(ec.ECDH(), peer)
    return AESGCM(HKDF(hashes.SHA256(), 32, salt=salt, info=context).derive(shared))


def open_sealed(private_der: bytes, blob: bytes, context: bytes) -> bytes:
    """The plaintext of a sealed item; Tampered when it is not one sealed for this key and info."""
    if len(blob) < POINT + NONCE + 16:
        raise Tampered("too short")
    private = serialization.load_der_private_key(private_der, password=None)
    try:
        aes = _key(private, blob[:POINT], blob[:POINT], context)
        return aes.decrypt(blob[POINT:POINT + NONCE], blob[POINT + NONCE:], context)
    except (InvalidTag, ValueError) as exc:
        raise Tampered("cannot open") from exc


def seal(public_point: bytes, plaintext: bytes, context: bytes) -> bytes:
    """What a device does (for tests and tools): seal to the session's public key."""
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    point = ephemeral.public_key().public_bytes(serialization.Encoding.X962,
                                                serialization.PublicFormat.UncompressedPoint)
    aes = _key(ephemeral, public_point, point, context)
    nonce = os.urandom(NONCE)
    return point + nonce + aes.encrypt(nonce, plaintext, context)
