"""Leases of long jobs (issue 15, item 8): a job that runs longer than ``JOB_LEASE_SECONDS`` keeps
its lease while it runs (in-process and Celery), is never taken over or re-sent while its worker
lives, and a job whose worker died is run once more and counted once.

The lease is 2 s (``model_copy`` skips the 5 s floor of the setting) and the job takes 2.5 leases.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from invoice_extractor.jobs import runner
from invoice_extractor.jobs.celery import worker as celery_worker
from invoice_extractor.jobs.celery.sweep import sweep_once
from invoice_extractor.jobs.inprocess import InProcessQueue
from invoice_extractor.store.job_queries import requeue_expired
from invoice_extractor.store.models import Job, JobState, utcnow
from invoice_extractor.store.repository import Store

LEASE = 2
JOB_SECONDS = 2.5 * LEASE


@pytest.fixture
def store(job_store: Store) -> Store:
    return job_store


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Makes every extraction take ``JOB_SECONDS``; counts the runs by file name."""
    counted: Counter[str] = Counter()
    real = runner.extract_document

    def slow(document: Any, **kwargs: Any) -> Any:
        counted[document.name] += 1
        time.sleep(JOB_SECONDS)
        return real(document, **kwargs)

    monkeypatch.setattr(runner, "extract_document", slow)
    return counted


def _job(store: Store, job_id: int) -> Job:
    with store.db.session() as db:
        job = db.get(Job, job_id)
        assert job is not None
        return job


def _wait_done(store: Store, job_ids: list[int], timeout: float) -> list[Job]:
    deadline = time.monotonic() + timeout
    while True:
        jobs = [_job(store, job_id) for job_id in job_ids]
        if all(job.state in (JobState.DONE, JobState.FAILED) for job in jobs):
            return jobs
        assert time.monotonic() < deadline, [(job.id, job.state) for job in jobs]
        time.sleep(0.1)


@pytest.mark.job_settings(job_lease_seconds=LEASE)
def test_a_long_in_process_job_keeps_its_lease_and_runs_once(
    store: Store, runs: Counter[str], invoice_pdf: Any
) -> None:
    session_id, _ = store.create_session()
    job_id = store.add_upload(session_id, "long.pdf", invoice_pdf("LONG-1"))[1].id
    # Two queues as two web processes: each has an idle worker that would take an expired job.
    queues = [InProcessQueue(store, workers=2, poll_seconds=0.1) for _ in range(2)]
    assert queues[0].prefix != queues[1].prefix
    try:
        for queue in queues:
            queue.start()
        expired_seen: list[int] = []
        deadline = time.monotonic() + JOB_SECONDS + 20
        while _job(store, job_id).state != JobState.DONE:
            assert time.monotonic() < deadline
            expired_seen += requeue_expired(store.db)  # what a Celery sweep would take back
            time.sleep(0.2)
    finally:
        for queue in queues:
            queue.stop()
    job = _job(store, job_id)
    assert expired_seen == []
    assert runs == {"long.pdf": 1}
    assert (job.state, job.attempts) == (JobState.DONE, 1)
    assert store.count_invoices(session_id) == 1


@pytest.mark.job_settings(job_lease_seconds=LEASE)
def test_a_job_whose_worker_died_runs_once_more_and_counts_once(
    store: Store, runs: Counter[str], invoice_pdf: Any
) -> None:
    session_id, _ = store.create_session()
    job_id = store.add_upload(session_id, "crashed.pdf", invoice_pdf("CRASH-1"))[1].id
    assert store.claim(job_id, "dead-host:1:w0") is not None  # then the process died
    with store.db.session() as db:
        db.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(state=JobState.EXTRACTING, lease_until=utcnow() - timedelta(seconds=1))
        )
    queue = InProcessQueue(store, workers=3, poll_seconds=0.1)
    try:
        queue.start()
        (job,) = _wait_done(store, [job_id], timeout=JOB_SECONDS + 20)
    finally:
        queue.stop()
    assert runs == {"crashed.pdf": 1}
    assert (job.state, job.attempts) == (JobState.DONE, 2)
    assert store.count_invoices(session_id) == 1


@pytest.mark.job_settings(job_lease_seconds=LEASE)
def test_a_long_celery_job_keeps_its_lease_against_redelivery_and_the_sweep(
    store: Store, runs: Counter[str], invoice_pdf: Any
) -> None:
    session_id, _ = store.create_session()
    job_id = store.add_upload(session_id, "long.pdf", invoice_pdf("LONG-2"))[1].id
    outcome: list[str] = []
    first = threading.Thread(target=lambda: outcome.append(celery_worker.execute(job_id)))
    first.start()
    sent: list[int] = []
    redelivered: list[str] = []
    try:
        # After more than a lease: Redis hands the unacknowledged message out again, and the
        # sweep looks for expired leases; neither may take the job from its running worker.
        time.sleep(LEASE * 1.6)
        redelivered.append(celery_worker.execute(job_id))
        sweep_once(store, lambda: 0, sent.append, grace=0.0)
    finally:
        first.join(timeout=JOB_SECONDS + 20)
    assert redelivered == ["nothing to do: done, failed or held by a live worker"]
    assert sent == []
    assert outcome == ["ran (attempt 1)"]
    assert runs == {"long.pdf": 1}
    job = _job(store, job_id)
    assert (job.state, job.attempts) == (JobState.DONE, 1)
