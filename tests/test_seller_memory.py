"""The seller memory in the engine (issue 12): a lesson of one invoice chooses the value on the
seller's next one, a first-seen seller is read bit for bit as before, a re-edit replaces what
was learned; and the memory's plain-data forms (export, import) round-trip."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from helpers_sellers import FIRST, OTHER, SECOND, Issue, iso, seller_pdf
from invoice_extractor.errors import DatabaseUnavailable
from invoice_extractor.extract.embedded.engine import EmbeddedExtractor
from invoice_extractor.extract.embedded.seller_layout import (
    LayoutBook,
    SellerClues,
    SellerLayout,
    recognise,
    value_shape,
)
from invoice_extractor.extract.embedded.seller_memory import using_seller_memory
from invoice_extractor.extract.embedded.seller_teach import lesson_from
from invoice_extractor.ingest.document import Document
from invoice_extractor.ingest.loader import load_bytes
from invoice_extractor.model import Invoice


def _document(issue: Issue) -> Document:
    return load_bytes(seller_pdf(issue), f"{issue.number}.pdf", max_pages=5, max_bytes=10**7)


def _read(issue: Issue, book: LayoutBook | None) -> Invoice:
    with using_seller_memory(book):
        return EmbeddedExtractor().extract(_document(issue), [1])


def _taught(confirmed: dict[str, object], issue: Issue = FIRST) -> LayoutBook:
    book = LayoutBook()
    lesson = lesson_from(
        _document(issue), [1], confirmed, origin="correction", taught_at="2026-11-03"
    )
    book.remember(lesson)
    return book


def test_without_a_lesson_the_due_date_in_a_sentence_is_not_read() -> None:
    assert _read(SECOND, None).due_date is None


def test_one_correction_teaches_the_sellers_next_invoice() -> None:
    book = _taught({"due_date": iso(FIRST.due), "seller.name": FIRST.seller})
    invoice = _read(SECOND, book)
    assert invoice.due_date is not None and invoice.due_date.isoformat() == iso(SECOND.due)
    assert invoice.learned_from["due_date"] == "correction 2026-11-03"
    assert invoice.evidence["due_date"].text == SECOND.due
    # What was read without help stays as it was.
    assert invoice.invoice_number == SECOND.number and invoice.total == Decimal("238.00")


def test_a_first_seen_seller_is_read_bit_for_bit_as_without_memory() -> None:
    book = _taught({"due_date": iso(FIRST.due), "seller.name": FIRST.seller})
    assert _read(OTHER, book).model_dump_json() == _read(OTHER, None).model_dump_json()
    assert "learned_from" not in _read(OTHER, book).to_json_dict()


def test_editing_the_field_again_replaces_what_was_learned() -> None:
    # A wrong correction first (the due date is the date after "Datum"), then the right one.
    book = _taught({"due_date": iso(FIRST.date), "seller.name": FIRST.seller})
    wrong = book.entries[0].fields["due_date"].right
    assert wrong is not None and wrong.label == "datum"
    lesson = lesson_from(
        _document(FIRST),
        [1],
        {"due_date": iso(FIRST.due), "seller.name": FIRST.seller},
        origin="correction",
        taught_at="2026-11-04",
    )
    book.remember(lesson)
    (layout,) = book.entries
    spot = layout.fields["due_date"].right
    assert spot is not None and spot.label == "erwarten ihre uberweisung bis"
    invoice = _read(SECOND, book)
    assert invoice.due_date is not None and invoice.due_date.isoformat() == iso(SECOND.due)
    assert invoice.learned_from["due_date"] == "correction 2026-11-04"


def test_a_value_the_page_does_not_print_teaches_nothing_and_withdraws_its_lesson() -> None:
    document = _document(FIRST)
    first = lesson_from(
        document,
        [1],
        {"due_date": iso(FIRST.due)},
        origin="correction",
        taught_at="2026-11-03",
        taught_by="invoice:1",
    )
    book = LayoutBook()
    book.remember(first)
    assert "due_date" in book.entries[0].fields
    absurd = lesson_from(
        document,
        [1],
        {"due_date": "2031-01-01"},
        origin="correction",
        taught_at="2026-11-04",
        taught_by="invoice:1",
    )
    assert absurd.fields == {} and absurd.forget == ("due_date",)
    book.remember(absurd)
    assert "due_date" not in book.entries[0].fields
    assert _read(SECOND, book).due_date is None


def test_the_wrong_candidate_is_remembered_and_avoided() -> None:
    # The engine reads "Kunde AG" as the buyer; a clerk says this seller's invoices name no
    # buyer: the block it chose is recorded as the mistake and not chosen again.
    book = _taught({"buyer.name": None, "seller.name": FIRST.seller})
    lesson = book.entries[0].fields["buyer.name"]
    assert lesson.right is None and lesson.wrong is not None
    assert _read(SECOND, None).buyer.name == "Kunde AG"
    assert _read(SECOND, book).buyer.name is None


def test_memory_holds_label_words_and_positions_never_the_buyers_values() -> None:
    book = _taught(
        {
            "due_date": iso(FIRST.due),
            "total": "119.00",
            "buyer.name": FIRST.buyer,
            "seller.name": FIRST.seller,
        }
    )
    stored = str(book.entries[0].to_json())
    assert FIRST.buyer not in stored and "119" not in stored and "Ringweg" not in stored
    assert FIRST.seller in stored  # the seller's own name is how it is recognised


def test_export_and_import_round_trip_a_layout() -> None:
    book = _taught({"due_date": iso(FIRST.due), "seller.name": FIRST.seller})
    (layout,) = book.entries
    again = SellerLayout.from_json(layout.to_json(), layout.id)
    assert again.to_json() == layout.to_json() and again.fields.keys() == layout.fields.keys()


def test_recognition_by_identifier_name_or_fingerprint_and_never_against_an_identifier() -> None:
    layout = SellerLayout(
        1, "Nordwind Handel GmbH", ("DE123",), (), frozenset({"total:gesamt", "total:gesamt@4,4"})
    )
    assert recognise(SellerClues(vat_ids=frozenset({"DE123"})), [layout]) is layout
    assert recognise(SellerClues(name="nordwind handel gmbh"), [layout]) is layout
    printed = "nordwind handel gmbh rechnung"
    close = SellerClues(fingerprint=layout.fingerprint, text=printed)
    assert recognise(close, [layout]) is layout
    # The same template with another seller's name printed on it is not this seller's.
    assert recognise(SellerClues(fingerprint=layout.fingerprint, text="andere"), [layout]) is None
    other_vat = SellerClues(vat_ids=frozenset({"DE999"}), name="nordwind handel gmbh")
    assert recognise(other_vat, [layout]) is None


def test_value_shapes_keep_no_digits() -> None:
    assert value_shape("INV-0012") == "a-9"
    assert value_shape("1.234,50") == "9.9,9"


def test_an_llm_prompt_gets_the_known_sellers_labels_as_hints() -> None:
    from invoice_extractor.extract.llm.prompt import INSTRUCTION, build_prompt

    book = _taught({"due_date": iso(FIRST.due), "seller.name": FIRST.seller})
    with using_seller_memory(book):
        known = build_prompt(_document(SECOND), [1], []).instruction
        unknown = build_prompt(_document(OTHER), [1], []).instruction
    assert 'due_date: the value after the label "erwarten ihre uberweisung bis"' in known
    assert f"the seller is {FIRST.seller}" in known
    assert unknown == INSTRUCTION
    assert build_prompt(_document(SECOND), [1], []).instruction == INSTRUCTION


def test_a_value_at_the_confirmed_place_is_read_when_its_label_reads_otherwise() -> None:
    from dataclasses import replace

    book = _taught({"invoice_number": FIRST.number, "seller.name": FIRST.seller})
    relabelled = replace(SECOND, number_label="Beleg")  # a label no rule knows
    assert _read(relabelled, None).invoice_number != SECOND.number
    invoice = _read(relabelled, book)
    assert invoice.invoice_number == SECOND.number
    assert invoice.learned_from["invoice_number"] == "correction 2026-11-03"


def test_the_sellers_known_vat_id_is_taken_where_the_page_prints_it() -> None:
    from dataclasses import replace

    # A VAT id whose checksum fails and that no label announces: the rules leave it out.
    first, second = (
        replace(FIRST, seller_vat="DE 999 000 111"),
        replace(SECOND, seller_vat="DE999000111"),
    )
    book = _taught({"seller.vat_id": "DE999000111", "seller.name": FIRST.seller}, first)
    assert _read(second, None).seller.vat_id is None
    invoice = _read(second, book)
    assert invoice.seller.vat_id == "DE999000111"
    assert invoice.learned_from["seller.vat_id"] == "known"
    assert _read(replace(OTHER, seller_vat="DE999000111"), book).seller.vat_id is None


class _AwayMemory(LayoutBook):
    """A memory whose database does not answer (an outage mid-run)."""

    def layouts(self, clues: SellerClues) -> list[SellerLayout]:
        raise DatabaseUnavailable("the database does not answer: connection refused")


def test_a_memory_whose_database_is_away_leaves_the_reading_and_logs_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An outage is no fault of the code: the ranker's reading stands, and the log says so in
    one warning, without a traceback (the worker's log stays readable through an outage)."""
    with caplog.at_level(logging.WARNING):
        invoice = _read(SECOND, _AwayMemory())
    assert invoice.model_dump_json() == _read(SECOND, None).model_dump_json()
    (record,) = [r for r in caplog.records if "seller memory" in r.getMessage()]
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "does not answer" in record.getMessage()
