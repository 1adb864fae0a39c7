"""The PDF stream filters qpdf and PDFium decode for content and attachments, as streaming decoders:
each takes the encoded bytes in chunks and yields the decoded bytes in chunks of about ``CHUNK``,
so a caller that stops reading at its limit never holds more than that.

``decode_chain`` applies a stream's whole ``/Filter`` array (e.g. ASCII85 then Flate) the same way.
Image-only filters (DCT, JPX, CCITT, JBIG2) never carry page content or XML: they are refused.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Callable, Iterable, Iterator

CHUNK = 1024 * 1024

Decoder = Callable[[Iterable[bytes]], Iterator[bytes]]


class UnsupportedFilter(Exception):
    """A filter no streaming decoder exists for (or a stream it cannot decode at all)."""


def flate(chunks: Iterable[bytes]) -> Iterator[bytes]:
    inflater = zlib.decompressobj()
    try:
        for chunk in chunks:
            pending = chunk
            while pending:
                yield inflater.decompress(pending, CHUNK)
                pending = inflater.unconsumed_tail
        yield inflater.flush()
    except zlib.error:  # a damaged tail: what inflated so far is what a reader gets
        return


def ascii_hex(chunks: Iterable[bytes]) -> Iterator[bytes]:
    carry = b""
    for chunk in chunks:
        text = carry + b"".join(chunk.split())
        end = text.find(b">")
        if end >= 0:
            text = text[:end] + (b"0" if end % 2 else b"")  # an odd last digit counts as d0
        cut = len(text) - len(text) % 2
        carry = text[cut:]
        try:
            yield binascii.unhexlify(text[:cut])
        except binascii.Error as exc:
            raise UnsupportedFilter(f"ASCIIHexDecode: {exc}") from exc
        if end >= 0:
            return
    if carry:
        yield binascii.unhexlify(carry + b"0")


def ascii85(chunks: Iterable[bytes]) -> Iterator[bytes]:
    carry = b""
    for chunk in chunks:
        text = carry + b"".join(chunk.split())
        end = text.find(b"~>")
        if end >= 0:
            text = text[:end]
        cut = len(text) if end >= 0 else _whole_groups(text)
        carry = text[cut:]
        try:
            yield base64.a85decode(text[:cut])
        except ValueError as exc:
            raise UnsupportedFilter(f"ASCII85Decode: {exc}") from exc
        if end >= 0:
            return
    if carry:
        yield base64.a85decode(carry)


def _whole_groups(text: bytes) -> int:
    """Length of the longest prefix of whole ASCII85 groups (five digits, or one ``z``)."""
    at, size = 0, len(text)
    while at < size:
        step = 1 if text[at] == 0x7A else 5
        if at + step > size:
            break
        at += step
    return at


def run_length(chunks: Iterable[bytes]) -> Iterator[bytes]:
    carry = b""
    for chunk in chunks:
        data = carry + chunk
        out = bytearray()
        at, size = 0, len(data)
        while at < size:
            length = data[at]
            if length == 128:  # end of data
                yield bytes(out)
                return
            need = length + 2 if length < 128 else 2
            if at + need > size:
                break
            if length < 128:
                out += data[at + 1 : at + need]
            else:
                out += data[at + 1 : at + 2] * (257 - length)
            at += need
            if len(out) >= CHUNK:
                yield bytes(out)
                out = bytearray()
        carry = data[at:]
        yield bytes(out)


def lzw(chunks: Iterable[bytes], early_change: int = 1) -> Iterator[bytes]:
    """PDF's LZW (9 to 12 bit codes, most significant bit first, 256 clears, 257 ends)."""
    table = [bytes([n]) for n in range(256)] + [b"", b""]
    width, buffer, held = 9, 0, 0
    previous: bytes | None = None
    for chunk in chunks:
        out = bytearray()
        for byte in chunk:
            buffer, held = (buffer << 8) | byte, held + 8
            while held >= width:
                held -= width
                code = buffer >> held
                buffer &= (1 << held) - 1
                if code == 256:
                    del table[258:]
                    width, previous = 9, None
                    continue
                if code == 257:
                    yield bytes(out)
                    return
                if code < len(table):
                    entry = table[code]
                    if previous is not None and len(table) < 4096:
                        table.append(previous + entry[:1])
                elif code == len(table) and previous is not None:
                    entry = previous + previous[:1]
                    table.append(entry)
                else:
                    raise UnsupportedFilter(f"LZWDecode: code {code} out of range")
                out += entry
                previous = entry
                if width < 12 and len(table) + early_change >= 1 << width:
                    width += 1
            if len(out) >= CHUNK:
                yield bytes(out)
                out = bytearray()
        yield bytes(out)


DECODERS: dict[str, Decoder] = {
    "/FlateDecode": flate,
    "/Fl": flate,
    "/LZWDecode": lzw,
    "/LZW": lzw,
    "/ASCIIHexDecode": ascii_hex,
    "/AHx": ascii_hex,
    "/ASCII85Decode": ascii85,
    "/A85": ascii85,
    "/RunLengthDecode": run_length,
    "/RL": run_length,
}


def decode_chain(
    raw: bytes, filters: list[str], early_changes: list[int] | None = None
) -> Iterator[bytes]:
    """``raw`` through ``filters`` in order, streamed; ``UnsupportedFilter`` for any other filter.
    ``early_changes``: LZW's ``/EarlyChange`` per filter (default 1)."""
    chunks: Iterable[bytes] = (raw[at : at + CHUNK] for at in range(0, len(raw), CHUNK))
    for position, name in enumerate(filters):
        decoder = DECODERS.get(name)
        if decoder is None:
            raise UnsupportedFilter(f"{name} is not a filter of page content or attachments")
        if decoder is lzw and early_changes is not None:
            change = early_changes[position]
            chunks = lzw(chunks, change)
        else:
            chunks = decoder(chunks)
    yield from chunks
