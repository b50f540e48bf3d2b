"""WebM (EBML) recordings, as browsers' MediaRecorder makes them: read element by element, and
described as the pieces of a copy without what could carry metadata, with the duration the
recorder left out written in (the copy itself is made as it is sealed into storage)."""
from __future__ import annotations

import os
import struct
from typing import BinaryIO

WINDOW = 16 * 1024  # the parser's reads come from memory, read from the file this much at a time


class Malformed(Exception):
    """Not a recording this service accepts."""


EBML, SEGMENT, CLUSTER, INFO, TRACKS = 0x1A45DFA3, 0x18538067, 0x1F43B675, 0x1549A966, 0x1654AE6B
DOCTYPE, TIMECODE_SCALE, DURATION = 0x4282, 0x2AD7B1, 0x4489
TRACK_ENTRY, TRACK_TYPE, CODEC_ID = 0xAE, 0x83, 0x86
TIMECODE, SIMPLE_BLOCK, BLOCK_GROUP, BLOCK = 0xE7, 0xA3, 0xA0, 0xA1
# Segment children that are dropped (their sizes must be known to skip them).
_WEBM_DROP = {0x114D9B74, 0x1C53BB6B, 0x1254C367, 0x1941A469, 0x1043A770, 0xEC, 0xBF}
_UNKNOWN = object()


class _Ebml:
    """Elements read from a file through a window of its bytes held in memory (a recording's
    tens of thousands of blocks are read header by header: here, with no call to the file for
    each), or from bytes in memory (handle None)."""

    def __init__(self, handle: BinaryIO | None, size: int, window: bytes = b""):
        self.handle, self.size = handle, size
        self.window, self.at, self.start = window, 0, 0  # window: the file's bytes from start

    def tell(self) -> int:
        return self.start + self.at

    def _fill(self, count: int) -> bool:
        """At least count bytes in the window from the position, if the file has them."""
        if len(self.window) - self.at >= count:
            return True
        if self.handle is None:
            return False
        rest = self.window[self.at:]
        self.start += self.at
        self.handle.seek(self.start + len(rest))
        self.window, self.at = rest + self.handle.read(max(WINDOW, count - len(rest))), 0
        return len(self.window) >= count

    def read(self, count: int) -> bytes:
        if not self._fill(count):
            raise Malformed()
        self.at += count
        return self.window[self.at - count:self.at]

    def skip(self, count: int) -> None:
        if self.tell() + count > self.size:
            raise Malformed()
        if self.at + count <= len(self.window):
            self.at += count
        else:
            self.start, self.window, self.at = self.tell() + count, b"", 0

    def header(self):
        """(id, size or _UNKNOWN, raw header bytes), or None at the end of the file."""
        self._fill(12)  # an id is at most 4 bytes here, a size at most 8
        window, at = self.window, self.at
        available = len(window) - at
        if not available:
            return None
        length = 9 - window[at].bit_length()
        if window[at] == 0 or length > 4 or available <= length or window[at + length] == 0:
            raise Malformed()
        size_length = 9 - window[at + length].bit_length()
        end = at + length + size_length
        if end > len(window):
            raise Malformed()
        value = int.from_bytes(window[at + length:end], "big") & ((1 << (7 * size_length)) - 1)
        size = _UNKNOWN if value == (1 << (7 * size_length)) - 1 else value
        self.at = end
        return int.from_bytes(window[at:at + length], "big"), size, window[at:end]

    @staticmethod
    def children(data: bytes):
        reader = _Ebml(None, len(data), data)
        while reader.tell() < len(data):
            element, size, _raw = reader.header()
            if size is _UNKNOWN:
                raise Malformed()
            yield element, reader.read(size)


def _uint(data: bytes) -> int:
    return int.from_bytes(data, "big") if data else 0


def _float(data: bytes) -> float:
    if len(data) == 4:
        return struct.unpack(">f", data)[0]
    if len(data) == 8:
        return struct.unpack(">d", data)[0]
    raise Malformed()


def _block_timecode(head: bytes) -> int:
    """The relative timecode of a (Simple)Block: after the track number (a vint), an int16."""
    length = 8 - head[0].bit_length() + 1 if head and head[0] else 9
    if length > 8 or len(head) < length + 2:
        raise Malformed()
    return struct.unpack(">h", head[length:length + 2])[0]


# The recording's Info and Tracks are read whole: a few hundred bytes in a browser's recording.
DESCRIPTION_MAX = 64 * 1024
MAX_PIECES = 10_000  # kept ranges between dropped elements (Chromium's recordings have one)
SEGMENT_UNKNOWN_SIZE = bytes.fromhex("18538067 01ffffffffffffff".replace(" ", ""))


def clean(handle: BinaryIO) -> tuple[list[bytes | tuple[int, int]], float]:
    """Read the WebM recording in handle: the pieces of a copy of it without its tags,
    attachments, chapters, cues and seek index, with its duration written in (bytes, and
    (start, end) ranges of handle, which is not copied), and its length in seconds. Raises
    Malformed for anything but a well-formed recording with exactly one audio track."""
    return _clean(_Ebml(handle, handle.seek(0, os.SEEK_END)))


def _clean(reader: _Ebml) -> tuple[list[bytes | tuple[int, int]], float]:
    item = reader.header()
    if item is None or item[0] != EBML or item[1] is _UNKNOWN or item[1] > 1024:
        raise Malformed()
    body = reader.read(item[1])
    doctype = dict(reader.children(body)).get(DOCTYPE, b"").rstrip(b"\0")
    if doctype != b"webm":
        raise Malformed()
    head = item[2] + body
    item = reader.header()
    if item is None or item[0] != SEGMENT:
        raise Malformed()
    kept: list[tuple[int, int]] = []

    def keep(start: int, end: int) -> None:
        if kept and kept[-1][1] == start:
            kept[-1] = (kept[-1][0], end)
        elif len(kept) < MAX_PIECES:
            kept.append((start, end))
        else:
            raise Malformed()

    scale, declared, last, cluster_time = 1_000_000, 0.0, 0, 0
    tracks = blocks = 0
    pending = None
    while True:
        item = pending or reader.header()
        pending = None
        if item is None:
            break
        element, size, raw = item
        start = reader.tell() - len(raw)
        if element == CLUSTER:
            # Children of the cluster; an unknown-size cluster ends at the next segment child.
            remaining = None if size is _UNKNOWN else size
            end = None
            while remaining is None or remaining > 0:
                child = reader.header()
                if child is None:
                    break
                child_id, child_size, child_raw = child
                if remaining is None and (child_id == CLUSTER or child_id in _WEBM_DROP
                                          or child_id in (INFO, TRACKS)):
                    pending = child
                    end = reader.tell() - len(child_raw)
                    break
                if child_size is _UNKNOWN:
                    raise Malformed()
                if remaining is not None:
                    remaining -= len(child_raw) + child_size
                    if remaining < 0:
                        raise Malformed()
                if child_id == TIMECODE:
                    if child_size > 8:
                        raise Malformed()
                    cluster_time = _uint(reader.read(child_size))
                elif child_id == SIMPLE_BLOCK:
                    block_head = reader.read(min(child_size, 10))
                    last = max(last, cluster_time + _block_timecode(block_head))
                    blocks += 1
                    reader.skip(child_size - len(block_head))
                elif child_id == BLOCK_GROUP:
                    data = reader.read(child_size) if child_size <= 4 * 1024 * 1024 else None
                    if data is None:
                        raise Malformed()
                    for sub, value in reader.children(data):
                        if sub == BLOCK:
                            last = max(last, cluster_time + _block_timecode(value[:10]))
                            blocks += 1
                else:
                    reader.skip(child_size)
            keep(start, reader.tell() if end is None else end)
        elif size is _UNKNOWN or element in (INFO, TRACKS) and size > DESCRIPTION_MAX:
            raise Malformed()
        elif element == INFO:
            for sub, value in reader.children(reader.read(size)):
                if sub == TIMECODE_SCALE:
                    scale = _uint(value) or 1_000_000
                elif sub == DURATION:
                    declared = _float(value)
        elif element == TRACKS:
            for sub, entry in reader.children(reader.read(size)):
                if sub != TRACK_ENTRY:
                    continue
                fields = dict(reader.children(entry))
                if _uint(fields.get(TRACK_TYPE, b"")) != 2 or \
                        fields.get(CODEC_ID, b"").rstrip(b"\0") != b"A_OPUS":
                    raise Malformed()
                tracks += 1
            keep(start, reader.tell())
        elif element in _WEBM_DROP:
            reader.skip(size)
        else:
            raise Malformed()
    if tracks != 1 or blocks == 0:
        raise Malformed()
    ticks = max(float(last), declared if declared == declared else 0.0)
    seconds = max(ticks * scale / 1e9, 0.001)
    # A segment of unknown size (elements are dropped, so the old size would be wrong), then
    # an Info of our own with the timecode scale and the duration the recorder left out.
    info = (bytes.fromhex("1549a966a7") + bytes.fromhex("2ad7b188") + struct.pack(">Q", scale)
            + bytes.fromhex("448988") + struct.pack(">d", ticks) + bytes.fromhex("4d8085")
            + b"voice" + bytes.fromhex("574185") + b"voice")
    return [head + SEGMENT_UNKNOWN_SIZE + info, *kept], seconds
