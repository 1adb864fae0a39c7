"""The web side: ``submit`` sends ``run_job(job_id)`` to the broker, and never fails an upload.

When the broker does not answer, the job simply stays queued in the database and a worker's sweep
sends it later; for a few seconds after such a failure ``submit`` does not even try, so a batch
upload during an outage is not slowed down by one timeout per file.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from ...settings import Settings
from .config import SEND_RETRY_POLICY, TASK_NAME, make_app, queue_depth

log = logging.getLogger(__name__)

BACKOFF_SECONDS = 5.0


class CeleryQueue:
    def __init__(self, settings: Settings, app: Any = None) -> None:
        self.settings = settings
        self.app = app if app is not None else make_app(settings)
        self._lock = threading.Lock()
        self._quiet_until = 0.0  # monotonic time before which submit does not try the broker

    def start(self) -> None:
        """Nothing to start: the workers are other processes (``invoice-extractor worker``)."""

    def submit(self, job_id: int) -> None:
        with self._lock:
            if time.monotonic() < self._quiet_until:
                return
        try:
            self.app.send_task(TASK_NAME, args=[job_id], retry=True, retry_policy=SEND_RETRY_POLICY)
        except Exception as exc:  # broker unreachable: the job row waits for the sweep
            with self._lock:
                self._quiet_until = time.monotonic() + BACKOFF_SECONDS
            log.warning(
                "job %s stays queued until a worker's sweep sends it: broker unreachable (%s)",
                job_id,
                exc,
            )

    def stop(self) -> None:
        pool = getattr(self.app, "_pool", None)  # the producer connections, if any were made
        if pool is not None:
            pool.force_close_all()
        self.app.close()

    def health(self) -> tuple[bool, str]:
        try:
            waiting = queue_depth(self.app)
        except Exception as exc:
            return False, f"celery broker unreachable: {type(exc).__name__}: {exc}"
        return True, f"celery broker reachable, {waiting} messages waiting"
