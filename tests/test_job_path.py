"""The job path's cheaper writes (issue 15, SQLite and PostgreSQL): the claim takes the oldest
claimable job (an expired one before younger queued ones; ``test_jobs`` races claimers over
queued and expired jobs); a job writes no field row, a correction writes its field's row with
the value and confidence as extracted; a
job's progress, published by the in-process queue's heartbeat, shows on a long job and never
undoes a done one; and the jobs' counters reach the metrics file at the heartbeat's flush (or the
queue's stop), not at every job."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select, update

from invoice_extractor import metrics
from invoice_extractor.jobs import runner
from invoice_extractor.jobs.inprocess import InProcessQueue
from invoice_extractor.store.invoice_rows import scalar_paths
from invoice_extractor.store.models import FieldRecord, InvoiceRecord, Job, JobState, utcnow
from invoice_extractor.store.repository import Store

if TYPE_CHECKING:
    from conftest import InvoicePdf


def _jobs(store: Store, count: int) -> list[int]:
    session_id, _ = store.create_session()
    return [store.add_upload(session_id, f"{n}.pdf", b"%PDF-1.4\n")[1].id for n in range(count)]


def _expire(store: Store, job_ids: list[int]) -> None:
    with store.db.session() as db:
        db.execute(
            update(Job)
            .where(Job.id.in_(job_ids))
            .values(lease_until=utcnow() - timedelta(minutes=5))
        )


def _claimed(store: Store, pdf: bytes) -> tuple[str, Job]:
    """A new session with ``pdf`` uploaded, and its job claimed by worker ``w``."""
    session_id, _ = store.create_session()
    job = store.claim(store.add_upload(session_id, "a.pdf", pdf)[1].id, "w")
    assert job is not None
    return session_id, job


def _state(store: Store, job_id: int) -> str:
    with store.db.session() as db:
        state = db.scalar(select(Job.state).where(Job.id == job_id))
        assert state is not None
        return state


def test_the_oldest_claimable_job_comes_first_an_expired_one_before_younger_queued_ones(
    web_store: Store,
) -> None:
    store = web_store
    ids = _jobs(store, 7)
    taken = [store.claim_next("dead:1:w0") for _ in range(4)]
    assert [job.id for job in taken if job is not None] == ids[:4]
    _expire(store, [ids[1], ids[2]])  # their worker died; ids[0] and ids[3] still hold leases
    assert store.claim(ids[5], "other:1:w0") is not None  # out of turn: no longer queued
    order = []
    while (job := store.claim_next("live:1:w0")) is not None:
        order.append((job.id, job.attempts))
    assert order == [(ids[1], 2), (ids[2], 2), (ids[4], 1), (ids[6], 1)]


def test_a_job_writes_no_field_rows_and_a_correction_writes_its_field_as_extracted(
    web_store: Store, invoice_pdf: InvoicePdf
) -> None:
    store = web_store
    session_id, job = _claimed(store, invoice_pdf("LAZY-1"))
    runner.run_job(store, job, "w")

    def rows(invoice_id: int) -> list[tuple[Any, ...]]:
        with store.db.session() as db:
            found = db.scalars(select(FieldRecord).where(FieldRecord.invoice_id == invoice_id))
            return [(r.path, r.value, r.confidence, r.corrected, r.is_corrected) for r in found]

    with store.db.session() as db:
        record = db.scalars(select(InvoiceRecord).where(InvoiceRecord.job_id == job.id)).one()
        data: dict[str, Any] = record.data
    assert rows(record.id) == []
    view = store.edit(session_id, record.id, {"invoice_number": "LAZY-2"}, "clerk")
    assert view.invoice.invoice_number == "LAZY-2" and view.corrected == ("invoice_number",)
    confidence = data["evidence"]["invoice_number"]["confidence"]
    assert confidence is not None
    assert rows(record.id) == [("invoice_number", "LAZY-1", confidence, "LAZY-2", True)]
    assert [(e.old_value, e.new_value) for e in store.edits(session_id, record.id)] == [
        ("LAZY-1", "LAZY-2")
    ]
    # Entered as it was read: confirmed (a row), not corrected, and no edit logged.
    total = dict(scalar_paths(data))["total"]
    view = store.edit(session_id, record.id, {"total": total}, "clerk")
    assert view.corrected == ("invoice_number",)
    assert len(store.edits(session_id, record.id)) == 1


def test_a_state_published_late_never_undoes_done(
    web_store: Store, invoice_pdf: InvoicePdf
) -> None:
    store = web_store
    noted: list[JobState] = []
    _, job = _claimed(store, invoice_pdf("LATE-1"))
    runner.run_job(store, job, "w", progress=noted.append)
    assert noted == [JobState.EXTRACTING] and _state(store, job.id) == JobState.DONE
    store.set_state(job.id, "w", JobState.EXTRACTING)  # the heartbeat's write, after the finish
    assert _state(store, job.id) == JobState.DONE


def test_a_long_in_process_job_shows_extracting_while_it_runs(
    web_store: Store, invoice_pdf: InvoicePdf, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = web_store
    release = threading.Event()
    real = runner.extract_document

    def held(document: Any, **kwargs: Any) -> Any:
        release.wait(60)
        return real(document, **kwargs)

    monkeypatch.setattr(runner, "extract_document", held)
    session_id, _ = store.create_session()
    job_id = store.add_upload(session_id, "a.pdf", invoice_pdf("LONG-1"))[1].id
    queue = InProcessQueue(store, workers=1, poll_seconds=0.1)
    queue.start()
    try:
        seen = []
        deadline = time.monotonic() + 30
        while JobState.EXTRACTING not in seen and time.monotonic() < deadline:
            seen.append(_state(store, job_id))
            time.sleep(0.05)
        release.set()
        while _state(store, job_id) != JobState.DONE and time.monotonic() < deadline + 30:
            time.sleep(0.05)
    finally:
        release.set()
        queue.stop()
    assert seen[-1] == JobState.EXTRACTING
    assert set(seen) <= {JobState.QUEUED, JobState.READING, JobState.EXTRACTING}
    assert _state(store, job_id) == JobState.DONE
    assert store.count_invoices(session_id) == 1


def test_a_stored_result_claims_the_workers_next_job_in_its_transaction(
    web_store: Store,
) -> None:
    store = web_store
    ids = _jobs(store, 3)
    first = store.claim_next("w:1:w0")
    assert first is not None and first.id == ids[0]
    stored, after = store.finish_and_claim(first, "w:1:w0", [], 0.1, None)
    assert stored and after is not None
    assert (after.id, after.worker, after.attempts) == (ids[1], "w:1:w0", 1)
    assert after.file_name == "1.pdf" and after.lease_until is not None
    assert [_state(store, i) for i in ids] == [JobState.DONE, JobState.READING, JobState.QUEUED]
    # A late result (another worker took the job over) claims nothing.
    assert store.finish_and_claim(after, "other:1:w0", [], 0.1, None) == (False, None)
    assert _state(store, ids[2]) == JobState.QUEUED
    assert store.finish(after, "w:1:w0", [], 0.1) is True  # without a claim
    assert _state(store, ids[2]) == JobState.QUEUED


@pytest.mark.parametrize("stop_while", ["extracting", "storing"])
def test_a_stopping_worker_leaves_its_next_job_in_the_queue(
    web_store: Store, invoice_pdf: InvoicePdf, monkeypatch: pytest.MonkeyPatch, stop_while: str
) -> None:
    # A stop while the first job is read: its result claims nothing (asked when it is stored).
    # A stop just after the result claimed the next job: that one goes back to the queue at once.
    store = web_store
    session_id, _ = store.create_session()
    first, second = (
        store.add_upload(session_id, f"{n}.pdf", invoice_pdf(f"STOP-{n}"))[1].id for n in (1, 2)
    )
    queue = InProcessQueue(store, workers=1, poll_seconds=0.1)
    real_extract, real_finish = runner.extract_document, store.finish_and_claim
    chained: list[int | None] = []

    def stop_extracting(document: Any, **kwargs: Any) -> Any:
        queue._stop.set()
        return real_extract(document, **kwargs)

    def stop_storing(*args: Any, claim: bool = True) -> Any:
        stored, after = real_finish(*args, claim=claim)
        if claim:  # not ``Store.finish``, which stores without a claim through this
            chained.append(after.id if after else None)
            queue._stop.set()
        return stored, after

    if stop_while == "extracting":
        monkeypatch.setattr(runner, "extract_document", stop_extracting)
    monkeypatch.setattr(store, "finish_and_claim", stop_storing)
    queue.start()
    deadline = time.monotonic() + 60
    while _state(store, first) != JobState.DONE:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    queue.stop()
    assert chained == ([] if stop_while == "extracting" else [second])
    with store.db.session() as db:
        job = db.get(Job, second)
        assert job is not None
        assert (job.state, job.worker, job.attempts) == (JobState.QUEUED, None, 0)


def _written_runs(directory: Path) -> float:
    """This process's ``jobs_run_total`` of the in-process queue as its metrics file holds it."""
    path = directory / f"{socket.gethostname()}-{os.getpid()}.json"
    entries = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
    return sum(
        entry["value"]
        for entry in entries
        if entry["name"] == "jobs_run_total" and entry["labels"] == [["queue", "inprocess"]]
    )


def test_in_process_job_counts_reach_the_metrics_file_at_a_flush_not_per_job(
    web_store: Store, invoice_pdf: InvoicePdf, tmp_path: Path
) -> None:
    directory = tmp_path / "metrics"
    metrics.reset()  # before: configure writes what the process counted so far
    metrics.configure(directory)
    try:
        runner.count_run("inprocess", time.thread_time(), write=False)
        assert _written_runs(directory) == 0
        metrics.flush()
        assert _written_runs(directory) == 1
        session_id, _ = web_store.create_session()
        web_store.add_upload(session_id, "a.pdf", invoice_pdf("COUNT-1"))
        queue = InProcessQueue(web_store, workers=1, poll_seconds=0.1)
        queue.start()
        try:
            deadline = time.monotonic() + 30
            while web_store.files(session_id)[0][1].state != JobState.DONE:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        finally:
            queue.stop()  # writes what the heartbeat had not yet
        assert _written_runs(directory) == 2
    finally:
        metrics.reset()
        metrics.configure(None)
