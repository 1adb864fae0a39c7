"""Small files that decode to gigabytes, for the hardening tests and benchmarks/bombs.py.

Each builder writes the compressed bytes by hand (zlib in chunks), so a bomb of any size is built
in little memory and a second or so per GiB.
"""

from __future__ import annotations

import base64
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


def content_bomb_pdf(inflated: int, encoding: str = "flate") -> bytes:
    """One A4 page whose content stream decodes to about ``inflated`` bytes of no-op content.

    ``encoding``: ``flate``; ``lzw`` (a run of spaces, LZW's best case: about 1400:1); or a chain
    whose last stage is the bomb: ``flate-runlength`` (Flate, then RunLength 64:1),
    ``ascii85-flate`` and ``asciihex-flate`` (a text encoding of the Flate bomb)."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    if encoding == "flate":
        raw, filters = deflated(b"q Q\n", inflated), ["/FlateDecode"]
    elif encoding == "lzw":
        raw, filters = lzw_spaces(inflated), ["/LZWDecode"]
    elif encoding == "flate-runlength":
        runs = deflated(b"\x81 ", inflated // 64)  # each pair: 128 spaces
        raw, filters = runs, ["/FlateDecode", "/RunLengthDecode"]
    elif encoding == "ascii85-flate":
        raw = base64.a85encode(deflated(b"q Q\n", inflated), wrapcol=72) + b"~>"
        filters = ["/ASCII85Decode", "/FlateDecode"]
    elif encoding == "asciihex-flate":
        raw, filters = (
            deflated(b"q Q\n", inflated).hex().encode() + b">",
            ["/ASCIIHexDecode", "/FlateDecode"],
        )
    else:
        raise ValueError(f"unknown encoding {encoding!r}")
    return content_pdf(raw, filters)


def content_pdf(raw: bytes, filters: list[str]) -> bytes:
    """One A4 page whose content stream is ``raw``, encoded with ``filters`` (in decoding order)."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    stream = pikepdf.Stream(pdf, raw)
    stream.Filter = pikepdf.Array([pikepdf.Name(name) for name in filters])
    pdf.pages[0].obj.Contents = stream
    return _saved(pdf)


def lzw_encode(data: bytes) -> bytes:
    """A plain LZW encoder (PDF's: codes of 9 to 12 bits, early change 1), for small inputs."""
    table = {bytes([n]): n for n in range(256)}
    codes = [256]
    current = b""
    for value in data:
        grown = current + bytes([value])
        if grown in table:
            current = grown
            continue
        codes.append(table[current])
        if len(table) + 2 < 4095:
            table[grown] = len(table) + 2
        else:  # table full: start again
            codes.append(256)
            table = {bytes([n]): n for n in range(256)}
        current = bytes([value])
    if current:
        codes.append(table[current])
    codes.append(257)
    return _pack_codes(codes)


def _pack_codes(codes: list[int]) -> bytes:
    """Codes at the width the decoder reads them: it adds an entry per code after the first since
    a clear, and widens when the next entry (plus early change) would not fit."""
    out = bytearray()
    buffer = held = 0
    size, width, first = 258, 9, True
    for code in codes:
        buffer, held = (buffer << width) | code, held + width
        while held >= 8:
            held -= 8
            out.append((buffer >> held) & 0xFF)
        buffer &= (1 << held) - 1
        if code == 256:
            size, width, first = 258, 9, True
            continue
        if not first:
            size += 1
        first = False
        if width < 12 and size + 1 >= 1 << width:
            width += 1
    if held:
        out.append((buffer << (8 - held)) & 0xFF)
    return bytes(out)


def lzw_spaces(size: int) -> bytes:
    """About ``size`` spaces as LZW, built without the spaces: after each clear the codes are 32
    (one space), then 258, 259, ... each one space longer than the last, until the table is
    full."""
    cycle = [256, 32, *range(258, 4094)]
    per_cycle = 1 + sum(range(2, 4094 - 256))
    return _pack_codes(cycle * max(1, size // per_cycle) + [257])


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
