"""Payment matching against stored invoices of every session, on SQLite and PostgreSQL: paid
with the transaction shown, unmatched transactions and overdue invoices listed, a refused or
repeated statement importing nothing."""

from __future__ import annotations

from datetime import date

import pytest

from invoice_extractor.errors import ImportRefused
from invoice_extractor.matching.payments import import_statement, overdue, rematch, transactions
from invoice_extractor.matching.views import match_states
from invoice_extractor.store.repository import Store
from matching_data import ACME_IBAN, Entry, camt053, invoice, mt940, store_invoices


@pytest.fixture
def store(web_store: Store) -> Store:
    return web_store


def _two_sessions(store: Store) -> tuple[int, int, int]:
    """Three unpaid invoices of 595.00 (500 net + 19 %) in two sessions."""
    (a,) = store_invoices(store, [invoice("INV-2024-0042")])
    b, c = store_invoices(
        store,
        [
            invoice("INV-2024-0043", iban=None),
            invoice("INV-2024-0044", iban="GB33BUKB20201555555555"),
        ],
    )
    return a, b, c


@pytest.mark.parametrize("build", [camt053, mt940], ids=["camt053", "mt940"])
def test_statement_pays_invoices_of_every_session(store: Store, build: object) -> None:
    a, b, c = _two_sessions(store)
    entries = [
        Entry("595.00", date(2024, 3, 20), ustrd="Rechnung INV-2024-0042"),  # reference + IBAN
        Entry("595.00", date(2024, 3, 21), ustrd="INV-2024-0043", iban=None),  # reference only
        Entry("77.00", date(2024, 3, 22), ustrd="Unknown"),  # no invoice of that amount
    ]
    result = import_statement(store, build(entries), "march.stmt")  # type: ignore[operator]
    assert (result.transactions, result.matched) == (3, 2)
    states = match_states(store, [a, b, c])
    assert states[a].payment_status == "paid" and states[a].paid_on == "2024-03-20"
    assert states[a].transaction is not None
    assert states[a].transaction["match_reason"] == "reference INV-2024-0042 + IBAN + amount"
    assert states[b].payment_status == "paid" and states[c].payment_status == "unpaid"
    unmatched = transactions(store, unmatched=True)
    assert [(t["amount"], t["reference"]) for t in unmatched] == [("77.00", "Unknown")]


def test_iban_and_amount_alone_match_but_a_tie_is_left_unmatched(store: Store) -> None:
    first, second = store_invoices(store, [invoice("X-1"), invoice("X-2")])  # same IBAN, amount
    result = import_statement(store, camt053([Entry("595.00", date(2024, 3, 20))]), "s.xml")
    assert result.matched == 0  # two invoices fit equally: a person decides
    (third,) = store_invoices(store, [invoice("Y-1", iban="GB33BUKB20201555555555")])
    data = camt053([Entry("595.00", date(2024, 3, 25), iban="GB33BUKB20201555555555")])
    assert import_statement(store, data, "s2.xml").matched == 1
    assert match_states(store, [third])[third].payment_status == "paid"
    states = match_states(store, [first, second])
    assert states[first].payment_status == states[second].payment_status == "unpaid"


def test_rf_creditor_reference_and_date_window(store: Store) -> None:
    (inv,) = store_invoices(store, [invoice("539007547034", iban=None)])
    late = Entry("595.00", date(2024, 9, 1), creditor_ref="RF18539007547034", iban=None)
    assert import_statement(store, camt053([late]), "late.xml").matched == 0  # after due + 60 d
    early = Entry("595.00", date(2024, 3, 1), creditor_ref="RF18539007547034", iban=None)
    assert import_statement(store, camt053([early]), "early.xml").matched == 0  # before issue
    ok = Entry("595.00", date(2024, 4, 10), creditor_ref="RF18539007547034", iban=None)
    assert import_statement(store, camt053([ok]), "ok.xml").matched == 1
    state = match_states(store, [inv])[inv]
    assert state.transaction is not None
    assert state.transaction["creditor_reference"] == "RF18539007547034"


def test_payment_booked_before_its_invoice_arrived_is_matched_later(store: Store) -> None:
    data = camt053([Entry("595.00", date(2024, 3, 20), ustrd="INV-9")])
    assert import_statement(store, data, "s.xml").matched == 0
    (inv,) = store_invoices(store, [invoice("INV-9")])
    assert rematch(store) == 1
    assert match_states(store, [inv])[inv].payment_status == "paid"


def test_a_refused_statement_stores_nothing_and_a_repeat_is_refused(store: Store) -> None:
    store_invoices(store, [invoice()])
    good = [Entry("595.00", date(2024, 3, 20), ustrd="INV-2024-0042")]
    bad = camt053([*good, Entry("10.00", date(2024, 3, 21))]).decode()
    bad = bad.replace('<Amt Ccy="EUR">10.00</Amt>', '<Amt Ccy="EUR">ten</Amt>', 1)
    with pytest.raises(ImportRefused, match=r"line \d+ \(entry 2\): Amt 'ten'"):
        import_statement(store, bad.encode(), "bad.xml")
    assert transactions(store) == []
    import_statement(store, camt053(good), "good.xml")
    with pytest.raises(ImportRefused, match="imported already"):
        import_statement(store, camt053(good), "again.xml")
    assert len(transactions(store)) == 1


def test_overdue_lists_unpaid_invoices_past_due(store: Store) -> None:
    paid, late, no_due, future = store_invoices(
        store,
        [
            invoice("P-1"),
            invoice("L-1", iban=None, due=date(2024, 3, 31)),
            invoice("N-1", iban=None, due=None, issued=date(2024, 2, 1)),  # due 30 days later
            invoice("F-1", iban=None, due=date(2024, 12, 31)),
        ],
    )
    import_statement(store, camt053([Entry("595.00", date(2024, 3, 20), ustrd="P-1")]), "s.xml")
    found = overdue(store, today=date(2024, 6, 1))
    assert [(o["invoice_number"], o["due_date"]) for o in found] == [
        ("N-1", "2024-03-02"),
        ("L-1", "2024-03-31"),
    ]
    assert found[1]["days_overdue"] == 62 and found[1]["amount"] == "595.00"
    assert match_states(store, [paid])[paid].payment_status == "paid"
    assert {late, no_due, future}.isdisjoint(
        {o["invoice_id"] for o in overdue(store, date(2024, 1, 1))}
    )


def test_acme_iban_fixture_is_valid() -> None:
    from invoice_extractor.ids import is_valid_iban

    assert is_valid_iban(ACME_IBAN) and is_valid_iban("GB33BUKB20201555555555")


def test_migration_0004_builds_the_tables_the_models_describe(store: Store) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import invoice_extractor.store.matching_tables as tables
    from invoice_extractor.store.models import Base

    mine = {
        t.__tablename__
        for t in (
            tables.PurchaseOrder,
            tables.PurchaseOrderLine,
            tables.InvoiceMatch,
            tables.BankStatement,
            tables.BankTransaction,
        )
    }
    with store.db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diff if any(name in repr(d) for name in mine)] == []
