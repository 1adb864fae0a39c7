"""The job queue on SQLite and PostgreSQL, through ``Store`` and ``InProcessQueue`` directly:
exclusive claims, lease take-over, one result per job, giving up, and restarts."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select, text, update

from invoice_extractor.jobs.inprocess import InProcessQueue
from invoice_extractor.model import Invoice
from invoice_extractor.settings import Settings
from invoice_extractor.store.models import FieldRecord, InvoiceRecord, Job, JobState, utcnow
from invoice_extractor.store.repository import Store, StoreChecks

if TYPE_CHECKING:
    from conftest import InvoicePdf

MakeStore = Callable[..., Store]


@pytest.fixture
def make_store(web_settings: Settings) -> Iterator[MakeStore]:
    """A migrated ``Store`` on ``web_settings`` (some settings changed); all disposed afterwards,
    after every queue started on them (``queues``) is stopped."""
    stores: list[Store] = []

    def make(**overrides: Any) -> Store:
        store = Store(Settings.model_validate({**web_settings.model_dump(), **overrides}))
        store.migrate()
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.db.dispose()


@pytest.fixture
def queues() -> Iterator[list[InProcessQueue]]:
    started: list[InProcessQueue] = []
    yield started
    for queue in started:
        queue.stop()


def _jobs(store: Store, count: int, pdf: bytes = b"%PDF-1.4\n%%EOF\n") -> tuple[str, list[int]]:
    session_id, _ = store.create_session()
    ids = [store.add_upload(session_id, f"{n}.pdf", pdf)[1].id for n in range(count)]
    return session_id, ids


def _set(store: Store, job_id: int, **values: Any) -> None:
    with store.db.session() as db:
        db.execute(update(Job).where(Job.id == job_id).values(**values))


def _expire(store: Store, job_id: int) -> None:
    _set(store, job_id, lease_until=utcnow() - timedelta(minutes=5))


def _job(store: Store, job_id: int) -> Job:
    with store.db.session() as db:
        job = db.get(Job, job_id)
        assert job is not None
        return job


def _numbers(store: Store, job_id: int) -> list[object]:
    with store.db.session() as db:
        rows = db.scalars(
            select(InvoiceRecord).where(InvoiceRecord.job_id == job_id).order_by(InvoiceRecord.id)
        )
        return [r.data["invoice_number"] for r in rows]


def _field_rows(store: Store) -> int:
    with store.db.session() as db:
        return db.scalar(select(func.count()).select_from(FieldRecord)) or 0


def _invoice(number: str) -> Invoice:
    return Invoice(file="0.pdf", pages=[1], invoice_number=number, total=Decimal("1.00"))


def _wait_states(store: Store, session_id: str, timeout: float = 30.0) -> list[Job]:
    deadline = time.monotonic() + timeout
    while True:
        jobs = [job for _, job in store.files(session_id)]
        if all(job.state in (JobState.DONE, JobState.FAILED) for job in jobs):
            return jobs
        assert time.monotonic() < deadline, [(j.id, j.state) for j in jobs]
        time.sleep(0.1)


def test_the_database_is_the_one_asked_for(make_store: MakeStore, web_settings: Settings) -> None:
    store = make_store()
    with store.db.session() as db:
        if web_settings.database_url is None:
            assert store.db.engine.dialect.name == "sqlite"
            assert (web_settings.data_dir / "invoice-extractor.db").is_file()
        else:
            assert store.db.engine.dialect.name == "postgresql"
            schema = db.scalar(text("SELECT current_schema()"))
            assert isinstance(schema, str) and schema.startswith("t_")
            tables = db.scalars(
                text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
                {"s": schema},
            ).all()
            assert {"sessions", "files", "jobs", "invoices", "fields", "edits"} <= set(tables)


def test_claims_are_exclusive_under_concurrency(make_store: MakeStore) -> None:
    store = make_store()
    _, ids = _jobs(store, 24)
    dead = ids[::3]  # running under a worker that died: claimable again, as the queued ones
    for job_id in dead:
        assert store.claim(job_id, "dead:1:w0") is not None
        _expire(store, job_id)
    claimed: list[tuple[str, int]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(6)
    lock = threading.Lock()

    def work(name: str) -> None:
        try:
            start.wait()
            while (job := store.claim_next(name)) is not None:
                with lock:
                    claimed.append((name, job.id))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    while (job := store.claim_next("drain")) is not None:  # a claimer may stop early when busy
        claimed.append(("drain", job.id))
    counts = Counter(job_id for _, job_id in claimed)
    assert sorted(counts) == sorted(ids)
    assert [job_id for job_id, n in counts.items() if n > 1] == []
    for name, job_id in claimed:
        job = _job(store, job_id)
        attempts = 2 if job_id in dead else 1
        assert job.worker == name and job.attempts == attempts and job.state == JobState.READING


def test_an_expired_lease_is_taken_over_and_the_late_result_dropped(
    make_store: MakeStore,
) -> None:
    store = make_store()
    _, (job_id,) = _jobs(store, 1)
    first = store.claim_next("host:1:w0")
    assert first is not None and first.id == job_id
    assert store.claim_next("host:2:w0") is None  # the lease still holds

    _expire(store, job_id)
    second = store.claim_next("host:2:w0")
    assert second is not None and second.id == job_id and second.attempts == 2

    assert store.finish(first, "host:1:w0", [_invoice("LATE-1"), _invoice("LATE-2")], 1.0) is False
    assert _numbers(store, job_id) == []
    assert store.finish(second, "host:2:w0", [_invoice("TAKEN-OVER")], 1.0) is True
    assert store.finish(first, "host:1:w0", [_invoice("LATE-1")], 1.0) is False
    assert _numbers(store, job_id) == ["TAKEN-OVER"]
    job = _job(store, job_id)
    assert job.state == JobState.DONE and job.worker == "host:2:w0" and job.lease_until is None

    store.fail(job_id, "host:1:w0", "the first worker's late failure")  # dropped as well
    assert _job(store, job_id).state == JobState.DONE


def test_running_a_job_again_replaces_its_invoices(make_store: MakeStore) -> None:
    store = make_store()
    session_id, (job_id,) = _jobs(store, 1)
    first = store.claim_next("a")
    assert first is not None
    assert store.finish(first, "a", [_invoice("ONE"), _invoice("TWO")], 1.0) is True
    for view in store.invoices(session_id):  # a corrected field has a row
        store.edit(session_id, view.id, {"invoice_number": "EDITED"}, "clerk")
    assert _field_rows(store) == 2
    assert store.finish(first, "a", [_invoice("ONE"), _invoice("TWO")], 1.0) is False  # done
    assert _numbers(store, job_id) == ["ONE", "TWO"]  # as extracted (the JSON)

    _set(store, job_id, state=JobState.QUEUED)  # e.g. re-queued by an operator
    again = store.claim_next("b")
    assert again is not None and again.id == job_id
    assert store.finish(again, "b", [_invoice("THREE")], 1.0) is True
    assert _numbers(store, job_id) == ["THREE"]
    assert len(store.invoices(session_id)) == 1
    assert _field_rows(store) == 0  # no orphaned field rows


def test_a_job_that_keeps_crashing_is_given_up(
    make_store: MakeStore, queues: list[InProcessQueue], invoice_pdf: InvoicePdf
) -> None:
    store = make_store(job_max_attempts=2)
    session_id, (doomed, healthy) = _jobs(store, 2, invoice_pdf())
    # The doomed job's worker died twice already: it is "running" with an expired lease.
    _set(store, doomed, state=JobState.EXTRACTING, worker="dead:1:w0", attempts=2)
    _expire(store, doomed)
    queue = InProcessQueue(store, workers=1, poll_seconds=0.2)
    queues.append(queue)
    queue.start()
    jobs = {job.id: job for job in _wait_states(store, session_id)}
    assert jobs[doomed].state == JobState.FAILED
    error = jobs[doomed].error
    assert error is not None and "gave up" in error
    assert jobs[doomed].attempts == 3
    assert _numbers(store, doomed) == []
    assert jobs[healthy].state == JobState.DONE and jobs[healthy].attempts == 1


def test_a_restarted_queue_picks_up_what_was_left(
    make_store: MakeStore, queues: list[InProcessQueue], invoice_pdf: InvoicePdf
) -> None:
    before = make_store()
    session_id, _ = before.create_session()
    crashed = before.add_upload(session_id, "crashed.pdf", invoice_pdf("INV-7001"))[1]
    claimed = before.claim_next("gone:1:w0")  # its worker dies with the process
    assert claimed is not None and claimed.id == crashed.id
    _expire(before, crashed.id)
    queued = [
        before.add_upload(session_id, f"q{n}.pdf", invoice_pdf(f"Q-{n}"))[1] for n in range(2)
    ]
    before.db.dispose()

    after = make_store()  # the same DATA_DIR and database, as after a restart
    queue = InProcessQueue(after, workers=2, poll_seconds=0.2)
    queues.append(queue)
    queue.start()  # nothing is submitted: the queue finds the jobs in the database
    jobs = {job.id: job for job in _wait_states(after, session_id)}
    assert set(jobs) == {queued[0].id, queued[1].id, crashed.id}
    assert all(job.state == JobState.DONE for job in jobs.values()), jobs
    assert jobs[crashed.id].attempts == 2
    numbers = sorted(view.invoice.invoice_number or "" for view in after.invoices(session_id))
    assert numbers == ["INV-7001", "Q-0", "Q-1"]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_worker_survives_a_failed_write_of_a_result(
    make_store: MakeStore,
    queues: list[InProcessQueue],
    invoice_pdf: InvoicePdf,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = make_store(job_lease_seconds=5)
    real_finish = store.finish_and_claim  # the queue's workers store and claim at once
    calls: list[int] = []

    def flaky_finish(
        job: Job,
        worker: str,
        invoices: list[Invoice],
        seconds: float,
        checks: StoreChecks | None,
    ) -> tuple[bool, Job | None]:
        calls.append(job.id)
        if len(calls) == 1:
            raise RuntimeError("database went away for a moment")
        return real_finish(job, worker, invoices, seconds, checks)

    monkeypatch.setattr(store, "finish_and_claim", flaky_finish)
    session_id, ids = _jobs(store, 2, invoice_pdf())
    queue = InProcessQueue(store, workers=1, poll_seconds=0.2)
    queues.append(queue)
    queue.start()
    # Settled: the second job done, the first failed or (once its 5 s lease ran out) done.
    jobs = _wait_states(store, session_id, timeout=15)
    assert [job.id for job in jobs] == ids and jobs[1].state == JobState.DONE
    assert len(calls) >= 2  # the refused write was the workers' own


def test_each_job_run_counts_its_cpu_for_metrics(
    make_store: MakeStore, queues: list[InProcessQueue], invoice_pdf: InvoicePdf
) -> None:
    from invoice_extractor import metrics

    metrics.reset()
    store = make_store()
    session_id, _ = _jobs(store, 2, invoice_pdf())
    queue = InProcessQueue(store, workers=1, poll_seconds=0.1)
    queues.append(queue)
    queue.start()
    assert all(job.state == JobState.DONE for job in _wait_states(store, session_id))
    queue.stop()
    totals = metrics.totals()
    labels = (("queue", "inprocess"),)
    assert totals[("jobs_run_total", labels)] == 2
    assert 0 < totals[("job_cpu_seconds_total", labels)] < 60
    metrics.reset()


def _claimed_job(store: Store, pdf: bytes) -> Job:
    _, (job_id,) = _jobs(store, 1, pdf)
    job = store.claim(job_id, WORKER)
    assert job is not None
    return job


WORKER = "test:1:q1:w0"


def test_the_purchase_order_check_is_done_before_the_job_shows_done(
    make_store: MakeStore, invoice_pdf: InvoicePdf, monkeypatch: pytest.MonkeyPatch
) -> None:
    from invoice_extractor.jobs.runner import run_job
    from invoice_extractor.matching import po_new

    store = make_store()
    job = _claimed_job(store, invoice_pdf())
    seen: list[JobState] = []
    real = po_new.key_values

    def observed(*args: Any) -> Any:
        seen.append(_job(store, job.id).state)  # on another connection, as a status poll
        return real(*args)

    monkeypatch.setattr(po_new, "key_values", observed)
    run_job(store, job, WORKER)
    assert seen == [JobState.EXTRACTING]  # checked in the write that marks it done
    assert _job(store, job.id).state == JobState.DONE


def test_a_failing_purchase_order_check_leaves_the_invoices_and_the_matchers_keys(
    make_store: MakeStore, invoice_pdf: InvoicePdf, monkeypatch: pytest.MonkeyPatch
) -> None:
    from invoice_extractor.jobs.runner import run_job
    from invoice_extractor.matching import po_new
    from invoice_extractor.store.matching_tables import InvoiceMatch

    store = make_store()
    job = _claimed_job(store, invoice_pdf())

    def failing(*args: Any) -> Any:
        raise RuntimeError("a bug in the check")

    monkeypatch.setattr(po_new, "key_values", failing)
    run_job(store, job, WORKER)
    assert _job(store, job.id).state == JobState.DONE
    with store.db.session() as db:
        (record,) = db.scalars(select(InvoiceRecord).where(InvoiceRecord.job_id == job.id))
        assert record.match_number is not None  # the matcher's work, in the same write
        assert db.scalar(select(func.count()).select_from(InvoiceMatch)) == 0


def test_a_check_failing_among_purchase_orders_is_undone_and_the_invoices_stay(
    make_store: MakeStore, invoice_pdf: InvoicePdf, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With orders to look through the check runs under a savepoint: what it wrote before it
    failed is undone, the invoices and the matcher's keys stay."""
    import json

    from invoice_extractor.jobs.runner import run_job
    from invoice_extractor.matching import po_new
    from invoice_extractor.matching.purchase_orders import import_orders
    from invoice_extractor.store.matching_tables import InvoiceMatch

    store = make_store()
    line = {"description": "Stapler", "quantity": 2, "unit_price": "9.50"}
    order = {"number": "PO-1", "supplier": "Initech", "lines": [line]}
    assert import_orders(store, json.dumps([order]).encode(), "po.json") == ["PO-1"]
    job = _claimed_job(store, invoice_pdf())
    real = po_new.po_check
    checked: list[int] = []

    def failing(*args: Any) -> Any:
        real(*args)
        args[0].flush()  # its match row is written, then undone with the check
        checked.append(args[1])
        raise RuntimeError("a bug in the check")

    monkeypatch.setattr(po_new, "po_check", failing)
    run_job(store, job, WORKER)
    assert _job(store, job.id).state == JobState.DONE and len(checked) == 1
    with store.db.session() as db:
        (record,) = db.scalars(select(InvoiceRecord).where(InvoiceRecord.job_id == job.id))
        assert record.match_number is not None
        assert db.scalar(select(func.count()).select_from(InvoiceMatch)) == 0
