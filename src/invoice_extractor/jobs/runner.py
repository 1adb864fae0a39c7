"""One extraction job, start to end: read the stored upload, run the pipeline, store the result.

Every run is keyed by the worker that claimed the job: if its lease ran out and another worker took
over, this run's result is dropped (``Store.finish`` checks), so a job that runs twice writes once.

A store that cannot take a write (full disk) or a database that does not answer is not the job's
fault: the step that failed is tried again with back-off while the worker keeps the job (and its
lease), one warning line per try; only when that lasts too long does the error reach the worker
loop, which releases the job to the queue (``Store.release``) without counting the attempt.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection

from .. import metrics
from ..errors import DatabaseUnavailable, InvoiceExtractorError, NotFound, StorageError
from ..ingest.loader import load_bytes
from ..matching import po_new
from ..matching import service as matching
from ..model import Invoice
from ..pipeline import extract_document
from ..store.invoice_rows import NewInvoice
from ..store.models import Job, JobState
from ..store.repository import Store

log = logging.getLogger(__name__)

RETRYABLE = (StorageError, DatabaseUnavailable)
# Seconds between tries of a step the store refused; after the last the job goes back to the queue.
RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)

T = TypeVar("T")
Wait = Callable[[float], bool]
"""Sleeps up to that many seconds; True when the worker is stopping (then no more tries)."""
Progress = Callable[[JobState], None]
"""Told the job's new running state (``extracting``); ``run_job`` writes it at once without one,
the in-process queue publishes it only if the job still runs at its heartbeat's next tick."""


def _sleep(seconds: float) -> bool:
    time.sleep(seconds)
    return False


def run_job(
    store: Store,
    job: Job,
    worker: str,
    wait: Wait = _sleep,
    progress: Progress | None = None,
    stops: tuple[type[BaseException], ...] = (),
    *,
    claim_next: Callable[[], bool] | None = None,
) -> Job | None:
    """Run the job; raises one of ``RETRYABLE`` when the store stayed unusable through the
    back-off (the caller releases the job), never records such an error as the job's. An
    exception of ``stops`` (a time limit's) reaches the caller too, not recorded either. When
    ``claim_next()`` says so as the result is stored (asked then, not when the job started: a
    worker told to stop meanwhile claims nothing), the worker's next job claimed in the
    transaction that stores this one's result (``Store.finish_and_claim``), which the caller
    then runs; else (and after a failed job) None."""
    started = time.perf_counter()
    if progress is None:
        progress = functools.partial(store.set_state, job.id, worker)
    outcome = _retrying(job.id, wait, lambda: _extract(store, job, progress, stops))
    if isinstance(outcome, str):
        _retrying(job.id, wait, lambda: store.fail(job.id, worker, outcome))
        return None
    invoices, sha256 = outcome
    # Written once or not at all: a job is never done without its invoices.
    seconds = time.perf_counter() - started

    def finish() -> tuple[bool, Job | None]:  # each try its own checks (the lock taken again)
        checks = JobChecks(store, job.session_id, sha256)
        if claim_next is not None and claim_next():
            return store.finish_and_claim(job, worker, invoices, seconds, checks)
        return store.finish(job, worker, invoices, seconds, checks), None

    return _retrying(job.id, wait, finish)[1]


class JobChecks:
    """The duplicate, supplier and purchase-order checks run in the transaction that stores the
    invoices: no reader sees the job done before its invoices carry their warnings. The rows are
    written as the checks completed them, not read again nor updated after (``Store.finish``)."""

    def __init__(self, store: Store, session_id: str, sha256: str) -> None:
        self.store, self.session_id, self.sha256 = store, session_id, sha256
        self.locked = False

    def before_insert(self, db: Connection, new: NewInvoice) -> None:
        if not self.locked:  # once per transaction (each try of ``finish`` has its own checks)
            matching.lock(db, self.store)
            self.locked = True
        matching.check_new(db, self.store, self.session_id, self.sha256, new)

    def after_insert(self, db: Connection, stored: list[NewInvoice]) -> None:
        po_new.check_new(db, stored, self.session_id, self.store.settings)


def count_run(queue: str, cpu_started: float, *, write: bool = True) -> None:
    """One job run and the CPU its thread spent on it since ``cpu_started`` (``thread_time``):
    what ``/metrics`` reports as the job path's cost, beside the requests'. Without ``write``
    the process's metrics file is left to the caller's next ``metrics.flush``."""
    labels = {"queue": queue}
    cpu = max(0.0, time.thread_time() - cpu_started)
    increments = [("job_cpu_seconds_total", labels, cpu), ("jobs_run_total", labels, 1.0)]
    metrics.inc_many(increments, write=write)


def release_quietly(store: Store, job: Job, worker: str, exc: Exception) -> None:
    """After ``run_job`` raised one of ``RETRYABLE``: back to the queue, not counted as a failed
    attempt; when even that write fails, the job's lease runs out and it is taken again."""
    log.warning("job %s goes back to the queue: %s", job.id, exc)
    try:
        store.release(job.id, worker)
    except RETRYABLE as again:
        log.warning("job %s is left to its lease (%s)", job.id, again)


def timeout_error(seconds: int) -> str:
    """The error of a job stopped at ``JOB_TIMEOUT_SECONDS``, the same on both queues."""
    return f"stopped after {seconds} s (JOB_TIMEOUT_SECONDS): reading the file took too long"


def _extract(
    store: Store, job: Job, progress: Progress, stops: tuple[type[BaseException], ...]
) -> tuple[list[Invoice], str] | str:
    """The job's invoices and its file's SHA-256, or the message it failed with."""
    settings = store.settings
    try:
        name, sha256 = job.file_name, job.file_sha256  # read by the claim
        if name is None or sha256 is None:  # its file went between the claim's two reads
            raise NotFound("no such file")
        data = store.blobs.get(sha256)
        document = load_bytes(
            data,
            name,
            max_pages=settings.max_pages,
            max_bytes=settings.max_file_mb * 1024 * 1024,
            ocr_engine=settings.ocr_engine,
        )
        store.pages.remember_views(sha256, document.pages)
        progress(JobState.EXTRACTING)
        # Without EXTRACTOR set, the web uses auto when an LLM key is configured.
        web = settings.web_extractor
        try:
            invoices = extract_document(
                document,
                settings=settings,
                extractor=None if web == settings.extractor else web,
                memory=store.sellers,
                # No seller known at the claim: none to look up (an e-invoice still teaches).
                recall=job.sellers_known is None or bool(job.sellers_known),
            )
            return invoices, sha256
        finally:
            # As the CLI does: freed now, not by a cycle collection walking every word read.
            document.drop_caches()
    except RETRYABLE + stops:
        raise
    except InvoiceExtractorError as exc:
        return str(exc)
    except Exception as exc:  # a bug on one file must not kill the worker
        log.exception("job %s failed", job.id)
        return f"internal error: {type(exc).__name__}: {exc}"


def _retrying(job_id: int, wait: Wait, step: Callable[[], T]) -> T:
    for delay in RETRY_DELAYS:
        try:
            return step()
        except RETRYABLE as exc:
            log.warning("job %s: %s; trying again in %.0f s", job_id, exc, delay)
            if wait(delay):
                raise
    return step()  # the last try: its error goes to the caller
