"""The job path's cheaper writes (issue 15, SQLite and PostgreSQL): the claim takes the oldest
claimable job (an expired one before younger queued ones; ``test_jobs`` races claimers over
queued and expired jobs); a job's fields, inserted in bulk, read back as the invoice's values; a
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


def test_the_fields_inserted_in_bulk_read_back_as_the_invoices_values(
    web_store: Store, invoice_pdf: InvoicePdf
) -> None:
    store = web_store
    session_id, job = _claimed(store, invoice_pdf("BULK-1"))
    runner.run_job(store, job, "w")
    with store.db.session() as db:
        record = db.scalars(select(InvoiceRecord).where(InvoiceRecord.job_id == job.id)).one()
        rows = db.scalars(
            select(FieldRecord).where(FieldRecord.invoice_id == record.id).order_by(FieldRecord.id)
        ).all()
        evidence: dict[str, Any] = record.data["evidence"]  # type: ignore[assignment]
        stored = [(r.path, r.value, r.confidence) for r in rows]
        assert stored == [
            (path, value, evidence[path]["confidence"] if path in evidence else None)
            for path, value in scalar_paths(record.data)
        ]
        assert ("invoice_number", "BULK-1") in [(path, value) for path, value, _ in stored]
        assert {(r.corrected, r.is_corrected, r.evidence) for r in rows} == {(None, False, None)}
    view = store.edit(session_id, record.id, {"invoice_number": "BULK-2"}, "clerk")
    assert view.invoice.invoice_number == "BULK-2" and view.corrected == ("invoice_number",)


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
