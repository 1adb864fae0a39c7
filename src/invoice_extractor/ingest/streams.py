"""Bounded reads of PDF streams (pikepdf): a small file must not decode to gigabytes.

Every filter of a stream's chain (Flate, LZW, ASCIIHex, ASCII85, RunLength: ``filters``) is
decoded in chunks and given up as soon as it passes its limit, so an attachment or a content
stream that decodes to gigabytes costs its limit, not its size. Page content (and
the form XObjects it draws) is measured this way before PDFium parses a page.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Iterator
from typing import Any

import pikepdf

from ..errors import PageTooComplex
from .filters import UnsupportedFilter, decode_chain

log = logging.getLogger(__name__)

# A page's content (with its form XObjects) beyond this is a bomb, not an invoice: busy vector
# drawings stay well below it.
MAX_PAGE_CONTENT_BYTES = 32 * 1024 * 1024
_MB = 1024 * 1024


class TooLarge(Exception):
    """The stream decodes to more than the limit it was read with."""


def _filters(stream: Any) -> list[str]:
    found = stream.get("/Filter")
    if found is None:
        return []
    return [str(item) for item in found] if isinstance(found, pikepdf.Array) else [str(found)]


def _params(stream: Any, count: int) -> list[Any]:
    """One ``/DecodeParms`` dictionary (or None) per filter."""
    found = stream.get("/DecodeParms")
    if isinstance(found, pikepdf.Array):
        params = list(found)
    else:
        params = [found] * (1 if found is not None else 0)
    return (params + [None] * count)[:count]


def _option(params: Any, key: str, default: int) -> int:
    if not isinstance(params, pikepdf.Dictionary):
        return default
    value = params.get(key)
    return int(value) if isinstance(value, int) else default


def _chunks(stream: Any) -> Iterator[bytes]:
    """The decoded stream in chunks, every filter of a chain streamed (``filters``), so that a
    reader stops at its limit whatever the filters; a filter no decoder exists for is a
    ``pikepdf.PdfError`` (what qpdf would say)."""
    filters = _filters(stream)
    params = _params(stream, len(filters))
    early = [_option(p, "/EarlyChange", 1) for p in params]
    try:
        yield from decode_chain(bytes(stream.read_raw_bytes()), filters, early)
    except UnsupportedFilter as exc:
        raise pikepdf.PdfError(str(exc)) from exc


def _predicted(stream: Any) -> bool:
    """A PNG or TIFF predictor on a filter: its bytes are undone by qpdf, not here (a predictor
    never makes the data larger, so the streamed size still bounds it)."""
    filters = _filters(stream)
    return any(_option(p, "/Predictor", 1) > 1 for p in _params(stream, len(filters)))


def read_bounded(stream: Any, limit: int) -> bytes:
    """The decoded stream; ``TooLarge`` as soon as it passes ``limit`` bytes."""
    parts: list[bytes] = []
    size = 0
    for chunk in _chunks(stream):
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"more than {limit} bytes")
        parts.append(chunk)
    if _predicted(stream):
        return bytes(stream.read_bytes())
    return b"".join(parts)


def _decoded_size(stream: Any, limit: int) -> int:
    size = 0
    for chunk in _chunks(stream):
        size += len(chunk)
        if size > limit:
            break
    return size


def _content_streams(page: Any) -> Iterator[Any]:
    """The page's content streams and the form XObjects they can draw (each once)."""
    contents = page.obj.get("/Contents")
    if isinstance(contents, pikepdf.Stream):
        yield contents
    elif isinstance(contents, pikepdf.Array):
        yield from (item for item in contents if isinstance(item, pikepdf.Stream))
    seen: set[tuple[int, int]] = set()
    pending = [page.obj.get("/Resources")]
    while pending:
        resources = pending.pop()
        if not isinstance(resources, pikepdf.Dictionary):
            continue
        xobjects = resources.get("/XObject")
        if not isinstance(xobjects, pikepdf.Dictionary):
            continue
        for xobject in xobjects.values():
            key = xobject.objgen
            if not isinstance(xobject, pikepdf.Stream) or key in seen:
                continue
            if xobject.get("/Subtype") != "/Form":
                continue
            seen.add(key)
            yield xobject
            pending.append(xobject.get("/Resources"))


# The most a filter can make of one encoded byte: deflate writes a 258-byte match in two bits at
# the least (1032 times), RunLength one byte up to 128 times for two (64). Their decoders
# (``filters``) never raise, whatever the bytes: a chain of them (or none) has a bound; the other
# filters are not bounded here.
_MOST_PER_BYTE = {"/FlateDecode": 1032, "/Fl": 1032, "/RunLengthDecode": 64, "/RL": 64}


def _most_decoded(stream: Any) -> float:
    """The most ``stream`` can decode to; infinite when a filter has no bound (or a decoder can
    refuse its bytes: such a stream is decoded to find out)."""
    most = float(len(stream.read_raw_bytes()))
    for name in _filters(stream):
        most *= _MOST_PER_BYTE.get(name, math.inf)
    return most


def _surely_small(page: Any) -> bool:
    """True when the page's content cannot decode to more than the limit, whatever its bytes,
    by the encoded sizes alone: nothing is inflated. False when it might (or anything about it
    fails): it is then measured by decoding, as every page was."""
    try:
        return sum(_most_decoded(stream) for stream in _content_streams(page)) <= (
            MAX_PAGE_CONTENT_BYTES
        )
    except Exception:
        return False


def open_qpdf(data: bytes) -> Any | None:
    """The file opened by qpdf (pikepdf), to close after use; None when qpdf cannot open it
    (PDFium then reports what is wrong with it)."""
    try:
        return pikepdf.open(io.BytesIO(data))
    except Exception:
        return None


def check_page_content(data: bytes, name: str, numbers: list[int] | None = None) -> None:
    """Raise ``PageTooComplex`` when a page's content decodes to more than
    ``MAX_PAGE_CONTENT_BYTES`` (pages ``numbers``, 1-based; None: every page). A file qpdf cannot
    open is left to PDFium, which reports it."""
    pdf = open_qpdf(data)
    if pdf is not None:
        with pdf:
            check_pages(pdf, name, numbers)


def check_pages(pdf: Any, name: str, numbers: list[int] | None = None) -> None:
    """``check_page_content`` on the file already opened by qpdf (``open_qpdf``). A page whose
    encoded streams cannot decode to that much (``_surely_small``) is not decoded: the answer is
    the same."""
    for number in numbers or range(1, len(pdf.pages) + 1):
        if not 1 <= number <= len(pdf.pages):
            continue
        if _surely_small(pdf.pages[number - 1]):
            continue
        budget = MAX_PAGE_CONTENT_BYTES
        try:
            for stream in _content_streams(pdf.pages[number - 1]):
                budget -= _decoded_size(stream, budget)
                if budget < 0:
                    raise PageTooComplex(
                        f"{name}: page {number} has more than "
                        f"{MAX_PAGE_CONTENT_BYTES // _MB} MB of drawing content "
                        "(refused as a decompression bomb)",
                        file=name,
                    )
        except pikepdf.PdfError:
            log.debug("%s: page %d content cannot be measured; left to PDFium", name, number)
