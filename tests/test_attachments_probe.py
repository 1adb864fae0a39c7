"""Embedded XML is looked for where it is read: the name tree (PDFium counts its files) and the
``/AF`` arrays of the catalog and the pages, asked of the file as qpdf opened it for the content
check (opened once per file), so an ``/AF`` inside a compressed object stream is found too."""

from __future__ import annotations

import io
from typing import Any

import pikepdf
import pytest

from helpers_bombs import attachment_bomb_pdf
from invoice_extractor.ingest import attachments, streams
from invoice_extractor.ingest.pdf import read_pdf


def _in_object_streams(data: bytes) -> bytes:
    """The same file saved with its dictionaries in compressed object streams (PDF 1.5)."""
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


@pytest.mark.parametrize("via_af", [False, True])
def test_xml_is_found_when_the_catalog_is_compressed(via_af: bool) -> None:
    data = _in_object_streams(attachment_bomb_pdf(4096, via_af=via_af))
    assert b"/AF" not in data and b"/EmbeddedFiles" not in data  # no byte says where it is
    document = read_pdf(data, "compressed.pdf", max_pages=10)
    assert list(document.attachments) == ["factur-x.xml"]
    assert len(document.attachments["factur-x.xml"]) == 4096


def test_xml_referenced_from_a_page_af_is_found() -> None:
    base = attachment_bomb_pdf(1000, via_af=True)
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(base)) as pdf:
        pdf.pages[0].obj.AF = pdf.Root.AF  # the page's /AF, not the catalog's
        del pdf.Root.AF
        pdf.save(out)
    document = read_pdf(out.getvalue(), "page-af.pdf", max_pages=10)
    assert list(document.attachments) == ["factur-x.xml"]


def test_a_pdf_is_opened_by_qpdf_once(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[int] = []
    real_open = pikepdf.open

    def counting_open(*args: Any, **kwargs: Any) -> pikepdf.Pdf:
        opened.append(1)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(streams.pikepdf, "open", counting_open)
    monkeypatch.setattr(attachments.pikepdf, "open", counting_open)
    document = read_pdf(attachment_bomb_pdf(1000, via_af=False), "one.pdf", max_pages=10)
    assert list(document.attachments) == ["factur-x.xml"]
    assert opened == [1]


def test_a_pdf_without_embedded_files_has_none() -> None:
    data = _in_object_streams(attachment_bomb_pdf(10, via_af=True))
    with pikepdf.open(io.BytesIO(data)) as pdf:
        del pdf.Root.AF
        out = io.BytesIO()
        pdf.save(out)
    document = read_pdf(out.getvalue(), "plain.pdf", max_pages=10)
    assert document.attachments == {} and document.refused_attachments == {}
