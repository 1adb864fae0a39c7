"""Files embedded in a PDF (PDF/A-3 e-invoices carry their XML this way).

Both the EmbeddedFiles name tree and ``/AF`` arrays (PDF 2.0 / PDF/A-3) are read with pikepdf,
each XML decoded incrementally up to ``MAX_ATTACHMENT_BYTES``: a small attachment that inflates
to gigabytes is given up at the limit (its declared size is checked before any decoding).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pikepdf
import pypdfium2 as pdfium

from .streams import TooLarge, read_bounded

log = logging.getLogger(__name__)

# The same limit as the e-invoice parser's: a larger XML would be refused there anyway.
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


def xml_attachments(
    pdf: pdfium.PdfDocument, data: bytes, document: Any | None = None
) -> tuple[dict[str, bytes], dict[str, str]]:
    """The ``.xml`` files embedded in the PDF by name, and those refused with the reason (``pdf``
    tells cheaply whether the name tree holds any; the bytes are read by pikepdf, bounded).

    ``document``: the file as qpdf already opened it (``streams.open_qpdf``), read in place of
    opening it again, and asked whether its catalog or a page has ``/AF`` (the very arrays read
    below, found even inside a compressed object stream); None: opened here when the name tree
    has files or the bytes name ``/AF``."""
    found: dict[str, bytes] = {}
    refused: dict[str, str] = {}
    if pdf.count_attachments() == 0 and not _may_have_af(data, document):
        return found, refused
    try:
        if document is not None:
            _read_xml(document, found, refused)
        else:
            with pikepdf.open(io.BytesIO(data)) as opened:
                _read_xml(opened, found, refused)
    except Exception:  # a damaged attachment must not fail the whole file
        log.warning("the PDF's embedded files cannot be read; skipped")
    return found, refused


def _may_have_af(data: bytes, document: Any | None) -> bool:
    if document is None:
        return b"/AF" in data
    try:
        return "/AF" in document.Root or any("/AF" in page.obj for page in document.pages)
    except Exception:  # damaged: left to the reader, which says so
        return True


def _read_xml(document: Any, found: dict[str, bytes], refused: dict[str, str]) -> None:
    for name, spec in _file_specs(document):
        if name.lower().endswith(".xml") and name not in found:
            try:
                payload = _payload(spec)
            except TooLarge as exc:
                log.warning("%s: %s; not read", name, exc)
                refused[name] = str(exc)
                continue
            if payload is not None:
                found[name] = payload


def _file_specs(document: Any) -> Iterator[tuple[str, Any]]:
    for name, attached in document.attachments.items():
        yield str(name), attached.obj
    specs = list(document.Root.get("/AF", []))
    for page in document.pages:
        specs.extend(page.obj.get("/AF", []))
    for spec in specs:
        if isinstance(spec, pikepdf.Dictionary):
            yield str(spec.get("/UF") or spec.get("/F") or ""), spec


def _payload(spec: Any) -> bytes | None:
    files = spec.get("/EF")
    stream = files.get("/UF") or files.get("/F") if isinstance(files, pikepdf.Dictionary) else None
    if not isinstance(stream, pikepdf.Stream):
        return None
    params = stream.get("/Params")
    declared = params.get("/Size") if isinstance(params, pikepdf.Dictionary) else None
    limit_mb = MAX_ATTACHMENT_BYTES // (1024 * 1024)
    if isinstance(declared, int) and declared > MAX_ATTACHMENT_BYTES:
        raise TooLarge(f"the embedded file declares {declared} bytes, more than {limit_mb} MB")
    try:
        return read_bounded(stream, MAX_ATTACHMENT_BYTES)
    except TooLarge as exc:
        raise TooLarge(f"the embedded file decodes to more than {limit_mb} MB") from exc
