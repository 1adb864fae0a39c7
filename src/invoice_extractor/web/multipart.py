"""werkzeug's multipart decoder without two regular expressions compiled per upload.

werkzeug builds its two boundary patterns with the request's boundary inside, and every client
picks a new random boundary per request, so ``re``'s cache never hits: compiling them was about
0.6 ms of CPU per upload, a sixth of the request. Here the patterns are built once per boundary
*length*, the boundary's place taken by "any N bytes"; a match whose N bytes are not the boundary
is skipped and the search goes on from the next byte. At a start where the wider pattern finds
other bytes the exact one cannot match either (its line break and ``--`` are the same bytes), so
the first match kept is the one the exact pattern finds, with the same groups and span.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from werkzeug import formparser
from werkzeug.sansio import multipart
from werkzeug.sansio.multipart import LINE_BREAK, MultipartDecoder

_HWS = rb"[^\S\n\r]*"  # horizontal white space, as werkzeug writes it
_PLACEHOLDER = b"x"  # werkzeug's own patterns for it are compiled once, then cached by ``re``


@cache
def _patterns(length: int) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """werkzeug's preamble and boundary patterns, the boundary replaced by any ``length`` bytes
    (captured as group 1; werkzeug's group 1, what follows it, is group 2 here)."""
    boundary = rb"([\x00-\xff]{%d})" % length
    tail = rb"(--%s%s?|%s%s)" % (_HWS, LINE_BREAK, _HWS, LINE_BREAK)
    preamble = re.compile(rb"%s?--%s" % (LINE_BREAK, boundary) + tail, re.MULTILINE)
    between = re.compile(rb"%s--%s" % (LINE_BREAK, boundary) + tail, re.MULTILINE)
    return preamble, between


class _Groups:
    """The part of ``re.Match`` the decoder uses, with werkzeug's group numbering."""

    __slots__ = ("_match",)

    def __init__(self, match: re.Match[bytes]) -> None:
        self._match = match

    def start(self) -> int:
        return self._match.start()

    def end(self) -> int:
        return self._match.end()

    def group(self, index: int) -> bytes:
        return self._match.group(index + 1)  # the boundary's group comes first


class _BoundaryPattern:
    """``search`` as werkzeug's compiled boundary pattern answers it."""

    __slots__ = ("_boundary", "_wide")

    def __init__(self, wide: re.Pattern[bytes], boundary: bytes) -> None:
        self._wide, self._boundary = wide, boundary

    def search(self, data: bytes | bytearray, pos: int = 0) -> _Groups | None:
        while (match := self._wide.search(data, pos)) is not None:
            if match.group(1) == self._boundary:
                return _Groups(match)
            pos = match.start() + 1
        return None


class BoundaryDecoder(MultipartDecoder):
    def __init__(self, boundary: bytes, *args: Any, **kwargs: Any) -> None:
        super().__init__(_PLACEHOLDER, *args, **kwargs)
        self.boundary = boundary
        preamble, between = _patterns(len(boundary))
        self.preamble_re = _BoundaryPattern(preamble, boundary)  # type: ignore[assignment]
        self.boundary_re = _BoundaryPattern(between, boundary)  # type: ignore[assignment]


def install() -> None:
    """Make werkzeug's form parser use ``BoundaryDecoder`` (for the whole process: the decoder
    is stateless between requests and answers exactly as werkzeug's own)."""
    if getattr(formparser, "MultipartDecoder", None) is multipart.MultipartDecoder:
        setattr(formparser, "MultipartDecoder", BoundaryDecoder)  # noqa: B010 (not exported)
