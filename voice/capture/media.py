"""Uploads judged by their content, never by their name or declared type.

An upload is in an encrypted temporary file (never held whole in memory, never on disk in
plaintext: see encrypted_tempfile.py; the form parser spools it there, anything else is copied
there in chunks), then identified from its bytes, checked, cleaned of metadata and handed back as
a file ready to be sealed into storage: an encrypted temporary file, or for WebM and WAV a
`Spliced` one, the pieces of the upload to keep with new headers between them, read from the
upload only as it is sealed (no second copy to write and read back). The checks read and write
through those files, which decrypt and encrypt on the fly. Anything not understood is refused
with a message for the child.

Images: only JPEG, PNG and WebP as Pillow identifies them, with decompression-bomb limits turned
into refusals; turned upright by the EXIF orientation, scaled to at most 2048 px and re-encoded
from pixels alone, so no EXIF, GPS, XMP, ICC profile, text chunk or JPEG comment survives.

Audio: WebM/Opus, Ogg/Opus, MP4/AAC, MP3 and WAV, identified by their magic bytes and parsed.
Durations come from the content: mutagen reads them for Ogg, MP4, MP3 and WAV; mutagen has no
WebM parser, and Chromium's MediaRecorder writes no Duration element, so for WebM the file's own
cluster and block timecodes are read (the largest one is the length). At most 10 minutes and 25 MB.
Tags are removed: WebM is rewritten with only its tracks and clusters (no tags, chapters,
attachments, title or date), MP4's user-data and metadata boxes are blanked, MP3's ID3 and APE
tags and Ogg's comments are deleted, and WAV is rewritten with only its format and data chunks
(a data chunk longer than the file is refused).
"""
from __future__ import annotations

import os
import struct
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from mutagen import MutagenError, apev2, id3
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from mutagen.ogg import OggPage
from mutagen.oggopus import OggOpus
from mutagen.wave import WAVE
from PIL import Image, ImageOps

from ..encrypted_tempfile import EncryptedTempFile, create
from . import webm
from .spliced import Spliced

IMAGE_MAX_BYTES = 20 * 1024 * 1024
IMAGE_MAX_SIDE = 2048
# Pillow warns above this many pixels and refuses above twice as many; both are refusals here.
Image.MAX_IMAGE_PIXELS = 40_000_000

AUDIO_MAX_BYTES = 25 * 1024 * 1024
AUDIO_MAX_SECONDS = 10 * 60
CHUNK = 64 * 1024

EMPTY = _l("The file is empty. Please try again.")
NOT_IMAGE = _l("We could not open this picture. Please choose a photo or picture (JPEG, PNG or WebP).")
IMAGE_TOO_BIG = _l("This picture is too big. Please choose a smaller one.")
NOT_AUDIO = _l("We could not play this recording. Please try again.")
AUDIO_TOO_BIG = _l("This recording is too big. Please make a shorter one.")
AUDIO_TOO_LONG = _l("This recording is longer than 10 minutes. Please make a shorter one.")


class Refused(Exception):
    """The upload cannot be used; `message` tells the child why, in their language."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass
class Cleaned:
    """A checked, cleaned file, encrypted on disk (the caller closes it: `discard`)."""

    file: EncryptedTempFile | Spliced
    media_type: str
    seconds: float | None = None

    def discard(self) -> None:
        self.file.close()


def _closed_on_error(make):
    """Run make(target) with a new encrypted temporary file; close it if make fails."""
    target = create()
    try:
        return make(target)
    except BaseException:
        target.close()
        raise


def spool(source: BinaryIO, limit: int, too_big) -> EncryptedTempFile:
    """The upload in an encrypted temporary file; refuse empty or over-limit. One the form parser
    spooled already is used as it is (copying it would decrypt and encrypt it all once more)."""
    if isinstance(source, EncryptedTempFile):
        return _sized(source, source.seek(0, os.SEEK_END), limit, too_big)

    def copy(target):
        size = 0
        while chunk := source.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise Refused(too_big)
            target.write(chunk)
        return _sized(target, size, limit, too_big)
    return _closed_on_error(copy)


def _sized(spooled: EncryptedTempFile, size: int, limit: int, too_big) -> EncryptedTempFile:
    if size > limit or size == 0:
        spooled.close()
        raise Refused(too_big if size else EMPTY)
    spooled.seek(0)
    return spooled


# --- images ----------------------------------------------------------------------------------

_IMAGE_OUT = {"JPEG": ("JPEG", "image/jpeg"), "PNG": ("PNG", "image/png"),
              "WEBP": ("WEBP", "image/webp")}
_METADATA_KEYS = ("exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment", "photoshop",
                  "adobe")


def clean_image(source: BinaryIO) -> Cleaned:
    with spool(source, IMAGE_MAX_BYTES, IMAGE_TOO_BIG) as spooled:
        return _clean_image_file(spooled)


def _clean_image_file(spooled: BinaryIO) -> Cleaned:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(spooled, formats=list(_IMAGE_OUT)) as image:
                kind = image.format
                image.load()  # a truncated image fails here
                upright = ImageOps.exif_transpose(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise Refused(IMAGE_TOO_BIG) from None
        except (OSError, SyntaxError, ValueError, TypeError, struct.error, EOFError,
                Image.UnidentifiedImageError):
            raise Refused(NOT_IMAGE) from None
    fmt, media_type = _IMAGE_OUT[kind]
    upright.thumbnail((IMAGE_MAX_SIDE, IMAGE_MAX_SIDE))
    if fmt == "JPEG":
        pixels = upright.convert("L" if upright.mode in ("L", "1", "I;16", "I") else "RGB")
    else:
        pixels = upright.convert("RGBA" if upright.mode in ("RGBA", "LA", "PA", "P") else "RGB")
    # A fresh image from the pixels alone carries no metadata from the upload.
    clean = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())

    def save(target):
        options = {"exif": b"", "icc_profile": None}
        if fmt == "JPEG":
            options.update(quality=88, comment=b"")
        elif fmt == "WEBP":
            options.update(quality=88, xmp="")
        clean.save(target, fmt, **options)
        target.seek(0)
        with Image.open(target) as check:
            if any(key in check.info for key in _METADATA_KEYS) or len(check.getexif()):
                raise Refused(NOT_IMAGE)
        return Cleaned(target, media_type)
    return _closed_on_error(save)


# --- audio -----------------------------------------------------------------------------------

def clean_audio(source: BinaryIO) -> Cleaned:
    spooled = spool(source, AUDIO_MAX_BYTES, AUDIO_TOO_BIG)
    try:
        head = spooled.read(16)
        spooled.seek(0)
        if head.startswith(b"\x1a\x45\xdf\xa3"):
            return _webm(spooled)
        if head.startswith(b"OggS"):
            return _ogg_opus(spooled)
        if head[4:8] == b"ftyp":
            return _mp4(spooled)
        if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
            return _wav(spooled)
        if head.startswith(b"ID3") or _mp3_frame(head):
            return _mp3(spooled)
        raise Refused(NOT_AUDIO)
    except BaseException:
        spooled.close()
        raise


def _check_seconds(seconds: float | None) -> float:
    if seconds is None or seconds != seconds or seconds <= 0:
        raise Refused(NOT_AUDIO)
    if seconds > AUDIO_MAX_SECONDS + 0.5:
        raise Refused(AUDIO_TOO_LONG)
    return float(seconds)


def _mutagen(kind, handle: BinaryIO):
    handle.seek(0)
    try:
        return kind(handle)
    except (MutagenError, struct.error, ValueError, EOFError, IndexError, KeyError, TypeError):
        raise Refused(NOT_AUDIO) from None


def _ogg_opus(handle: BinaryIO) -> Cleaned:
    # One logical stream only (no video or other streams multiplexed in).
    serials = set()
    try:
        while True:
            try:
                serials.add(OggPage(handle).serial)
            except EOFError:
                break
    except Exception:
        raise Refused(NOT_AUDIO) from None
    if len(serials) != 1:
        raise Refused(NOT_AUDIO)
    audio = _mutagen(OggOpus, handle)
    seconds = _check_seconds(audio.info.length)
    handle.seek(0)
    audio.delete(handle)
    return Cleaned(handle, "audio/ogg", seconds)


def _mp3_frame(head: bytes) -> bool:
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 3, (head[1] >> 1) & 3
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 3
    return version != 1 and layer == 1 and bitrate not in (0, 15) and rate != 3


def _mp3(handle: BinaryIO) -> Cleaned:
    seconds = _check_seconds(_mutagen(MP3, handle).info.length)
    # APE first: an APE tag after an ID3v1 tag would otherwise hide the ID3v1 tag from id3.
    for delete in (apev2.delete, id3.delete):
        handle.seek(0)
        delete(handle)
    handle.seek(0)
    if not _mp3_frame(handle.read(4)):
        raise Refused(NOT_AUDIO)
    return Cleaned(handle, "audio/mpeg", seconds)


def _wav(handle: BinaryIO) -> Cleaned:
    seconds = _check_seconds(_mutagen(WAVE, handle).info.length)
    chunks: dict[bytes, tuple[int, int]] = {}
    handle.seek(12)
    while True:
        header = handle.read(8)
        if len(header) < 8:
            break
        name, size = header[:4], struct.unpack("<I", header[4:])[0]
        if name in (b"fmt ", b"data") and name not in chunks:
            chunks[name] = (handle.tell(), size)
        handle.seek(size + (size & 1), os.SEEK_CUR)
    if set(chunks) != {b"fmt ", b"data"}:
        raise Refused(NOT_AUDIO)
    fmt_at, fmt_size = chunks[b"fmt "]
    data_at, data_size = chunks[b"data"]
    handle.seek(fmt_at)
    fmt = handle.read(fmt_size)
    if len(fmt) < 16 or struct.unpack("<H", fmt[:2])[0] not in (1, 3, 0xFFFE):
        raise Refused(NOT_AUDIO)

    if data_at + data_size > handle.seek(0, os.SEEK_END):
        raise Refused(NOT_AUDIO)  # its samples end before the data chunk says
    body = 4 + 8 + len(fmt) + (len(fmt) & 1) + 8 + data_size + (data_size & 1)
    head = (b"RIFF" + struct.pack("<I", body) + b"WAVE"
            + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"\0" * (len(fmt) & 1)
            + b"data" + struct.pack("<I", data_size))
    pieces = [head, (data_at, data_at + data_size)] + [b"\0"] * (data_size & 1)
    return Cleaned(Spliced(handle, pieces), "audio/wav", seconds)


# MP4: boxes are [size:4][type:4] (size 1: a 64-bit size follows; size 0: to the end of file).
_MP4_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf"}
_MP4_BLANK = {b"udta", b"meta", b"uuid", b"ilst", b"XMP_"}


def _mp4_boxes(handle: BinaryIO, start: int, end: int):
    position = start
    while position + 8 <= end:
        handle.seek(position)
        size, kind = struct.unpack(">I4s", handle.read(8))
        header = 8
        if size == 1:
            size = struct.unpack(">Q", handle.read(8))[0]
            header = 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            raise Refused(NOT_AUDIO)
        yield position, size, header, kind
        position += size


def _mp4(handle: BinaryIO) -> Cleaned:
    audio = _mutagen(MP4, handle)
    if not (audio.info.codec or "").startswith("mp4a"):
        raise Refused(NOT_AUDIO)
    seconds = _check_seconds(audio.info.length)
    end = handle.seek(0, os.SEEK_END)
    handlers, blank = [], []

    def walk(start, stop, depth):
        for position, size, header, kind in _mp4_boxes(handle, start, stop):
            if kind in _MP4_BLANK:
                blank.append((position, size, header))
            elif kind in _MP4_CONTAINERS and depth < 8:
                walk(position + header, position + size, depth + 1)
            elif kind == b"hdlr":
                handle.seek(position + header + 8)
                handlers.append(handle.read(4))

    walk(0, end, 0)
    if not handlers or any(h != b"soun" for h in handlers):
        raise Refused(NOT_AUDIO)
    # Blank metadata in place (same size, so sample offsets stay right).
    for position, size, header in blank:
        handle.seek(position + 4)
        handle.write(b"free")
        handle.seek(position + header)
        remaining = size - header
        while remaining:
            step = min(CHUNK, remaining)
            handle.write(b"\0" * step)
            remaining -= step
    return Cleaned(handle, "audio/mp4", seconds)


def _webm(handle: EncryptedTempFile) -> Cleaned:
    try:
        pieces, seconds = webm.clean(handle)
    except webm.Malformed:
        raise Refused(NOT_AUDIO) from None
    return Cleaned(Spliced(handle, pieces), "audio/webm", _check_seconds(seconds))
