"""The sweep: jobs that lost their message or their worker are sent to the broker again.

Every ``JOB_SWEEP_SECONDS`` each worker process (its main process, in a thread):

1. puts running jobs whose lease ran out (their worker died) back to queued and sends them;
2. compares the queued jobs in the database with the messages waiting in the broker: when there
   are fewer messages than jobs (the broker restarted empty, or was down when the job was
   uploaded), sends that many of the queued jobs that have waited longest since they were last
   sent. A job is marked as sent in the same conditional UPDATE that selects it, so two sweepers
   never send the same job at the same time.

A job sent twice is claimed once; the other message finds nothing to do. A waiting message for a
job that is already done still counts as waiting, so the count errs towards sending too few: the
jobs left out go on a later pass, once the queue has drained.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from ...store.job_queries import count_queued, requeue_expired, take_stale_queued
from ...store.repository import Store
from .config import SEND_RETRY_POLICY, TASK_NAME, queue_depth

log = logging.getLogger(__name__)

MAX_PER_PASS = 1000  # a long outage's backlog goes out over several passes


def sweep_once(
    store: Store, depth: Callable[[], int], send: Callable[[int], None], grace: float
) -> list[int]:
    """One pass; the ids sent. ``depth`` (messages waiting) and ``send`` may raise when the broker
    is down: then nothing is sent and the jobs stay queued for the next pass."""
    requeued = requeue_expired(store.db)
    if requeued:
        log.warning("jobs %s lost their worker (lease expired): sending them again", requeued)
    for job_id in requeued:  # their message went with their worker
        send(job_id)
    missing = count_queued(store.db) - depth()
    lost = take_stale_queued(store.db, grace, min(missing, MAX_PER_PASS))
    if lost:
        log.warning("jobs %s are queued without a message: sending them again", lost)
    for job_id in lost:
        send(job_id)
    return requeued + lost


class Sweeper:
    def __init__(self, store: Store, app: Any) -> None:
        self.store = store
        self.app = app
        self.interval = float(store.settings.job_sweep_seconds)
        # A job just uploaded may have its message on the way: only older ones count as lost.
        self.grace = max(self.interval, 5.0)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="job-sweep", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def sweep(self) -> list[int]:
        return sweep_once(self.store, self._depth, self._send, self.grace)

    def _depth(self) -> int:
        return queue_depth(self.app)

    def _send(self, job_id: int) -> None:
        self.app.send_task(TASK_NAME, args=[job_id], retry=True, retry_policy=SEND_RETRY_POLICY)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.sweep()
            except Exception as exc:  # database or broker away: the next pass tries again
                log.warning("job sweep skipped: %s: %s", type(exc).__name__, exc)
