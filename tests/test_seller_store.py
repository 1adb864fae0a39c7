"""The seller memory's tables (issue 12) on SQLite and PostgreSQL: a lesson is found again by
VAT id, IBAN, name or fingerprint; a second lesson of the same seller merges into it; export and
import move it; the ``learn`` and ``sellers`` commands use the same store; an e-invoice teaches
its seller's layout."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers_sellers import FIRST, SECOND, iso, seller_pdf
from invoice_extractor.cli import main
from invoice_extractor.extract.embedded.seller_layout import (
    FieldLesson,
    Lesson,
    SellerClues,
    Spot,
)
from invoice_extractor.ingest.document import Document
from invoice_extractor.settings import Settings
from invoice_extractor.store.repository import Store

SPOT = Spot("gesamt", "labelled", "right", 0, True, 0.7, 0.4, 130.0, 0.0, "9,9")
PRINT = "nordwind handel gmbh rechnung"


def _lesson(path: str = "total", **clues: object) -> Lesson:
    return Lesson(
        SellerClues(**clues),  # type: ignore[arg-type]
        "Nordwind Handel GmbH",
        ("DE811111111",),
        (),
        {path: FieldLesson(SPOT, None, "correction", "2026-11-03", "invoice:1")},
    )


@pytest.fixture
def store(web_settings: Settings) -> Iterator[Store]:
    store = Store(web_settings)
    store.migrate()
    yield store
    store.db.dispose()


def test_a_lesson_is_found_by_identifier_name_or_fingerprint(store: Store) -> None:
    book = store.sellers
    book.remember(_lesson(fingerprint=frozenset({"a", "b", "c"})))
    for clues in (
        SellerClues(vat_ids=frozenset({"DE811111111"})),
        SellerClues(name="nordwind handel gmbh"),
        SellerClues(fingerprint=frozenset({"a", "b", "c"}), text=PRINT),
    ):
        (found,) = book.layouts(clues)
        assert found.name == "Nordwind Handel GmbH" and "total" in found.fields


def test_a_second_lesson_of_the_seller_merges_into_it(store: Store) -> None:
    book = store.sellers
    book.remember(_lesson("total"))
    book.remember(_lesson("due_date", vat_ids=frozenset({"DE811111111"})))
    (seller,) = book.known()
    assert sorted(seller.layout.fields) == ["due_date", "total"]
    assert seller.to_json()["fields"]["total"]["label"] == "gesamt"


def test_export_forget_import(store: Store) -> None:
    book = store.sellers
    book.remember(_lesson())
    exported = book.export()
    assert book.forget() == 1 and book.known() == []
    assert book.import_(json.loads(json.dumps(exported))) == 1
    assert book.import_(exported) == 1  # the same seller again: merged, not doubled
    (seller,) = book.known()
    assert seller.layout.vat_ids == ("DE811111111",)
    assert book.forget(seller.layout.id) == 1 and book.forget(seller.layout.id) == 0


def test_the_learn_and_sellers_commands_share_the_web_store(
    cli_on_web_store: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pdf = tmp_path / "first.pdf"
    pdf.write_bytes(seller_pdf(FIRST))
    truth = tmp_path / "first.truth.json"
    truth.write_text(
        json.dumps(
            {
                "seller_name": FIRST.seller,
                "due_date": iso(FIRST.due),
                "_qc": {"recommended_fields_for_visual_eval": ["seller_name", "due_date"]},
            }
        )
    )
    assert main(["learn", str(pdf), "--truth", str(truth)]) == 0
    assert json.loads(capsys.readouterr().out)["learned"] == ["due_date", "seller.name"]
    store = Store(cli_on_web_store)
    try:
        (seller,) = store.sellers.known()
        assert seller.layout.name == FIRST.seller
    finally:
        store.db.dispose()
    second = tmp_path / "second.pdf"
    second.write_bytes(seller_pdf(SECOND))
    assert main(["extract", str(second), "--seller-memory"]) == 0
    (read,) = json.loads(capsys.readouterr().out)
    assert read["due_date"] == iso(SECOND.due) and "due_date" in read["learned_from"]
    assert main(["extract", str(second)]) == 0  # without the flag the CLI reads alone
    assert json.loads(capsys.readouterr().out)[0]["due_date"] is None
    assert main(["sellers", "list"]) == 0
    assert FIRST.seller in capsys.readouterr().out
    assert main(["sellers", "forget", "--all"]) == 0
    assert json.loads(capsys.readouterr().out) == {"forgotten": 1}
    assert main(["learn", str(pdf), "--truth", str(tmp_path / "missing.json")]) == 2


CORPUS = (Path(__file__).parents[1] / ".." / "shared" / "corpus").resolve()
SELLER_EINVOICES = CORPUS / "facturxdotnet"


@pytest.mark.corpus
def test_an_einvoice_teaches_its_sellers_plain_pdfs(store: Store) -> None:
    """A Factur-X of one seller read from its XML teaches the layout of its printed page; another
    invoice of the seller, without XML, is then read with it."""
    teacher = SELLER_EINVOICES / "Facture_F20220023-LE_FOURNISSEUR-POUR-LE_CLIENT_EXTENDED.pdf"
    plain = SELLER_EINVOICES / "Facture_F20220024-LE_FOURNISSEUR-POUR-LE_CLIENT_EXTENDED.visual.pdf"
    if not teacher.is_file() or not plain.is_file():
        pytest.skip(f"the corpus is not at {CORPUS}")
    from invoice_extractor.ingest.loader import load_file
    from invoice_extractor.pipeline import extract_document

    settings = store.settings

    def load(path: Path) -> Document:
        return load_file(path, max_pages=50, max_bytes=50_000_000)

    # As a job reads it when its claim saw no known seller: nothing recalled, taught all the same.
    (exact,) = extract_document(
        load(teacher), settings=settings, memory=store.sellers, recall=False
    )
    assert exact.extractor == "einvoice"
    (seller,) = store.sellers.known()
    assert {"invoice_number", "total"} <= set(seller.layout.fields)
    assert {f.origin for f in seller.layout.fields.values()} == {"einvoice"}
    (read,) = extract_document(load(plain), settings=settings, memory=store.sellers)
    assert read.extractor == "embedded"
    assert read.learned_from and all(v.startswith("einvoice ") for v in read.learned_from.values())


def test_the_migration_creates_the_tables_the_models_describe(store: Store) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from invoice_extractor.store.models import Base

    with store.db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    ours = [
        d
        for d in diffs
        if re.search(r"table=<(sellers|seller_keys)>|'(sellers|seller_keys)'", repr(d))
    ]
    assert ours == []
