"""The synthetic invoice generator: deterministic, its truth printed on its pages, its sums right,
every language, credit notes and multi-page documents, and found by ``eval``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from itertools import product
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest

from invoice_extractor.cli import main
from invoice_extractor.evaluation import find_cases
from invoice_extractor.ids import check_vat_id, is_valid_iban
from invoice_extractor.training.dataset import seller_group, training_cases
from invoice_extractor.training.synth import SyntheticInvoice, generate
from invoice_extractor.training.synth_formats import NUMBER_STYLES, SYMBOLS, Formats
from invoice_extractor.training.synth_words import LANGUAGES, WORDINGS

SEED = 11
COUNT = 24
DATE_STYLES = ("dmy-dot", "dmy-slash", "dmy-dash", "mdy", "iso", "long", "short-month")
AMOUNT_FIELDS = ("subtotal", "tax_total", "total", "amount_due")
ID_FIELDS = ("invoice_number", "po_number", "seller_vat_id", "iban")
_SPACE = re.compile(r"\s+")


@pytest.fixture(scope="module")
def invoices() -> list[SyntheticInvoice]:
    return [generate(SEED, i) for i in range(COUNT)]


def page_texts(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def compact(text: str) -> str:
    return _SPACE.sub("", text).casefold()


def _formats(number_style: str = "en", date_style: str = "iso", language: str = "en") -> Formats:
    words = WORDINGS[language]
    return Formats(number_style, "EUR", "bare", date_style, words.months, words.long_date, False)


def amount_renderings(value: str) -> set[str]:
    return {compact(_formats(style).number(Decimal(value))) for style in NUMBER_STYLES}


def date_renderings(value: str) -> set[str]:
    from datetime import date

    day = date.fromisoformat(value)
    found = set()
    for language, style in product(LANGUAGES, DATE_STYLES):
        formats = _formats(date_style=style, language=language)
        found.add(compact(formats.date(day)))
    us = Formats("en", "USD", "bare", "long", WORDINGS["en"].months, "{m} {d}, {y}", False)
    found.add(compact(us.date(day)))
    return found


def printed_forms(name: str, value: Any) -> set[str]:
    """Every way the generator may print ``value`` of truth field ``name``, compacted."""
    if name in AMOUNT_FIELDS:
        return amount_renderings(value)
    if name in ("issue_date", "due_date"):
        return date_renderings(value)
    if name == "currency":
        return {compact(value), compact(SYMBOLS[value])}
    return {compact(value)}


def test_same_seed_gives_same_truth_and_text() -> None:
    first, again, other = generate(5, 4), generate(5, 4), generate(6, 4)
    assert first.truth == again.truth
    assert page_texts(first.pdf) == page_texts(again.pdf)
    assert first.truth != other.truth


def test_every_recommended_field_is_printed(invoices: list[SyntheticInvoice]) -> None:
    for invoice in invoices:
        text = compact("\n".join(page_texts(invoice.pdf)))
        truth = invoice.truth
        for name in truth["_qc"]["recommended_fields_for_visual_eval"]:
            if name == "line_items":
                for item in truth[name]:
                    assert compact(item["description"]) in text, (invoice.name, item)
                    assert _printed_amounts(text, item["amount"]), (invoice.name, item)
                continue
            forms = printed_forms(name, truth[name])
            assert any(form in text for form in forms), (invoice.name, name, truth[name])


def _printed_amounts(text: str, value: str) -> set[str]:
    return {form for form in amount_renderings(value) if form in text}


def test_fields_not_printed_are_not_recommended(invoices: list[SyntheticInvoice]) -> None:
    for invoice in invoices:
        recommended = set(invoice.truth["_qc"]["recommended_fields_for_visual_eval"])
        for name in ("due_date", "seller_vat_id", "iban", "po_number"):
            assert (name in invoice.truth) == (name in recommended), (invoice.name, name)


def test_arithmetic_holds(invoices: list[SyntheticInvoice]) -> None:
    for invoice in invoices:
        truth, extra = invoice.truth, invoice.truth["extra"]
        items = truth["line_items"]
        for item in items:
            product_ = Decimal(item["quantity"]) * Decimal(item["unit_price"])
            assert abs(product_ - Decimal(item["amount"])) <= Decimal("0.005")
        subtotal = sum(Decimal(item["amount"]) for item in items)
        assert subtotal == Decimal(truth["subtotal"])
        allowance, prepaid = Decimal(extra["allowance_total"]), Decimal(extra["prepaid_amount"])
        assert Decimal(extra["tax_basis_total"]) == subtotal - allowance
        taxes = sum(Decimal(t["amount"]) for t in extra["tax_lines"])
        assert taxes == Decimal(truth["tax_total"])
        total = Decimal(truth["total"])
        assert subtotal - allowance + Decimal(truth["tax_total"]) == total
        assert Decimal(truth["amount_due"]) == total - prepaid


def test_identifiers_pass_their_checksums(invoices: list[SyntheticInvoice]) -> None:
    for invoice in invoices:
        truth = invoice.truth
        for vat in (truth.get("seller_vat_id"), truth["extra"].get("buyer_vat_id")):
            assert vat is None or check_vat_id(vat) is True, vat
        assert "iban" not in truth or is_valid_iban(truth["iban"])


def test_all_six_languages_are_produced(invoices: list[SyntheticInvoice]) -> None:
    languages = {invoice.truth["extra"]["language"] for invoice in invoices}
    assert languages == set(LANGUAGES)


def test_seller_groups_repeat_a_seller_and_template(invoices: list[SyntheticInvoice]) -> None:
    by_group: dict[str, list[dict[str, Any]]] = {}
    for invoice in invoices:
        by_group.setdefault(seller_group(invoice.truth), []).append(invoice.truth)
    assert 1 < len(by_group) < len(invoices)
    assert all(group.startswith(f"group:synth:{SEED}:") for group in by_group)
    for truths in by_group.values():
        assert len({t["seller_name"] for t in truths}) == 1
        assert len({json.dumps(t["_meta"]["layout"]) for t in truths}) == 1


def _first(predicate: Any, seed: int = SEED) -> Iterator[SyntheticInvoice]:
    for index in range(150):
        invoice = generate(seed, index)
        if predicate(invoice.truth):
            yield invoice
            return
    pytest.fail("no such document in the first 150")


def test_credit_notes_are_produced() -> None:
    (credit,) = _first(lambda t: t["extra"]["document_type_code"] == "381")
    text = compact("\n".join(page_texts(credit.pdf)))
    titles = {compact(t) for words in WORDINGS.values() for t in words.credit_title}
    assert any(title in text for title in titles)
    assert Decimal(credit.truth["total"]) > 0


def test_multi_page_documents_repeat_the_table_heading() -> None:
    (long_one,) = _first(lambda t: t["_meta"]["pages"] > 1)
    pages = page_texts(long_one.pdf)
    pages_count = long_one.truth["_meta"]["pages"]
    assert len(pages) == pages_count
    number = compact(long_one.truth["invoice_number"])
    assert all(number in compact(page) for page in pages)
    assert str(pages_count) in pages[-1]
    descriptions = [compact(item["description"]) for item in long_one.truth["line_items"]]
    assert descriptions[0] in compact(pages[0])
    assert descriptions[-1] in compact("".join(pages[1:]))


def test_cli_writes_pairs_that_eval_finds(tmp_path: Path) -> None:
    assert main(["synth", str(tmp_path), "--count", "3", "--seed", "2"]) == 0
    assert len(list(tmp_path.glob("*.pdf"))) == 3
    cases = find_cases(tmp_path)
    assert [case.input.name for case in cases] == sorted(p.name for p in tmp_path.glob("*.pdf"))
    assert all(case.truth.is_file() and not case.exact for case in cases)
    assert training_cases(tmp_path) == cases  # a synthetic folder also serves as a training pool
    assert main(["synth", str(tmp_path), "--count", "0"]) == 2
