"""The one pipeline the CLI and the web both run: ingest -> split -> extract -> validate.

Each stage is a small function with typed input and output; a file that fails becomes one failed
invoice with its reason, so a batch never stops on a bad file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from .errors import InvoiceExtractorError, NoTextLayer
from .extract import registry
from .extract.einvoice.backend import invoice_xml, refused_xml_warnings
from .extract.einvoice.crosscheck import crosscheck
from .extract.embedded.seller_layout import SellerMemory
from .extract.embedded.seller_memory import using_seller_memory
from .extract.embedded.seller_teach import teach_einvoice
from .extract.split import split_invoices
from .ingest.document import Document, DocumentKind
from .ingest.loader import display_name, load_bytes, load_file
from .model import Invoice, Status
from .settings import Settings
from .validate import validate_in_place

log = logging.getLogger(__name__)

_Loader = Callable[[], Document]


def extract_document(
    document: Document,
    *,
    settings: Settings,
    extractor: str | None = None,
    memory: SellerMemory | None = None,
    recall: bool = True,
) -> list[Invoice]:
    """Stages after ingest: split the pages into invoices, extract each, check each.

    Without an explicit ``extractor``, a document that carries invoice XML is read by the
    ``einvoice`` backend (exact data) and its printed pages are cross-checked against the XML.
    With a seller ``memory`` (and ``SELLER_MEMORY`` on), a known seller's layout is applied and
    an e-invoice whose page prints its XML values teaches its layout; without ``recall`` (the
    caller knows the memory holds no seller) it is not asked for layouts, only taught.
    """
    if memory is None or not settings.seller_memory:
        return _extract_document(document, settings, extractor, None)
    with using_seller_memory(memory if recall else None):
        return _extract_document(document, settings, extractor, memory)


def _extract_document(
    document: Document, settings: Settings, extractor: str | None, memory: SellerMemory | None
) -> list[Invoice]:
    is_xml = document.kind is DocumentKind.XML
    if is_xml or (extractor in (None, "auto") and invoice_xml(document) is not None):
        # An XML file is read as an e-invoice whatever was asked: it has no page to read.
        return [validate_in_place(_read_einvoice(document, settings, memory))]
    backend = registry.get(extractor or settings.extractor)
    if not any(page.words for page in document.pages) and not getattr(
        backend, "reads_images", False
    ):
        raise NoTextLayer(
            f"{document.name}: no page has text, even with OCR (blank pages, or no OCR "
            "engine installed: see docs/ocr.md)",
            file=document.name,
        )
    refused = refused_xml_warnings(document)
    results = []
    for pages in split_invoices(document):
        invoice = backend.extract(document, pages)
        invoice.file = document.name
        invoice.pages = pages
        invoice.warnings.extend(w for w in refused if w not in invoice.warnings)
        results.append(validate_in_place(invoice))
    return results


def _read_einvoice(document: Document, settings: Settings, memory: SellerMemory | None) -> Invoice:
    pages = [page.number for page in document.pages]
    invoice = registry.get("einvoice").extract(document, pages)
    if any(page.words for page in document.pages):
        # The printed page is read offline for the cross-check: never by an LLM, never by auto.
        visual_name = settings.extractor
        if visual_name in ("einvoice", "auto", "gemini", "openai"):
            visual_name = "embedded"
        visual = registry.get(visual_name)
        printed = visual.extract(document, pages)
        invoice = crosscheck(invoice, printed, document.pages)
        if memory is not None:
            teach_einvoice(document, pages, invoice, printed, memory)
    return invoice


def extract_file(
    path: Path,
    *,
    settings: Settings | None = None,
    extractor: str | None = None,
    memory: SellerMemory | None = None,
) -> list[Invoice]:
    """Every invoice in the file at ``path``; a failure is one failed invoice, never raised."""
    settings = settings or Settings()
    return _guarded(
        display_name(path.name),
        lambda: load_file(
            path,
            max_pages=settings.max_pages,
            max_bytes=_max_bytes(settings),
            ocr_engine=settings.ocr_engine,
        ),
        settings,
        extractor,
        memory,
    )


def extract_bytes(
    data: bytes, name: str, *, settings: Settings | None = None, extractor: str | None = None
) -> list[Invoice]:
    settings = settings or Settings()
    name = display_name(name)
    return _guarded(
        name,
        lambda: load_bytes(
            data,
            name,
            max_pages=settings.max_pages,
            max_bytes=_max_bytes(settings),
            ocr_engine=settings.ocr_engine,
        ),
        settings,
        extractor,
    )


def _max_bytes(settings: Settings) -> int:
    return settings.max_file_mb * 1024 * 1024


def _guarded(
    name: str,
    load: _Loader,
    settings: Settings,
    extractor: str | None,
    memory: SellerMemory | None = None,
) -> list[Invoice]:
    backend_name = extractor or settings.extractor
    registry.get(backend_name)  # an unknown backend is a usage error, not a per-file failure
    try:
        document = load()
        try:
            return extract_document(document, settings=settings, extractor=extractor, memory=memory)
        finally:
            document.drop_caches()
    except InvoiceExtractorError as exc:
        return [Invoice.failed(name, str(exc), extractor=backend_name)]
    except Exception as exc:  # a bug on one file must not stop the batch; log it with its trace
        log.exception("extraction of %s failed", name)
        return [
            Invoice(
                file=name,
                status=Status.FAILED,
                error=f"internal error: {type(exc).__name__}: {exc}",
                extractor=backend_name,
            )
        ]
