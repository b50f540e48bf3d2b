"""A read-only file made of pieces of another: a cleaned upload handed to storage without being
copied first. Each piece is bytes of its own (a header written anew) or a (start, end) range of
the source file, read from it only when the spliced file is read."""
from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate
from typing import BinaryIO

from ..encrypted_tempfile import SeekableFile

Piece = bytes | tuple[int, int]


class Spliced(SeekableFile):
    def __init__(self, source: BinaryIO, pieces: list[Piece]):
        super().__init__()
        self.source, self._pieces = source, [p for p in pieces if _length(p)]
        self._starts = list(accumulate((_length(p) for p in self._pieces), initial=0))
        self._size = self._starts[-1]

    def read(self, size: int | None = -1) -> bytes:
        """At most `size` bytes (all that is left when size is negative), from one piece: a
        range is read with the source's `read1` where it has one, so that whole chunks of an
        encrypted temporary file pass through without being copied."""
        self._checkClosed()
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(1 << 20), b""))
        index = bisect_right(self._starts, self._position) - 1
        if size == 0 or index >= len(self._pieces):
            return b""
        piece, offset = self._pieces[index], self._position - self._starts[index]
        count = min(size, self._starts[index + 1] - self._position)
        if isinstance(piece, tuple):
            self.source.seek(piece[0] + offset)
            data = getattr(self.source, "read1", self.source.read)(count)
            if not data:
                raise OSError("the source file is shorter than its pieces")
        else:
            data = piece[offset:offset + count]
        self._position += len(data)
        return data

    def close(self) -> None:
        if not self.closed:
            self.source.close()
        super().close()


def _length(piece: Piece) -> int:
    return piece[1] - piece[0] if isinstance(piece, tuple) else len(piece)
