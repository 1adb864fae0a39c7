"""Purchase orders: import (CSV, JSON), refusal of bad files, and the two-way match of stored
invoices, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from invoice_extractor.errors import ImportRefused
from invoice_extractor.matching.purchase_orders import check_job, check_stored, import_orders
from invoice_extractor.matching.views import get_order, list_orders, match_states
from invoice_extractor.settings import Settings
from invoice_extractor.store.repository import Store
from matching_data import PO_CSV, invoice, store_invoices


@pytest.fixture
def store(web_store: Store) -> Store:
    return web_store


def _check(store: Store, inv_id: int) -> tuple[str, list[str]]:
    session_id = _session_of(store, inv_id)
    result = check_stored(store, session_id, inv_id)
    view = store.invoice(session_id, inv_id)
    mine = [w for w in view.invoice.warnings if w.startswith("PO-MISMATCH")]
    assert mine == result.warnings
    return result.status, result.warnings


def _session_of(store: Store, inv_id: int) -> str:
    from invoice_extractor.store.models import InvoiceRecord

    with store.db.session() as db:
        record = db.get(InvoiceRecord, inv_id)
        assert record is not None
        return record.session_id


def test_csv_import_groups_rows_into_orders(store: Store) -> None:
    assert import_orders(store, PO_CSV.encode(), "po.csv") == ["PO-7781", "PO-7790"]
    order = get_order(store, "po 7781")  # the number is found however it is spaced
    assert order is not None
    assert order["supplier"] == "ACME GmbH" and order["net"] == "600.00"
    assert [(line["description"], line["quantity"]) for line in order["lines"]] == [
        ("Widget", "10"),
        ("Gadget", "5"),
    ]
    assert [o["number"] for o in list_orders(store)] == ["PO-7790", "PO-7781"]


def test_json_import_and_reimport_replaces_the_order(store: Store) -> None:
    body = [
        {
            "number": "PO-1",
            "supplier": "Initech",
            "date": "2024-01-02",
            "currency": "EUR",
            "lines": [{"description": "Stapler", "quantity": 2, "unit_price": "9.50"}],
        }
    ]
    assert import_orders(store, json.dumps(body).encode(), "po.json") == ["PO-1"]
    body[0]["lines"] = [{"description": "Stapler", "quantity": 3, "unit_price": "9.50"}]
    import_orders(store, json.dumps({"purchase_orders": body}).encode(), "po2.json")
    order = get_order(store, "PO-1")
    assert order is not None and order["lines"][0]["quantity"] == "3"
    assert order["source"] == "po2.json" and len(list_orders(store)) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (PO_CSV.replace("Gadget,5,", "Gadget,five,"), "line 3: quantity 'five' is not a number"),
        (PO_CSV.replace("2024-03-02", "02.03.2024"), "line 4: date '02.03.2024' is not an ISO"),
        (
            PO_CSV.replace(",unit_price,", ",price,"),
            "line 1: the header lacks column(s) unit_price",
        ),
        (
            PO_CSV.replace("ACME GmbH,2024-03-01,EUR,Gadget", "ACME AG,2024-03-01,EUR,Gadget"),
            "line 3: supplier of PO-7781 differs from its first row (po.csv: line 2)",
        ),
        (PO_CSV + "PO-9,Foo,2024-01-01,EUR,x,1\n", "line 5: 6 cells where the header has 8"),
        ('[{"number": "PO-1", "supplier": "X", "lines": []}]', "purchase_orders[0].lines"),
        (
            '[{"number": "PO-1", "supplier": "X", "lines": [{"description": "a", "quantity": 1, '
            '"unit_price": -2}]}]',
            "purchase_orders[0].lines[0]: unit_price -2 is negative",
        ),
        ('[{"number": "PO-1",\n "supplier": }]', "line 2, column 14: not valid JSON"),
        ("", "the file is empty"),
    ],
)
def test_a_bad_file_is_refused_naming_the_line_and_imports_nothing(
    store: Store, content: str, message: str
) -> None:
    with pytest.raises(ImportRefused) as refused:
        import_orders(store, content.encode(), "po.csv")
    assert message in str(refused.value)
    assert list_orders(store) == []


def test_a_file_over_the_limits_is_refused(web_settings: Settings) -> None:
    settings = web_settings.model_copy(update={"max_import_rows": 2})
    store = Store(settings)
    store.migrate()
    try:
        with pytest.raises(ImportRefused, match="line 4: more than 2 lines"):
            import_orders(store, PO_CSV.encode(), "po.csv")
        assert list_orders(store) == []
    finally:
        store.db.dispose()


def test_invoice_matching_its_po_in_full_is_matched(store: Store) -> None:
    import_orders(store, PO_CSV.encode(), "po.csv")
    (inv_id,) = store_invoices(
        store, [invoice(lines=[("Widget", "10", "50.00"), ("Gadget", "5", "20.00")])]
    )
    assert _check(store, inv_id) == ("matched", [])
    state = match_states(store, [inv_id])[inv_id]
    assert state.po_match == "matched" and state.po_number == "PO-7781"


def test_two_invoices_completing_an_order_go_partial_then_matched(store: Store) -> None:
    import_orders(store, PO_CSV.encode(), "po.csv")
    first, second = store_invoices(
        store,
        [
            invoice("A-1", lines=[("Widget", "4", "50.00")]),
            invoice("A-2", lines=[("Widget", "6", "50.00"), ("Gadget", "5", "20.00")]),
        ],
    )
    assert _check(store, first) == ("partial", [])
    assert _check(store, second) == ("matched", [])


def test_quantity_over_the_order_with_earlier_invoices_is_over_invoiced(store: Store) -> None:
    import_orders(store, PO_CSV.encode(), "po.csv")
    first, second = store_invoices(
        store,
        [
            invoice("B-1", lines=[("Widget", "8", "50.00")]),
            invoice("B-2", lines=[("Widget", "4", "50")]),
        ],
    )
    _check(store, first)
    status, warnings = _check(store, second)
    assert status == "over_invoiced"
    assert warnings == [
        "PO-MISMATCH: line_items.0.quantity 4 (12 with earlier invoices) exceeds PO-7781 line 1 "
        "ordered 10"
    ]
    view = store.invoice(_session_of(store, second), second)
    assert view.invoice.status == "needs_review"


def test_price_and_unknown_line_are_po_mismatches(store: Store) -> None:
    import_orders(store, PO_CSV.encode(), "po.csv")
    (inv_id,) = store_invoices(
        store,
        [
            invoice(
                lines=[("Widget", "10", "52.00"), ("Gadget", "5", "20.10"), ("Freight", "1", "9")]
            )
        ],
    )
    status, warnings = _check(store, inv_id)
    assert status == "over_invoiced"
    assert warnings == [
        "PO-MISMATCH: line_items.0.unit_price 52.00 differs from PO-7781 line 1 price 50.00",
        "PO-MISMATCH: line_items.2 'Freight' is not on PO-7781",
    ]  # 20.10 for 20.00 is within the 1 % price tolerance


def test_price_tolerance_is_a_setting(web_settings: Settings) -> None:
    store = Store(web_settings.model_copy(update={"po_price_tolerance": 5.0}))
    store.migrate()
    try:
        import_orders(store, PO_CSV.encode(), "po.csv")
        (inv_id,) = store_invoices(store, [invoice(lines=[("Widget", "10", "52.00")])])
        assert _check(store, inv_id) == ("partial", [])
    finally:
        store.db.dispose()


def test_invoice_without_po_number_matches_by_supplier_and_amount(store: Store) -> None:
    import_orders(store, PO_CSV.encode(), "po.csv")
    (inv_id,) = store_invoices(
        store,
        [invoice("G-1", po=None, seller="GLOBEX LTD.", lines=[("Consulting day", "3", "800")])],
    )
    assert _check(store, inv_id) == ("matched", [])
    assert match_states(store, [inv_id])[inv_id].po_number == "PO-7790"


def test_unknown_po_number_and_no_po(store: Store) -> None:
    import_orders(store, PO_CSV.encode(), "po.csv")
    unknown, none = store_invoices(
        store, [invoice("C-1", po="PO-0000"), invoice("C-2", po=None, seller="Nobody")]
    )
    assert _check(store, unknown) == (
        "no_po",
        ["PO-MISMATCH: po_number PO-0000 is not a known purchase order"],
    )
    assert _check(store, none) == ("no_po", [])


def test_orders_imported_after_their_invoices_recheck_them(store: Store) -> None:
    session_id, _ = store.create_session()
    (inv_id,) = store_invoices(store, [invoice(lines=[("Widget", "12", "50.00")])], session_id)
    _, job_id = _job_of(store, inv_id)
    check_job(store, job_id)  # the runner's hook: no orders yet
    assert match_states(store, [inv_id])[inv_id].po_match == "no_po"
    import_orders(store, PO_CSV.encode(), "po.csv")
    assert match_states(store, [inv_id])[inv_id].po_match == "over_invoiced"
    assert any(
        w.startswith("PO-MISMATCH: line_items.0.quantity 12")
        for w in store.invoice(session_id, inv_id).invoice.warnings
    )


def _job_of(store: Store, inv_id: int) -> tuple[str, int]:
    from invoice_extractor.store.models import InvoiceRecord

    with store.db.session() as db:
        record = db.get(InvoiceRecord, inv_id)
        assert record is not None
        return record.session_id, record.job_id


def test_po_mismatch_is_in_the_readme_checks_table() -> None:
    from pathlib import Path

    from invoice_extractor.matching.purchase_orders import RULES

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for code, description in RULES:
        assert f"| `{code}` | {description} |" in readme


def test_supplier_vat_id_finds_the_order_when_names_differ(store: Store) -> None:
    csv_text = (
        "po_number,supplier,date,description,quantity,unit_price,supplier_vat_id\n"
        "PO-V1,Muster Handel,2024-03-01,Widget,10,50.00,DE 123 456 789\n"
    )
    import_orders(store, csv_text.encode(), "po.csv")
    inv = invoice("V-1", po=None, seller="MH Vertrieb")
    inv.seller.vat_id = "DE123456789"
    (inv_id,) = store_invoices(store, [inv])
    assert _check(store, inv_id) == ("matched", [])
    assert match_states(store, [inv_id])[inv_id].po_number == "PO-V1"
