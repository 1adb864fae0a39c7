"""The default queue: worker threads in the web process, claiming jobs from the database.

Claiming from the table (not an in-memory list) is what makes crash recovery free: after a
restart the queued jobs are simply there, and a job whose worker died is taken again once its
lease runs out. An idle worker sleeps until ``submit`` (an upload in this process) wakes it, or
for ``poll_seconds`` at most: the slow poll finds what other processes queued and the leases that
ran out. A worker that found nothing does not sleep through a ``submit`` made meanwhile (the
count of submits it saw before its claim tells), so no job waits for the slow poll here. A worker
that stores a job's result claims its next job in the same transaction (one commit per job on a
busy queue, not two); when it stops with such a job in hand, the job goes back to the queue at
once rather than when its lease runs out.

A job's progress (``extracting``) is not a write of its worker: the heartbeat thread publishes it
at its next tick (every ``STATE_TICK`` seconds) if the job still runs then. A job done sooner,
as most are, shows ``reading`` until done and costs one transaction less; a long one (OCR, an LLM)
still shows where it is within a tick. The tick also writes the process's metrics file when the
jobs' counters changed (``/metrics`` of another process sees them a tick later; this process's
own counts are read from memory), not once per job.

A job still running ``JOB_TIMEOUT_SECONDS`` after its claim (stuck in code that cannot be
interrupted, as tesseract's layout analysis of a page of noise) is failed by the heartbeat with
a timeout error, its lease no longer renewed, and its worker thread is given up: a new thread
takes its place, and the stuck one ends when (if ever) its job returns, its result dropped
(``fail_overdue``). At most ``workers`` threads are given up at a time; past that none is
replaced and ``health`` fails (the process needs a restart).
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from .. import metrics
from ..store.job_queries import fail_overdue
from ..store.models import Job, JobState
from ..store.repository import Store
from .runner import RETRY_DELAYS, RETRYABLE, count_run, release_quietly, run_job, timeout_error

log = logging.getLogger(__name__)

STATE_TICK = 0.5  # seconds between the heartbeat's publications of running jobs' states

_queues = itertools.count(1)  # two queues in one process must not share worker names


class InProcessQueue:
    def __init__(self, store: Store, workers: int, poll_seconds: float = 5.0) -> None:
        self.store = store
        self.workers = workers
        self.poll_seconds = poll_seconds
        # HOST:PID:qN: the heartbeat renews the leases under this prefix, and only those.
        self.prefix = f"{socket.gethostname()}:{os.getpid()}:q{next(_queues)}"
        self._wake = threading.Condition()
        self._submits = 0  # under ``_wake``: how many ``submit`` calls so far
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._names = itertools.count()  # worker threads: w0, w1, ... and their replacements
        self._running: dict[int, str] = {}  # job id -> worker name, renewed by the heartbeat
        self._started: dict[int, float] = {}  # job id -> monotonic time of its claim
        self._given_up: set[str] = set()  # worker threads stuck past JOB_TIMEOUT_SECONDS
        self._states: dict[int, JobState] = {}  # job id -> its state not yet published
        self._lock = threading.Lock()

    def start(self) -> None:
        if self._threads:
            return
        for _ in range(self.workers):
            self._start_worker()
        beat = threading.Thread(target=self._heartbeat, name=f"{self.prefix}:hb", daemon=True)
        beat.start()
        with self._lock:
            self._threads.append(beat)

    def submit(self, job_id: int) -> None:
        with self._wake:
            self._submits += 1
            self._wake.notify()

    def stop(self) -> None:
        self._stop.set()
        with self._wake:
            self._wake.notify_all()
        with self._lock:  # not the threads given up on: they may never return
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout=10)
        self._threads.clear()
        metrics.flush()

    def health(self) -> tuple[bool, str]:
        with self._lock:
            alive = sum(thread.is_alive() for thread in self._threads)
            stuck = len(self._given_up)
        expected = self.workers + 1  # and the heartbeat
        detail = f"in-process: {alive} of {expected} worker and heartbeat threads alive"
        if stuck:
            detail += f", {stuck} stuck in a job past JOB_TIMEOUT_SECONDS"
        return alive == expected and not self._stop.is_set(), detail

    def _start_worker(self) -> None:
        name = f"{self.prefix}:w{next(self._names)}"
        thread = threading.Thread(target=self._work, args=(name,), name=name, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _work(self, name: str) -> None:
        failures = 0  # in a row, of the store: the back-off grows with them
        chained: Job | None = None  # claimed with the last job's result: run next
        while not self._stop.is_set():
            if name in self._given_up:  # its job ran past the time; another thread took over
                with self._lock:
                    self._given_up.discard(name)
                break
            cpu_started = time.thread_time()
            submits = self._submits  # read before the claim: a later submit is not slept through
            try:
                job, chained = chained or self.store.claim_next(name), None
                if job is not None and self._too_often_claimed(name, job):
                    job = None
            except RETRYABLE as exc:  # database away or full: wait longer each time
                delay = RETRY_DELAYS[min(failures, len(RETRY_DELAYS) - 1)]
                failures += 1
                log.warning("%s: cannot claim jobs (%s); trying again in %.0f s", name, exc, delay)
                self._stop.wait(delay)
                continue
            except Exception:
                log.exception("claiming a job failed")
                job = None
            failures = 0
            if job is None:
                self._idle(submits)
                continue
            chained = self._run(name, job)
            count_run("inprocess", cpu_started, write=False)  # the heartbeat writes the file
        if chained is not None:  # stopping: back to the queue now, not when its lease runs out
            release_quietly(self.store, chained, name, RuntimeError("the worker stops"))

    def _idle(self, submits: int) -> None:
        """Sleep until a ``submit`` after the one counted in ``submits``, a stop, or the slow
        poll; at once when one came since."""
        with self._wake:
            if self._submits == submits and not self._stop.is_set():
                self._wake.wait(self.poll_seconds)

    def _run(self, name: str, job: Job) -> Job | None:
        """Run the job; the next one, when claimed with its result (a stopping worker claims
        none)."""
        with self._lock:
            self._running[job.id] = name
            self._started[job.id] = time.monotonic()
        try:
            return run_job(
                self.store,
                job,
                name,
                wait=self._stop.wait,
                progress=self._progress(job.id),
                claim_next=lambda: not self._stop.is_set(),
            )
        except RETRYABLE as exc:
            release_quietly(self.store, job, name, exc)
        except Exception:  # the worker outlives any one job; its lease makes it run again
            log.exception("job %s could not be completed; it will be retried", job.id)
        finally:
            with self._lock:
                if self._running.get(job.id) == name:  # not given up on meanwhile
                    del self._running[job.id], self._started[job.id]
                    self._states.pop(job.id, None)
        return None

    def _progress(self, job_id: int) -> Callable[[JobState], None]:
        def note(state: JobState) -> None:
            with self._lock:
                self._states[job_id] = state

        return note

    def _too_often_claimed(self, name: str, job: Job) -> bool:
        """Whether the job was claimed too often (its worker stopped each time): then failed."""
        if job.attempts <= self.store.settings.job_max_attempts:
            return False
        message = f"gave up after {job.attempts - 1} attempts: the worker stopped each time"
        self.store.fail(job.id, name, message)
        return True

    def _heartbeat(self) -> None:
        interval = max(self.store.settings.job_lease_seconds / 3, 1.0)
        renew_at = time.monotonic() + interval
        # A tick every STATE_TICK seconds, and one at each renewal (never later than before).
        while not self._stop.wait(min(STATE_TICK, max(0.0, renew_at - time.monotonic()))):
            self._publish_states()
            self._stop_overdue()
            metrics.flush()  # the jobs' counts, once per tick rather than once per job
            if time.monotonic() < renew_at:
                continue
            renew_at = time.monotonic() + interval
            with self._lock:
                ids = list(self._running)
            try:
                self.store.renew(self.prefix, ids)
            except RETRYABLE as exc:  # the lease may run out; a takeover is then correct
                log.warning("renewing job leases failed: %s", exc)
            except Exception:
                log.exception("renewing job leases failed")

    def _publish_states(self) -> None:
        """The states noted since the last tick, of the jobs still running (each write is
        conditional on the worker still holding its running job: one done meanwhile stays)."""
        with self._lock:
            pending = [
                (i, self._running[i], s) for i, s in self._states.items() if i in self._running
            ]
            self._states.clear()
        for job_id, worker, state in pending:
            try:
                self.store.set_state(job_id, worker, state)
            except RETRYABLE as exc:  # only what a poll shows: the job goes on
                log.warning("job %s: its state %s not written: %s", job_id, state, exc)
            except Exception:
                log.exception("job %s: its state %s not written", job_id, state)

    def _stop_overdue(self) -> None:
        """Fail the jobs running past ``JOB_TIMEOUT_SECONDS`` and give up their worker threads;
        start threads while fewer than ``workers`` work and fewer than ``workers`` are given up
        (the process then has at most twice its threads). A job leaves ``_running`` in the same
        lock as its worker's own removal: either it ended first, or its thread ends after it."""
        limit = self.store.settings.job_timeout_seconds
        now = time.monotonic()
        with self._lock:
            overdue = [(i, self._running[i]) for i, t in self._started.items() if now - t > limit]
            for job_id, worker in overdue:
                del self._running[job_id], self._started[job_id]
                self._states.pop(job_id, None)
                self._given_up.add(worker)
                self._threads = [t for t in self._threads if t.name != worker]
            working = len(self._threads) - 1  # the heartbeat is one
            replace = min(self.workers - working, 2 * self.workers - working - len(self._given_up))
        for job_id, worker in overdue:
            try:
                if fail_overdue(self.store.db, job_id, worker, timeout_error(limit)):
                    log.error("job %s ran past %d s (JOB_TIMEOUT_SECONDS): failed", job_id, limit)
            except Exception:  # its lease is not renewed: it runs out, and the job is retried
                log.exception("job %s: its timeout not written", job_id)
        for _ in range(replace if not self._stop.is_set() else 0):
            self._start_worker()
