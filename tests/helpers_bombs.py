"""Small files that decode to gigabytes, for the hardening tests and benchmarks/bombs.py.

Each builder writes the compressed bytes by hand (zlib in chunks), so a bomb of any size is built
in little memory and a second or so per GiB.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator

import pikepdf

_CHUNK = 16 * 1024 * 1024


def deflated(pattern: bytes, size: int) -> bytes:
    """``pattern`` repeated to ``size`` bytes, as a zlib stream, without holding the inflated
    bytes: one chunk is deflated once and its bytes repeated (a full flush makes each copy stand
    alone), and the checksum is summed over the chunks."""
    block = (pattern * (_CHUNK // len(pattern) + 1))[:_CHUNK]
    count, rest = divmod(size, _CHUNK)
    repeated = zlib.compressobj(9, zlib.DEFLATED, -15)
    unit = repeated.compress(block) + repeated.flush(zlib.Z_FULL_FLUSH)
    last = zlib.compressobj(9, zlib.DEFLATED, -15)
    tail = last.compress(block[:rest]) + last.flush()
    checksum = 1
    for _ in range(count):
        checksum = zlib.adler32(block, checksum)
    checksum = zlib.adler32(block[:rest], checksum)
    return b"\x78\xda" + unit * count + tail + struct.pack(">I", checksum)


def _flate_stream(pdf: pikepdf.Pdf, raw: bytes) -> pikepdf.Stream:
    stream = pikepdf.Stream(pdf, b"")
    stream.write(raw, filter=pikepdf.Name.FlateDecode)
    return stream


def _saved(pdf: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)  # streams already deflated stay as written
    return out.getvalue()


def huge_page_pdf(side_pt: float) -> bytes:
    """One blank page of ``side_pt`` x ``side_pt`` points (a few hundred bytes)."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.pages[0].obj.MediaBox = pikepdf.Array([0, 0, side_pt, side_pt])
    return _saved(pdf)


def content_bomb_pdf(inflated: int) -> bytes:
    """One A4 page whose content stream inflates to ``inflated`` bytes (no-op operators)."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf.pages[0].obj.Contents = _flate_stream(pdf, deflated(b"q Q\n", inflated))
    return _saved(pdf)


def attachment_bomb_pdf(
    inflated: int, *, via_af: bool, declared: int | None = None, base: bytes | None = None
) -> bytes:
    """``base`` (None: one blank page) with a ``factur-x.xml`` that inflates to ``inflated``
    bytes: in the EmbeddedFiles name tree, or referenced only from the catalogue's ``/AF``
    (``via_af``). ``declared``: the size its ``/Params`` state (None: none)."""
    xml = deflated(b"<a>" + b" " * 61, inflated)
    return _with_xml(xml, via_af=via_af, declared=declared, base=base)


def hostile_xml_pdf(base: bytes) -> bytes:
    """``base`` with a ``factur-x.xml`` that declares an external entity (XXE)."""
    xml = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    return _with_xml(zlib.compress(xml), via_af=False, declared=None, base=base)


def _with_xml(xml: bytes, *, via_af: bool, declared: int | None, base: bytes | None) -> bytes:
    if base is None:
        pdf = pikepdf.new()
        pdf.add_blank_page(page_size=(595, 842))
    else:
        pdf = pikepdf.open(io.BytesIO(base))
    stream = _flate_stream(pdf, xml)
    if declared is not None:
        stream.Params = pikepdf.Dictionary(Size=declared)
    spec = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Filespec,
            F=pikepdf.String("factur-x.xml"),
            UF=pikepdf.String("factur-x.xml"),
            EF=pikepdf.Dictionary(F=stream),
        )
    )
    if via_af:
        pdf.Root.AF = pikepdf.Array([spec])
    else:
        names = pikepdf.Array([pikepdf.String("factur-x.xml"), spec])
        pdf.Root.Names = pikepdf.Dictionary(EmbeddedFiles=pikepdf.Dictionary(Names=names))
    return _saved(pdf)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _blank_rows(width: int, height: int) -> Iterator[bytes]:
    row = b"\x00" + b"\xff" * width  # filter byte, then white greyscale pixels
    for _ in range(height):
        yield row


def blank_png(width: int, height: int, *, rows: int | None = None) -> bytes:
    """A white greyscale PNG of ``width`` x ``height`` (tiny on disk, huge when decoded);
    ``rows``: write only that many rows of pixels (a header that states more than the data)."""
    compressor = zlib.compressobj(9)
    count = height if rows is None else rows
    body = b"".join(compressor.compress(row) for row in _blank_rows(width, count))
    body += compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", body)
        + _png_chunk(b"IEND", b"")
    )
