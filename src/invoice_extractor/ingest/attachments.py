"""Files embedded in a PDF (PDF/A-3 e-invoices carry their XML this way).

PDFium reads the EmbeddedFiles name tree; a file referenced only from an ``/AF`` array (allowed by
PDF 2.0 / PDF/A-3) is found with pikepdf when no XML turned up.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pypdfium2 as pdfium

log = logging.getLogger(__name__)

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


def xml_attachments(pdf: pdfium.PdfDocument, data: bytes) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for index in range(pdf.count_attachments()):
        try:
            attachment = pdf.get_attachment(index)
            name = attachment.get_name()
            if name.lower().endswith(".xml"):
                payload = bytes(attachment.get_data())
                if len(payload) <= MAX_ATTACHMENT_BYTES:
                    found[name] = payload
        except (pdfium.PdfiumError, UnicodeDecodeError):
            log.warning("an attachment of the PDF cannot be read; skipped")
    if not found and b"/AF" in data:
        found.update(_associated_files(data))
    return found


def _associated_files(data: bytes) -> dict[str, bytes]:
    try:
        import pikepdf
    except ImportError:  # optional: without it, /AF-only attachments are not read
        return {}
    found: dict[str, bytes] = {}
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            for spec in _af_specs(pdf):
                name = str(spec.get("/UF") or spec.get("/F") or "")
                stream = spec.get("/EF", {}).get("/F")
                if name.lower().endswith(".xml") and stream is not None:
                    payload = bytes(stream.read_bytes())
                    if len(payload) <= MAX_ATTACHMENT_BYTES:
                        found[name] = payload
    except Exception:  # a damaged /AF entry must not fail the whole file
        log.warning("the PDF's associated files cannot be read; skipped")
    return found


def _af_specs(pdf: Any) -> Iterator[Any]:
    yield from pdf.Root.get("/AF", [])
    for page in pdf.pages:
        yield from page.obj.get("/AF", [])
