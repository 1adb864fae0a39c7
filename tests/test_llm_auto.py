"""The ``auto`` backend: e-invoice XML first, the embedded engine next, the LLM (real SDK, fake
server on 127.0.0.1) only for readings that lack key fields or fail the checks; the source of each
field."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from invoice_extractor import pipeline
from invoice_extractor.extract import registry
from invoice_extractor.extract.llm import AutoExtractor, LlmExtractor
from invoice_extractor.ingest.document import Document
from invoice_extractor.model import Invoice, Status
from invoice_extractor.settings import Settings
from llm_fakes import FakeLlmServer, Reply, answer, backend_for


@pytest.fixture
def server() -> Iterator[FakeLlmServer]:
    with FakeLlmServer(answer()) as fake:
        yield fake


@pytest.fixture
def gemini(server: FakeLlmServer, pdf: bytes) -> LlmExtractor:
    return backend_for("gemini", server, pdf)


class Fixed:
    """A stand-in ``embedded`` backend giving a fixed reading."""

    name = "embedded"

    def __init__(self, invoice: Invoice) -> None:
        self.invoice = invoice

    def score(self, document: Document) -> int | None:
        return 10

    def extract(self, document: Document, pages: list[int]) -> Invoice:
        return self.invoice.model_copy(deep=True)


def auto_with(llm: LlmExtractor, embedded: Invoice) -> AutoExtractor:
    backends: dict[str, Any] = {"embedded": Fixed(embedded)}
    return AutoExtractor(llm, backends=lambda name: backends[name])


def test_auto_leaves_a_complete_and_consistent_reading_to_the_engine(
    gemini: LlmExtractor, server: FakeLlmServer, document: Document
) -> None:
    auto = AutoExtractor(gemini)
    invoice, sources = auto.extract_with_sources(document, [1])
    assert server.count() == 0  # the LLM was not asked
    assert invoice.extractor == "embedded" and invoice.invoice_number == "INV-2024-0042"
    assert set(sources.values()) == {"embedded"} and "total" in sources


def test_auto_asks_the_llm_for_missing_fields_and_says_who_gave_each(
    gemini: LlmExtractor, server: FakeLlmServer, document: Document
) -> None:
    partial = Invoice(file="invoice.pdf", total=Decimal("119.00"), currency="EUR")
    invoice, sources = auto_with(gemini, partial).extract_with_sources(document, [1])
    assert server.count() == 1
    assert invoice.extractor == "embedded+gemini"
    assert (invoice.invoice_number, invoice.total) == ("INV-2024-0042", Decimal("119.00"))
    assert sources["invoice_number"] == "gemini" and sources["total"] == "embedded"
    assert sources["line_items"] == "gemini"
    assert invoice.evidence["invoice_number"].confidence == 0.9


def test_auto_prefers_the_reading_that_passes_the_checks(
    gemini: LlmExtractor, server: FakeLlmServer, document: Document
) -> None:
    wrong = Invoice(
        file="invoice.pdf",
        invoice_number="INV-2024-0042",
        seller={"name": "Acme Trading Ltd"},
        issue_date="2024-03-05",
        subtotal=Decimal("100.00"),
        tax_exclusive_total=Decimal("100.00"),
        tax_total=Decimal("19.00"),
        total=Decimal("191.00"),
        po_number="PO-1",
    )
    invoice, sources = auto_with(gemini, wrong).extract_with_sources(document, [1])
    assert invoice.total == Decimal("119.00") and sources["total"] == "gemini"
    assert invoice.po_number == "PO-1" and sources["po_number"] == "embedded"
    assert invoice.extractor == "gemini+embedded"


def test_auto_keeps_the_engine_reading_when_the_llm_fails(
    pdf: bytes, server: FakeLlmServer, document: Document
) -> None:
    server.then(Reply(text="not json"))
    partial = Invoice(file="invoice.pdf", total=Decimal("119.00"))
    openai = backend_for("openai", server, pdf)
    invoice, sources = auto_with(openai, partial).extract_with_sources(document, [1])
    assert invoice.total == Decimal("119.00") and invoice.invoice_number is None
    assert invoice.warnings == [
        "auto: openai not used: openai: the answer is malformed JSON "
        "(Expecting value: line 1 column 1 (char 0))"
    ]
    assert sources == {"total": "embedded"}


def test_auto_reads_invoice_xml_first(document: Document) -> None:
    from test_einvoice_read import MINIMAL_CII

    document.attachments["factur-x.xml"] = MINIMAL_CII
    invoice, sources = AutoExtractor().extract_with_sources(document, [1])
    assert invoice.extractor == "einvoice" and invoice.invoice_number == "INV-7"
    assert set(sources.values()) == {"einvoice"}


def test_auto_without_a_configured_llm_is_the_engine(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pdf: bytes
) -> None:
    for name in ("GEMINI_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env either
    registry.reset()
    [invoice] = pipeline.extract_bytes(pdf, "a.pdf", settings=Settings(extractor="auto"))
    assert invoice.extractor == "embedded" and invoice.status is Status.OK
