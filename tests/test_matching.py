"""Duplicate and supplier checks across sessions, on SQLite and PostgreSQL, through ``Store`` and
the matcher's hook (``matching.service``), as the job runner calls it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from invoice_extractor.jobs.runner import JobChecks
from invoice_extractor.matching import service
from invoice_extractor.matching.duplicates import number_key
from invoice_extractor.matching.suppliers import name_key
from invoice_extractor.model import Invoice, Party, Payment
from invoice_extractor.settings import Settings
from invoice_extractor.store.models import InvoiceRecord, Supplier
from invoice_extractor.store.repository import Store

IBAN = "DE89370400440532013000"
OTHER_IBAN = "DE02120300000000202051"


@pytest.fixture
def store(web_settings: Settings) -> Iterator[Store]:
    store = Store(web_settings)
    store.migrate()
    yield store
    store.db.dispose()


def acme(number: str = "INV-2024-001", **changes: Any) -> Invoice:
    fields: dict[str, Any] = {
        "file": "acme.pdf",
        "pages": [1],
        "invoice_number": number,
        "issue_date": date(2024, 3, 5),
        "seller": Party(name="ACME GmbH", vat_id="DE136695976", address="Hauptstr. 1, Berlin"),
        "payment": Payment(iban=IBAN),
        "total": Decimal("119.00"),
    }
    fields.update(changes)
    return Invoice(**fields)


Put = Callable[..., int]


@pytest.fixture
def put(store: Store) -> Put:
    """Store one invoice as a job of ``session`` (a new session by default) would; its id."""
    counter = iter(range(10_000))

    def put_one(invoice: Invoice, session: str | None = None, content: bytes | None = None) -> int:
        session_id = session or store.create_session()[0]
        data = content or f"%PDF-1.4 distinct {next(counter)}".encode()
        stored, job = store.add_upload(session_id, invoice.file, data)
        claimed = store.claim(job.id, "w:1")
        assert claimed is not None
        checks = JobChecks(store, session_id, stored.sha256)  # the job runner's
        assert store.finish(claimed, "w:1", [invoice], 0.1, checks)
        with store.db.session() as db:
            return db.scalars(select(InvoiceRecord.id).where(InvoiceRecord.job_id == job.id)).one()

    return put_one


def warnings(store: Store, invoice_id: int, code: str = "") -> list[str]:
    with store.db.session() as db:
        record = db.get(InvoiceRecord, invoice_id)
        assert record is not None
        return [w for w in record.data["warnings"] if w.startswith(code)]


def status(store: Store, invoice_id: int) -> str:
    with store.db.session() as db:
        record = db.get(InvoiceRecord, invoice_id)
        assert record is not None
        return record.status


def test_keys_ignore_case_spacing_punctuation_and_legal_forms() -> None:
    assert number_key("inv 2024/001") == number_key("INV-2024-001") == "INV2024001"
    assert name_key("ACME GmbH") == name_key("Acme, G.m.b.H.") == name_key("acme") == "acme"
    assert name_key("Müller & Söhne KG") == "mullersohne"
    assert name_key("GmbH") is None


def test_the_same_file_in_another_session_is_a_duplicate(store: Store, put: Put) -> None:
    first = put(acme(), content=b"%PDF-1.4 the same bytes")
    second = put(acme(), content=b"%PDF-1.4 the same bytes")
    assert warnings(store, first, "DUPLICATE") == []
    [warning] = warnings(store, second, "DUPLICATE")
    assert warning.startswith("DUPLICATE: file: the same file as invoice #")
    # Another session (maybe another owner's): named by id and dates, never by its contents.
    assert f"#{first} (of 2024-03-05, uploaded " in warning and "INV-2024-001" not in warning
    assert "in another session (created " in warning
    assert status(store, second) == "needs_review"


def test_a_rescan_with_other_bytes_is_found_by_seller_and_number(store: Store, put: Put) -> None:
    session = store.create_session()[0]
    first = put(acme("INV-2024-001"), session)
    # A scan: the number read with other punctuation, the VAT id and IBAN not read at all.
    rescan = acme(
        "INV 2024 001", seller=Party(name="ACME GmbH"), payment=Payment(), total=Decimal("119")
    )
    second = put(rescan, session)
    [warning] = warnings(store, second, "DUPLICATE")
    assert "seller.name, invoice_number: the same seller and invoice number" in warning
    assert f"#{first}" in warning and "in this session" in warning


def test_same_seller_date_and_total_without_a_number_is_found(store: Store, put: Put) -> None:
    first = put(acme())
    # OCR misread the number and a letter of the name; date and total agree.
    second = put(acme("1NV-2O24-00l", seller=Party(name="ACME GmbM")))
    [warning] = warnings(store, second, "DUPLICATE")
    assert "seller.name, issue_date, total: the same seller, date and total" in warning
    assert f"#{first}" in warning


def test_the_same_number_from_another_seller_is_not_a_duplicate(store: Store, put: Put) -> None:
    put(acme())
    other = acme(
        seller=Party(name="Beta Trading Ltd", vat_id="GB980780684"),
        payment=Payment(iban=OTHER_IBAN),
        total=Decimal("50.00"),
    )
    second = put(other)
    assert warnings(store, second, "DUPLICATE") == []
    # Another VAT id decides even when the names look alike.
    third = put(acme(seller=Party(name="ACME GmbH", vat_id="ATU13585627"), payment=Payment()))
    assert warnings(store, third, "DUPLICATE") == []


def test_not_a_duplicate_clears_the_warning_and_stays_cleared(store: Store, put: Put) -> None:
    session = store.create_session()[0]
    first = put(acme(), session)
    second = put(acme(), session)
    assert warnings(store, second, "DUPLICATE")
    service.confirm_not_duplicate(store, session, second, "clerk")
    assert warnings(store, second, "DUPLICATE") == []
    # Checking again (a correction) does not bring it back; a third copy is still flagged.
    service.recheck(store, session, second)
    assert warnings(store, second, "DUPLICATE") == []
    third = put(acme(), session)
    assert len(warnings(store, third, "DUPLICATE")) == 2
    matches = service.matches(store, session, third, [])
    assert [(m["invoice_id"], m["relation"], m["reason"]) for m in matches] == [
        (first, "earlier", "number"),
        (second, "earlier", "number"),
    ]


def test_matches_show_another_owners_session_without_its_id(store: Store, put: Put) -> None:
    first = put(acme())
    mine = store.create_session()[0]
    second = put(acme(), mine)
    [match] = service.matches(store, mine, second, [mine])
    assert match["invoice_id"] == first and match["session_id"] is None
    assert match["same_session"] is False and match["issue_date"] == "2024-03-05"
    assert (match["invoice_number"], match["total"], match["seller"]) == (None, None, None)


def test_suppliers_are_built_from_invoices_and_linked(store: Store, put: Put) -> None:
    first = put(acme("1"))
    [new] = warnings(store, first, "SUPPLIER-NEW")
    assert "seller.vat_id DE136695976" in new and "70001 ACME GmbH" in new
    second = put(acme("2", seller=Party(name="Acme")))
    assert warnings(store, second, "SUPPLIER") == []
    with store.db.session() as db:
        [supplier] = db.scalars(select(Supplier)).all()
        assert (supplier.vat_id, supplier.iban, supplier.account) == ("DE136695976", IBAN, 70001)
        linked = db.scalars(select(InvoiceRecord.supplier_id)).all()
        assert linked == [supplier.id, supplier.id]
        from invoice_extractor.matching.suppliers import listing

        [row] = listing(db)
        assert row.invoice_count == 2 and row.last_seen is not None


def test_a_known_supplier_with_another_iban_is_warned(store: Store, put: Put) -> None:
    put(acme("1"))
    changed = put(acme("2", payment=Payment(iban=OTHER_IBAN)))
    [warning] = warnings(store, changed, "SUPPLIER-IBAN")
    assert warning.startswith(f"SUPPLIER-IBAN: payment.iban {OTHER_IBAN} is not the IBAN {IBAN}")
    assert status(store, changed) == "needs_review"
    # The IBAN on file is not replaced by the invoice's: the next one is still warned.
    again = put(acme("3", payment=Payment(iban=OTHER_IBAN)))
    assert warnings(store, again, "SUPPLIER-IBAN")


def test_another_vat_id_for_a_known_name_is_warned(store: Store, put: Put) -> None:
    put(acme("1"))
    changed = put(acme("2", seller=Party(name="ACME GmbH", vat_id="DE 123 456 789")))
    [warning] = warnings(store, changed, "SUPPLIER-VAT")
    assert "seller.vat_id DE123456789 is not the VAT id DE136695976" in warning


def test_a_failed_invoice_is_not_matched(store: Store, put: Put) -> None:
    failed = put(Invoice.failed("x.pdf", "unreadable"))
    assert warnings(store, failed) == []
    with store.db.session() as db:
        assert db.scalars(select(Supplier)).all() == []


def test_same_date_and_total_with_clearly_other_numbers_is_no_duplicate(
    store: Store, put: Put
) -> None:
    put(acme("INV-A-1"))
    second = put(acme("INV-B-2"))
    assert warnings(store, second, "DUPLICATE") == []
