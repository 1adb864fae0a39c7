"""What a job asks of the database beside its result (issue 15, SQLite and PostgreSQL): the seller
memory is looked up only when the claim saw a known seller, a job's first run stores its
invoices without deleting an earlier run's (there is none; a later run replaces them), and the
supplier's row says whether an invoice is its first (no query of the supplier's invoices)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text

from invoice_extractor.extract.embedded.seller_layout import (
    FieldLesson,
    Lesson,
    SellerClues,
    Spot,
)
from invoice_extractor.jobs.runner import run_job
from invoice_extractor.store.repository import Store

if TYPE_CHECKING:
    from conftest import InvoicePdf

WORKER = "test:1:q1:w0"


def _run_one(store: Store, pdf: bytes, worker: str = WORKER) -> tuple[bool | None, int]:
    """Upload ``pdf`` and run its job: what the claim said of the sellers, and how many times
    the job asked the seller memory for layouts."""
    session_id, _ = store.create_session()
    job_id = store.add_upload(session_id, "a.pdf", pdf)[1].id
    job = store.claim(job_id, worker)
    assert job is not None
    asked = []
    book = store.sellers
    original = book.layouts

    def layouts(clues: SellerClues) -> Any:
        asked.append(clues)
        return original(clues)

    book.layouts = layouts  # type: ignore[method-assign]
    try:
        run_job(store, job, worker)
    finally:
        del book.layouts
    return job.sellers_known, len(asked)


def _statements(store: Store, holding: str) -> list[str]:
    """The SQL statements holding ``holding`` (any case) that ``store`` runs from now on."""
    seen: list[str] = []

    def check(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if holding.lower() in statement.lower():
            seen.append(statement)

    event.listen(store.db.engine, "before_cursor_execute", check)
    return seen


def test_the_seller_memory_is_asked_only_when_a_seller_is_known(
    web_store: Store, invoice_pdf: InvoicePdf
) -> None:
    store = web_store
    assert _run_one(store, invoice_pdf("NONE-1")) == (False, 0)
    spot = Spot("total", "labelled", "right", 0, True, 0.7, 0.4, 130.0, 0.0, "9,9")
    lesson = FieldLesson(spot, None, "correction", "2026-12-07", "invoice:1")
    store.sellers.remember(
        Lesson(SellerClues(), "Nordwind Handel GmbH", ("DE811111111",), (), {"total": lesson})
    )
    known, asked = _run_one(store, invoice_pdf("SOME-1"))
    assert known and asked == 1


def test_a_first_run_deletes_no_earlier_result_and_a_second_replaces_it(
    web_store: Store, invoice_pdf: InvoicePdf
) -> None:
    store = web_store
    deletes = _statements(store, "DELETE FROM invoices")
    session_id, _ = store.create_session()
    job_id = store.add_upload(session_id, "a.pdf", invoice_pdf("FIRST-1"))[1].id
    first = store.claim(job_id, "a")
    assert first is not None and first.attempts == 1
    run_job(store, first, "a")
    assert deletes == [] and len(store.invoices(session_id)) == 1

    store.fail(job_id, "a", "failed by hand")  # then retried: its second run
    store.admin.retry(session_id, store.files(session_id)[0][0].id)
    again = store.claim(job_id, "b")
    assert again is not None and again.attempts == 2
    run_job(store, again, "b")
    assert len(deletes) == 1 and len(store.invoices(session_id)) == 1


def test_whether_an_invoice_is_its_suppliers_first_comes_with_the_suppliers_row(
    web_store: Store, invoice_pdf: InvoicePdf
) -> None:
    store = web_store
    firsts = _statements(store, "min(invoices.id)")
    for number in ("SUP-1", "SUP-2"):  # one seller: the second finds its supplier listed
        _run_one(store, invoice_pdf(number))
    assert firsts == []
    with store.db.transaction() as conn:
        linked = conn.execute(text("SELECT count(*), count(DISTINCT supplier_id) FROM invoices"))
        assert tuple(linked.one()) == (2, 1)
