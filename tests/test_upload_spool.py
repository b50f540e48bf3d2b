"""A child's photo or recording is never on disk in plaintext, not even while it is checked.

Uploads are spooled by the form parser into encrypted temporary files in the instance folder
(random key in memory only, unlinked at once), checked and cleaned through such files, and
sealed into storage; nothing is left open or on disk afterwards, whatever the outcome.
"""
from __future__ import annotations

import io
import os
import random
import stat
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from voice import db, storage
from voice.cases.service import cipher
from voice.capture import media
from voice.encrypted_tempfile import CHUNK, EncryptedTempFile
from voice.models import Case

from .conftest import csrf_token
from .test_capture import give_consent, media_files, start_session, step_url, versions, webm

# Any plaintext JPEG as Pillow writes it (the cleaned photo starts like this).
JPEG_START = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"


def _open_files() -> dict[str, str]:
    """This process's open regular files, unlinked ones too: {/proc/self/fd/N: target}."""
    found = {}
    for fd in os.listdir("/proc/self/fd"):
        link = f"/proc/self/fd/{fd}"
        try:
            if stat.S_ISREG(os.stat(link).st_mode):
                found[link] = os.readlink(link)
        except OSError:
            continue
    return found


def _contents(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:  # gone meanwhile, or not ours to read
        return b""


def _on_disk(sentinel: bytes, since: float, own: tuple[str, ...]) -> list[str]:
    """Files changed since `since` holding the sentinel in the system temp folders and the app's
    own folders (in those, any plaintext JPEG too)."""
    hits = []
    for folder in {tempfile.gettempdir(), "/tmp", "/var/tmp", *own}:
        for root, dirs, files in os.walk(folder):
            if "PG_VERSION" in files:  # a database server's data (the raw database is checked elsewhere)
                dirs[:] = []
                continue
            for name in files:
                path = os.path.join(root, name)
                try:
                    info = os.lstat(path)
                except OSError:
                    continue
                if not stat.S_ISREG(info.st_mode) or info.st_mtime < since:
                    continue
                data = _contents(path)
                needles = (sentinel, JPEG_START) if path.startswith(own) else (sentinel,)
                hits += [f"{path}: {needle!r}" for needle in needles if needle in data]
    return hits


def _plaintext(app, sentinel: bytes, since: float) -> tuple[list[str], list[str]]:
    """Where the sentinel (or any plaintext JPEG) is on disk: see _on_disk, and every file this
    process holds open, unlinked ones too. Returns (hits, the upload spool files seen open)."""
    hits = _on_disk(sentinel, since, (app.config["INSTANCE_PATH"], app.config["MEDIA_PATH"]))
    spools = []
    for link, target in _open_files().items():
        data = _contents(link)
        hits += [f"open file {target}: {needle!r}" for needle in (sentinel, JPEG_START)
                 if needle in data]
        if target.startswith(str(Path(app.config["INSTANCE_PATH"]) / "uploads")):
            spools.append(target)
    return hits, spools


def _post(client, session_id, step_id, content: bytes, filename: str, form=None):
    """Post a file the way the page does, encoded in memory (the test client would otherwise
    spool a large body to a plaintext temporary file of its own)."""
    url = step_url(session_id, step_id)
    fields = {"csrf_token": csrf_token(client, url + (f"?form={form}" if form else "")),
              **({"form": form} if form else {}),
              "file": FileStorage(io.BytesIO(content), filename=filename)}
    boundary, body = encode_multipart(fields)
    del fields, content
    return client.post(url, input_stream=io.BytesIO(body), content_length=len(body),
                       content_type=f"multipart/form-data; boundary={boundary}")


def _photo(sentinel: bytes) -> bytes:
    """A JPEG over 500 KB (noise) with the sentinel in its EXIF, its comment and after its end."""
    image = Image.frombytes("RGB", (700, 700), random.Random(1).randbytes(700 * 700 * 3))
    exif = Image.Exif()
    exif[0x010F] = sentinel.decode()
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, exif=exif, comment=sentinel)
    return buffer.getvalue() + b"\0" * 64 + sentinel


def _recording(sentinel: bytes, seconds: int = 30, repeat: int = 80) -> bytes:
    """A WebM/Opus recording (over 500 KB as it is) whose audio frames carry the sentinel."""
    return webm(seconds, frame=(sentinel + bytes(range(256))) * repeat)


def _spooled_files(app) -> list[str]:
    folder = Path(app.config["INSTANCE_PATH"]) / "uploads"
    on_disk = [p.name for p in folder.iterdir()] if folder.exists() else []
    return on_disk + [target for target in _open_files().values() if target.startswith(str(folder))]


def test_a_childs_photo_and_recording_never_touch_disk_in_plaintext(app, client, world, monkeypatch):
    sentinel = f"CHILD-MEDIA-{uuid.uuid4().hex}".encode()
    photo, recording = _photo(sentinel), _recording(sentinel)
    too_long = _recording(sentinel, 700, repeat=2)
    assert len(photo) > 500_000 and len(recording) > 500_000
    session_id = start_session(app, client, world, language="en")
    give_consent(client, session_id)
    since = time.time() - 1
    scans = []

    def scanning(original):
        def hooked(*args, **kwargs):
            scans.append((original.__name__, *_plaintext(app, sentinel, since)))
            return original(*args, **kwargs)
        return hooked

    # Scan while the upload is being checked (as the picture is opened, as the recording's
    # length is judged) and just before it is sealed into storage.
    monkeypatch.setattr(Image, "open", scanning(Image.open))
    monkeypatch.setattr(media, "_check_seconds", scanning(media._check_seconds))
    monkeypatch.setattr(storage, "save", scanning(storage.save))

    assert _post(client, session_id, "matters-photo", photo, "IMG_0001.jpg").status_code == 302
    assert _post(client, session_id, "feel-more", recording, "voice.webm").status_code == 302
    refused = _post(client, session_id, "worries", too_long, "voice.webm", form="voice")
    assert refused.status_code == 400 and "longer than 10 minutes" in refused.text

    seen = [name for name, _hits, _spools in scans]
    assert seen.count("open") >= 2 and seen.count("_check_seconds") == 2 and seen.count("save") == 2
    for name, hits, spools in scans:
        assert hits == [], (name, hits)
        assert spools, name  # the scan saw the (encrypted) upload being checked
    hits, _spools = _plaintext(app, sentinel, since)
    assert hits == []
    assert _spooled_files(app) == []
    assert [v.form for v in versions(app)] == ["photo", "voice"] and len(media_files(app)) == 2


def test_spooled_files_are_gone_after_success_refusal_and_error(app, client, world, monkeypatch):
    session_id = start_session(app, client, world)
    give_consent(client, session_id)
    recording = _recording(b"x")
    assert _post(client, session_id, "feel-more", recording, "voice.webm").status_code == 302
    assert _spooled_files(app) == []
    assert _post(client, session_id, "matters-photo", b"not a picture" * 50_000,
                 "p.jpg").status_code == 400
    assert _spooled_files(app) == []

    def broken(*_args, **_kwargs):
        raise RuntimeError("the disk is full")
    monkeypatch.setattr(storage, "save", broken)
    assert _post(client, session_id, "worries", recording, "voice.webm", form="voice").status_code == 500
    assert _spooled_files(app) == []
    assert len(versions(app)) == 1


CRASH = """
import io, os, sys
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart
from voice import create_app
from voice.capture import media
from tests.conftest import app_config
from tests.test_upload_spool import _recording
from pathlib import Path

app = create_app(app_config(Path(sys.argv[1]), "sqlite://"))
boundary, body = encode_multipart(
    {"file": FileStorage(io.BytesIO(_recording(sys.argv[2].encode())), filename="v.webm")})
media._check_seconds = lambda seconds: os._exit(3)  # the process dies in the middle of the check
with app.test_request_context("/", method="POST", input_stream=io.BytesIO(body),
                              content_length=len(body),
                              content_type=f"multipart/form-data; boundary={boundary}"):
    from flask import request
    media.clean_audio(request.files["file"].stream)
"""


def test_a_crash_while_checking_leaves_nothing_readable(tmp_path):
    sentinel = f"CHILD-MEDIA-{uuid.uuid4().hex}"
    since = time.time() - 1
    root = Path(__file__).resolve().parent.parent
    died = subprocess.run([sys.executable, "-c", CRASH, str(tmp_path), sentinel], cwd=root,
                          capture_output=True, text=True, timeout=120)
    assert died.returncode == 3, died.stderr
    assert _on_disk(sentinel.encode(), since, (str(tmp_path),)) == []
    uploads = tmp_path / "instance" / "uploads"
    assert uploads.is_dir() and list(uploads.iterdir()) == []


def test_a_25_mb_recording_is_checked_in_bounded_memory_and_kept_whole(app, client, world):
    session_id = start_session(app, client, world)
    give_consent(client, session_id)
    recording = webm(590, frame=bytes(43_500))
    assert 25_000_000 < len(recording) <= media.AUDIO_MAX_BYTES
    url = step_url(session_id, "feel-more")
    boundary, body = encode_multipart({"csrf_token": csrf_token(client, url),
                                       "file": FileStorage(io.BytesIO(recording), filename="v.webm")})
    del recording
    stream = io.BytesIO(body)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        response = client.post(url, input_stream=stream, content_length=len(body),
                               content_type=f"multipart/form-data; boundary={boundary}")
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert response.status_code == 302
    [version] = versions(app)
    assert version.media_seconds == pytest.approx(590) and version.media_bytes > 25_000_000
    assert peak < 16 * 1024 * 1024, f"peak memory grew by {peak / 1e6:.1f} MB"
    # What is kept is the recording from its tracks on, every block of it, behind a new head
    # (written to disk a few MiB at a time as it was sealed: storage.WRITE_BACK).
    recording = webm(590, frame=bytes(43_500))
    tracks = recording[recording.index(bytes.fromhex("1654ae6b")):]
    with app.app_context():
        case = db.session().get(Case, world.cases["p1"])
        kept = storage.read_all(cipher(case), case.id, version.media_file_id)
    assert len(kept) == version.media_bytes and kept.endswith(tracks)
    assert len(tracks) > 5 * storage.WRITE_BACK


def test_a_ten_minute_recording_of_small_blocks_is_kept_whole(app):
    """As a browser records: a block every 20 ms (30,000 of them), clusters of 5 s."""
    recording = webm(600, frame=b"\xfc" * 320, block_ms=20, cluster_ms=5000)
    with app.app_context():
        cleaned = media.clean_audio(io.BytesIO(recording))
        try:
            kept = cleaned.file.read()
        finally:
            cleaned.discard()
    assert cleaned.media_type == "audio/webm" and cleaned.seconds == pytest.approx(600)
    assert kept.endswith(recording[recording.index(bytes.fromhex("1654ae6b")):])
    assert kept.count(b"\xfc" * 320) == 30_001


# --- the encrypted temporary file itself -----------------------------------------------------

def test_encrypted_temporary_file_works_like_a_file_and_holds_no_plaintext(tmp_path):
    marker = b"PLAINTEXT-MARKER-" * 8
    model, spool = io.BytesIO(), EncryptedTempFile(tmp_path)
    assert list(tmp_path.iterdir()) == []  # unlinked at once: nothing to leave behind
    [raw] = [link for link, target in _open_files().items() if target.startswith(str(tmp_path))]
    chance = random.Random(7)
    for _ in range(400):
        action = chance.choice(["write", "write", "read", "read", "truncate"])
        size = len(model.getvalue())
        position = chance.randrange(0, size + CHUNK + 10)
        for handle in (model, spool):
            handle.seek(position)
        if action == "write":
            data = (marker + chance.randbytes(chance.randrange(1, 3 * CHUNK)))
            assert spool.write(data) == model.write(data)
        elif action == "read":
            count = chance.randrange(0, 3 * CHUNK)
            assert spool.read(count) == model.read(count)
        else:
            cut = chance.randrange(0, size + 1)
            assert spool.truncate(cut) == model.truncate(cut)
        assert spool.tell() == model.tell()
        assert spool.seek(0, io.SEEK_END) == model.seek(0, io.SEEK_END)
    spool.seek(0)
    assert spool.read() == model.getvalue() and marker in model.getvalue()
    assert spool.truncate(spool.tell() + 2 * CHUNK) == len(model.getvalue()) + 2 * CHUNK
    assert spool.read() == bytes(2 * CHUNK)  # grown with zeros, like a file
    spool.seek(-1, io.SEEK_END)
    spool.read(1)  # the last of at least three chunks is in memory, the others only on disk
    on_disk = _contents(raw)
    assert marker not in on_disk and len(on_disk) > len(model.getvalue())
    with pytest.raises(io.UnsupportedOperation):
        spool.fileno()  # a library must not write around the encryption

    # Changed on disk: refused, not returned.
    with open(raw, "r+b") as handle:
        handle.seek(20)
        handle.write(bytes([on_disk[20] ^ 1]))
    spool.seek(0)
    with pytest.raises(OSError):
        spool.read(1)
    spool.close()
    assert not any(target.startswith(str(tmp_path)) for target in _open_files().values())
