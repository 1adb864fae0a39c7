"""Content bombs through every filter PDFium decodes (issue 15, item 3): the streaming decoders of
``ingest/filters.py`` give what qpdf gives, and a page whose content decodes past the limit through
LZW, RunLength, ASCII85 or ASCIIHex (alone or chained with Flate) is refused before PDFium parses
it, as a Flate bomb is."""

from __future__ import annotations

import base64
import io
import zlib

import pikepdf
import pytest

from helpers_bombs import content_bomb_pdf, content_pdf, lzw_encode, lzw_spaces
from invoice_extractor.errors import PageTooComplex
from invoice_extractor.ingest.filters import UnsupportedFilter, decode_chain
from invoice_extractor.ingest.pdf import read_pdf, render_image
from invoice_extractor.ingest.streams import MAX_PAGE_CONTENT_BYTES

_MB = 1024 * 1024
TEXT = b"".join(b"BT /F1 12 Tf 72 %d Td (Invoice %d) Tj ET\n" % (n, n * 7) for n in range(5000))


def _literal_runs(data: bytes) -> bytes:
    """RunLength: literal runs of up to 128 bytes, one repeat run, then the end marker."""
    runs = (
        bytes([len(data[n : n + 128]) - 1]) + data[n : n + 128] for n in range(0, len(data), 128)
    )
    return b"".join(runs) + b"\xfe " + b"\x80"  # 0xfe: the next byte three times


ENCODED = {
    "lzw": (lzw_encode(TEXT), ["/LZWDecode"]),
    "lzw-run": (lzw_spaces(8 * _MB), ["/LZWDecode"]),
    "runlength": (_literal_runs(TEXT), ["/RunLengthDecode"]),
    "asciihex": (TEXT.hex().encode() + b"7>", ["/ASCIIHexDecode"]),
    "ascii85-flate": (
        base64.a85encode(zlib.compress(TEXT), wrapcol=64) + b"~>",
        ["/ASCII85Decode", "/FlateDecode"],
    ),
    "ascii85-zeros": (base64.a85encode(bytes(4000) + TEXT) + b"~>", ["/ASCII85Decode"]),
}


@pytest.mark.parametrize("kind", sorted(ENCODED))
def test_the_streaming_decoders_give_what_qpdf_gives(kind: str) -> None:
    raw, filters = ENCODED[kind]
    with pikepdf.open(io.BytesIO(content_pdf(raw, filters))) as pdf:
        stream = pdf.pages[0].obj.Contents
        expected = bytes(stream.read_bytes(pikepdf.StreamDecodeLevel.specialized))
        ours = b"".join(decode_chain(bytes(stream.read_raw_bytes()), filters))
    assert len(expected) > 1000 and ours == expected


def test_an_image_filter_is_not_decoded_as_content() -> None:
    with pytest.raises(UnsupportedFilter, match="DCTDecode"):
        list(decode_chain(b"\xff\xd8", ["/DCTDecode"]))


@pytest.mark.parametrize("encoding", ["lzw", "flate-runlength", "ascii85-flate", "asciihex-flate"])
def test_a_content_bomb_through_any_filter_is_refused_before_pdfium(
    encoding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = content_bomb_pdf(MAX_PAGE_CONTENT_BYTES + 8 * _MB, encoding)
    assert len(data) < 2 * _MB

    def whole(*_: object, **__: object) -> bytes:
        raise AssertionError("qpdf decoded the whole stream: its size is not bounded")

    monkeypatch.setattr(pikepdf.Object, "read_bytes", whole)
    with pytest.raises(PageTooComplex, match="page 1"):
        read_pdf(data, "bomb.pdf", max_pages=10)
    with pytest.raises(PageTooComplex):
        render_image(data, "bomb.pdf", 1, 150)


@pytest.mark.parametrize("kind", ["lzw", "runlength", "asciihex", "ascii85-flate"])
def test_page_content_through_any_filter_below_the_limit_is_read(kind: str) -> None:
    raw, filters = ENCODED[kind]
    document = read_pdf(content_pdf(raw, filters), "page.pdf", max_pages=10)
    assert document.page_count == 1
