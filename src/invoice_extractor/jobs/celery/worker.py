"""``invoice-extractor worker``: a Celery worker of ``WORKERS`` processes running extraction jobs.

The task ``run_job(job_id)`` claims the job in the database (queued, or running under an expired
lease), renews the lease from a heartbeat thread while the pipeline runs, and stores the result
with ``Store.finish``. A message for a job that is done, failed or held by a live worker does
nothing, so a message delivered twice (late acknowledgement, the sweep) runs the job once.
A job past its time limits (``config``) is failed with the in-process queue's timeout error.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import threading
import time
from types import TracebackType
from typing import Any

from celery import Task, signals  # type: ignore[import-untyped]
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded  # type: ignore[import-untyped]

from ... import metrics
from ...settings import Settings
from ...store.db import Database
from ...store.job_queries import fail_overdue
from ...store.repository import Store
from ..runner import RETRYABLE, count_run, release_quietly, run_job, timeout_error
from .config import QUEUE_NAME, TASK_NAME, make_app
from .sweep import Sweeper

log = logging.getLogger(__name__)

_settings: Settings | None = None
_stores: dict[int, Store] = {}  # by pid: a forked pool process never uses its parent's engine
_lock = threading.Lock()
_runs = itertools.count(1)
CLAIM_PAUSE = 4.0  # seconds a pool process waits after the database refused a claim


def configure(settings: Settings) -> None:
    """The settings the task reads (pool processes inherit them when they are forked)."""
    global _settings
    _settings = settings


def process_store() -> Store:
    """This process's ``Store`` on the configured settings, made on first use."""
    pid = os.getpid()
    with _lock:
        if _settings is None:
            raise RuntimeError("the worker is not configured: call configure(settings) first")
        store = _stores.get(pid)
        if store is None or store.settings is not _settings:
            if store is not None:
                store.db.dispose()
            store = _stores[pid] = Store(_settings)
        return store


class LeaseKeeper:
    """Renews one job's lease every third of ``JOB_LEASE_SECONDS`` until the block ends."""

    def __init__(self, store: Store, prefix: str, job_id: int) -> None:
        self.store, self.prefix, self.job_id = store, prefix, job_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{job_id}", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _beat(self) -> None:
        interval = max(self.store.settings.job_lease_seconds / 3, 1.0)
        while not self._stop.wait(interval):
            try:
                self.store.renew(self.prefix, [self.job_id])
            except Exception as exc:  # the database is away: the lease may run out; a takeover is
                # then correct (this run's result is dropped)
                log.warning("renewing the lease of job %s failed: %s", self.job_id, exc)


def execute(job_id: int) -> str:
    """Run job ``job_id`` if it can be claimed; what happened, for the worker log."""
    store = process_store()
    prefix = f"{socket.gethostname()}:{os.getpid()}"
    worker = f"{prefix}:c{next(_runs)}"
    cpu_started = time.thread_time()
    try:
        job = store.claim(job_id, worker)
    except RETRYABLE as exc:  # the job stays queued in the database; the sweep sends it again
        log.warning("job %s not claimed: %s", job_id, exc)
        time.sleep(CLAIM_PAUSE)  # the next messages would fail the same way: not at once
        return f"deferred: {exc}"
    if job is None:
        return "nothing to do: done, failed or held by a live worker"
    if job.attempts > store.settings.job_max_attempts:
        reason = f"gave up after {job.attempts - 1} attempts: the worker stopped each time"
        store.fail(job.id, worker, reason)
        return reason
    try:
        with LeaseKeeper(store, prefix, job.id):
            run_job(store, job, worker, stops=(SoftTimeLimitExceeded,))
    except RETRYABLE as exc:
        release_quietly(store, job, worker, exc)
        return f"deferred: {exc}"
    except SoftTimeLimitExceeded:  # the task's soft time limit, JOB_TIMEOUT_SECONDS
        error = timeout_error(store.settings.job_timeout_seconds)
        fail_overdue(store.db, job.id, worker, error)
        return error
    count_run("celery", cpu_started)
    return f"ran (attempt {job.attempts})"


def _run_job_task(job_id: int) -> str:
    return execute(int(job_id))


class JobTask(Task):  # type: ignore[misc]
    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        """In the worker's main process, after its pool process was killed at the hard time
        limit: the job it held is failed (not left to its lease, to be run and killed again)."""
        if not isinstance(exc, TimeLimitExceeded) or not args or _settings is None:
            return
        error = timeout_error(_settings.job_timeout_seconds)
        # A connection of its own, closed at once: the pool processes forked later from this
        # one must not inherit open connections. No retries and no error out of here: this runs
        # in Celery's main process, amid its handling of the kill; a database away leaves the
        # job to its lease, as before.
        try:
            db = Database(_settings.database, connect_retries=0)
            try:
                if fail_overdue(db, int(args[0]), None, error):
                    log.error("job %s: %s", args[0], error)
            finally:
                db.dispose()
        except Exception:
            log.exception("job %s: its timeout not written; its lease runs out instead", args[0])


def register(app: Any) -> Any:
    """The ``run_job`` task on ``app``."""
    return app.task(
        name=TASK_NAME,
        base=JobTask,
        acks_late=True,
        reject_on_worker_lost=True,
        ignore_result=True,
    )(_run_job_task)


def worker_argv(settings: Settings, loglevel: str = "INFO") -> list[str]:
    return [
        "worker",
        f"--loglevel={loglevel}",
        f"--concurrency={settings.workers}",
        f"--queues={QUEUE_NAME}",
        f"--hostname=invoice-extractor-{os.getpid()}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]


def run_worker(settings: Settings, loglevel: str = "INFO") -> None:
    """Migrate the database, then run the Celery worker until it is stopped (SIGTERM: warm
    shutdown, running jobs finish). Raises StorageError when the database stays unreachable."""
    configure(settings)
    metrics.configure(settings.data_dir / "metrics")
    store = Store(settings)  # retries a database that is still starting, then a clear error
    store.migrate()
    app = make_app(settings)
    register(app)
    sweeper = Sweeper(store, app)

    def ready(**_: Any) -> None:
        sweeper.start()

    def shutdown(**_: Any) -> None:
        sweeper.stop()

    def pool_process(**_: Any) -> None:
        # A forked pool process: the connections it inherited belong to the parent.
        store.db.engine.dispose(close=False)

    signals.worker_ready.connect(ready, weak=False)
    signals.worker_shutdown.connect(shutdown, weak=False)
    signals.worker_process_init.connect(pool_process, weak=False)
    try:
        app.worker_main(worker_argv(settings, loglevel))
    finally:
        sweeper.stop()
        store.db.dispose()
