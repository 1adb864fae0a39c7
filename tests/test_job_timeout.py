"""Every job has a wall-clock bound (issue 15): a job still running ``JOB_TIMEOUT_SECONDS`` after
its claim fails with a timeout error even when the code it is stuck in cannot be interrupted (as
tesseract's layout analysis cannot: docs/deployment.md), is not retried, and its late result is
dropped; the in-process queue replaces the stuck worker thread (at most ``workers`` given up at
a time), and a Celery worker's time limits come from the same setting.

The hang is an extraction that waits on an ``Event`` ignoring the queue's stop, as C code would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded  # type: ignore[import-untyped]

from invoice_extractor.jobs import runner
from invoice_extractor.jobs.celery import worker as celery_worker
from invoice_extractor.jobs.celery.config import make_app
from invoice_extractor.jobs.inprocess import InProcessQueue
from invoice_extractor.jobs.runner import timeout_error
from invoice_extractor.store.models import Job, JobState
from invoice_extractor.store.repository import Store

if TYPE_CHECKING:
    from conftest import InvoicePdf

TIMEOUT = 1  # seconds (the marker skips the setting's 10 s floor)
HUNG = "hung"  # files whose name starts with this hang in extraction until released


@pytest.fixture
def store(job_store: Store) -> Store:
    return job_store


@pytest.fixture
def release(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Makes the extraction of the ``HUNG`` files wait until the event is set (set at the end)."""
    event = threading.Event()
    real = runner.extract_document

    def extract(document: Any, **kwargs: Any) -> Any:
        if document.name.startswith(HUNG):
            event.wait()  # no timeout, deaf to the queue's stop: as code that cannot be stopped
        return real(document, **kwargs)

    monkeypatch.setattr(runner, "extract_document", extract)
    yield event
    event.set()


def _job(store: Store, job_id: int) -> Job:
    with store.db.session() as db:
        job = db.get(Job, job_id)
        assert job is not None
        return job


def _until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.05)


def _ended(store: Store, *job_ids: int) -> Callable[[], bool]:
    ended = (JobState.DONE, JobState.FAILED)
    return lambda: all(_job(store, job_id).state in ended for job_id in job_ids)


@pytest.mark.job_settings(job_timeout_seconds=TIMEOUT)
def test_a_hung_job_fails_at_the_timeout_and_its_worker_is_replaced(
    store: Store, release: threading.Event, invoice_pdf: InvoicePdf
) -> None:
    session_id, _ = store.create_session()
    hung = store.add_upload(session_id, f"{HUNG}.pdf", invoice_pdf("HUNG-1"))[1].id
    queue = InProcessQueue(store, workers=1, poll_seconds=0.1)
    try:
        queue.start()
        _until(lambda: _job(store, hung).state == JobState.EXTRACTING)
        # Its only worker is stuck: a later file still runs, on the thread that replaced it.
        after = store.add_upload(session_id, "after.pdf", invoice_pdf("AFTER-1"))[1].id
        queue.submit(after)
        _until(_ended(store, hung, after))
        ok, detail = queue.health()
        assert ok, detail
        assert "1 stuck" in detail
        release.set()  # the stuck run ends: its result must not overwrite the failure
        _until(lambda: "stuck" not in queue.health()[1])
    finally:
        release.set()
        queue.stop()
    job = _job(store, hung)
    assert (job.state, job.error, job.attempts) == (JobState.FAILED, timeout_error(TIMEOUT), 1)
    assert _job(store, after).state == JobState.DONE
    assert store.count_invoices(session_id) == 1  # the after.pdf's, none of the hung run


@pytest.mark.job_settings(job_timeout_seconds=TIMEOUT)
def test_stuck_threads_are_bounded_and_replaced_once_they_return(
    store: Store, release: threading.Event, invoice_pdf: InvoicePdf
) -> None:
    session_id, _ = store.create_session()
    hung = [
        store.add_upload(session_id, f"{HUNG}-{n}.pdf", invoice_pdf(f"H-{n}"))[1].id for n in (1, 2)
    ]
    queue = InProcessQueue(store, workers=1, poll_seconds=0.1)
    try:
        queue.start()
        _until(_ended(store, *hung))
        # Two given up, with one worker: the second is not replaced, and the queue says so.
        _until(lambda: "2 stuck" in queue.health()[1])
        ok, detail = queue.health()
        assert not ok and "1 of 2" in detail, detail  # the heartbeat alone
        release.set()
        _until(lambda: queue.health()[0])
    finally:
        release.set()
        queue.stop()
    assert [_job(store, i).error for i in hung] == [timeout_error(TIMEOUT)] * 2
    assert store.count_invoices(session_id) == 0


@pytest.mark.job_settings(job_timeout_seconds=120)
def test_celery_time_limits_come_from_the_job_timeout(store: Store) -> None:
    conf = make_app(store.settings).conf
    assert conf.task_soft_time_limit == 120
    assert conf.task_time_limit > 120


def test_a_celery_job_past_its_soft_time_limit_fails_with_the_timeout_error(
    store: Store, monkeypatch: pytest.MonkeyPatch, invoice_pdf: InvoicePdf
) -> None:
    def interrupted(document: Any, **kwargs: Any) -> Any:
        raise SoftTimeLimitExceeded()  # as Celery raises it in the task at the soft limit

    monkeypatch.setattr(runner, "extract_document", interrupted)
    session_id, _ = store.create_session()
    job_id = store.add_upload(session_id, "slow.pdf", invoice_pdf("SLOW-1"))[1].id
    error = timeout_error(store.settings.job_timeout_seconds)
    assert celery_worker.execute(job_id) == error
    job = _job(store, job_id)
    assert (job.state, job.error, job.attempts) == (JobState.FAILED, error, 1)


def test_a_celery_job_killed_at_its_hard_time_limit_fails_and_its_late_result_is_dropped(
    store: Store, invoice_pdf: InvoicePdf
) -> None:
    session_id, _ = store.create_session()
    job_id = store.add_upload(session_id, "stuck.pdf", invoice_pdf("STUCK-1"))[1].id
    pool_process = "host:4242:c1"
    job = store.claim(job_id, pool_process)
    assert job is not None
    task = celery_worker.register(make_app(store.settings))
    # What the worker's main process calls once it killed the pool process at the hard limit.
    task.on_failure(TimeLimitExceeded(60), "task-id", (job_id,), {}, None)
    error = timeout_error(store.settings.job_timeout_seconds)
    assert (_job(store, job_id).state, _job(store, job_id).error) == (JobState.FAILED, error)
    assert store.finish(job, pool_process, [], 1.0) is False  # a run that came back: dropped
    assert _job(store, job_id).state == JobState.FAILED
