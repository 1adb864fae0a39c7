"""The page-content check decodes a page only when its encoded size allows more than the limit:
the bound (1032 per byte for Flate, 64 for RunLength, none for the other filters) must never be
beaten, and a page that may pass the limit is measured by decoding, as before."""

from __future__ import annotations

import io
import math
import zlib
from collections.abc import Iterable, Iterator

import pikepdf
import pytest

from helpers_bombs import content_bomb_pdf, content_pdf, deflated
from invoice_extractor.errors import PageTooComplex
from invoice_extractor.ingest import streams
from invoice_extractor.ingest.filters import decode_chain
from invoice_extractor.ingest.streams import MAX_PAGE_CONTENT_BYTES, check_page_content

_MB = 1024 * 1024


def _bound(data: bytes) -> float:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return sum(streams._most_decoded(s) for s in streams._content_streams(pdf.pages[0]))


def _decoded(raw: bytes, filters: list[str]) -> int:
    return sum(len(chunk) for chunk in decode_chain(raw, filters))


@pytest.mark.parametrize(
    ("raw", "filters"),
    [
        (zlib.compress(b"\0" * (8 * _MB), 9), ["/FlateDecode"]),
        (deflated(b"q Q\n", 40 * _MB), ["/FlateDecode"]),
        (deflated(b"\x81 ", 64 * 1024), ["/FlateDecode", "/RunLengthDecode"]),
        (b"\x81 " * 1000 + b"\x80", ["/RunLengthDecode"]),
        (b"q Q\n" * 1000, []),
    ],
)
def test_the_most_compressed_streams_stay_within_their_bound(
    raw: bytes, filters: list[str]
) -> None:
    bound = _bound(content_pdf(raw, filters))
    assert _decoded(raw, filters) <= bound < math.inf


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    calls: list[list[str]] = []

    def counted(raw: bytes, filters: list[str], early: list[int] | None = None) -> Iterator[bytes]:
        calls.append(filters)
        chunks: Iterable[bytes] = decode_chain(raw, filters, early)
        yield from chunks

    monkeypatch.setattr(streams, "decode_chain", counted)
    return calls


def test_a_page_that_cannot_reach_the_limit_is_not_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    data = content_bomb_pdf(4 * _MB)
    assert _bound(data) <= MAX_PAGE_CONTENT_BYTES
    calls = _counting(monkeypatch)
    check_page_content(data, "busy.pdf")
    assert calls == []


def test_a_page_that_may_reach_the_limit_is_decoded_and_read_when_within_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = content_bomb_pdf(MAX_PAGE_CONTENT_BYTES - 64 * 1024)
    assert _bound(data) > MAX_PAGE_CONTENT_BYTES  # the path under test: bound alone cannot tell
    calls = _counting(monkeypatch)
    check_page_content(data, "dense.pdf")
    assert calls == [["/FlateDecode"]]


@pytest.mark.parametrize("encoding", ["lzw", "ascii85-flate", "asciihex-flate"])
def test_filters_without_a_bound_are_always_decoded(
    encoding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting(monkeypatch)
    check_page_content(content_bomb_pdf(_MB, encoding), "small.pdf")
    assert len(calls) == 1
    with pytest.raises(PageTooComplex):
        check_page_content(content_bomb_pdf(MAX_PAGE_CONTENT_BYTES + 8 * _MB, encoding), "bomb.pdf")
