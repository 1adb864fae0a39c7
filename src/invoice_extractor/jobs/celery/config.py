"""The Celery app of both sides, configured from ``Settings``.

Late acknowledgement (``task_acks_late``) with ``task_reject_on_worker_lost`` and a prefetch of one
message per process: a message leaves the broker only when its job ran; one whose worker died goes
back. On Redis, "went back" means the broker's ``visibility_timeout``: set a little above the job
lease, so the message of a killed worker is delivered again once its lease has run out. A message
delivered twice is harmless: the task claims the job in the database first.

A task's soft time limit is ``JOB_TIMEOUT_SECONDS`` (the task fails its job with a timeout
error); its hard limit, ``HARD_LIMIT_MARGIN`` later, kills a pool process stuck in code that
cannot be interrupted (tesseract's layout analysis), and the worker's main process then fails
the job (``worker.JobTask.on_failure``); the pool starts a new process in its place.
"""

from __future__ import annotations

from typing import Any

from celery import Celery  # type: ignore[import-untyped]

from ...errors import ConfigurationError
from ...settings import Settings
from .redis_transport import transport_for

TASK_NAME = "invoice_extractor.run_job"
QUEUE_NAME = "invoice-extractor"
# Sending a message when the broker does not answer: a few quick tries, then the sweep's turn.
SEND_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CONNECT_TIMEOUT = 3.0
HARD_LIMIT_MARGIN = 30  # seconds from the soft time limit to the kill of the pool process


def visibility_timeout(lease_seconds: int) -> int:
    """Seconds before Redis hands an unacknowledged message out again: the lease, and half more."""
    return lease_seconds + max(5, lease_seconds // 2)


def make_app(settings: Settings) -> Any:
    """A Celery app on ``QUEUE_URL`` (results are not kept: the database has them)."""
    if not settings.queue_url:
        raise ConfigurationError("QUEUE_URL is not set: the Celery queue needs a broker URL")
    lease = settings.job_lease_seconds
    app = Celery("invoice_extractor", broker=settings.queue_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_soft_time_limit=settings.job_timeout_seconds,
        task_time_limit=settings.job_timeout_seconds + HARD_LIMIT_MARGIN,
        task_ignore_result=True,
        task_store_errors_even_if_ignored=False,
        task_default_queue=QUEUE_NAME,
        task_serializer="json",
        accept_content=["json"],
        enable_utc=True,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a worker outlives any broker outage
        broker_connection_timeout=CONNECT_TIMEOUT,
        broker_pool_limit=10,
        broker_transport=transport_for(settings.queue_url),
        broker_transport_options={
            "visibility_timeout": visibility_timeout(lease),
            # look for messages of dead workers about twice per lease (kombu's default: ~100 s)
            "unacked_restore_interval": max(2, lease // 2),
            "unacked_restore_throttle": 1,
            "socket_connect_timeout": CONNECT_TIMEOUT,
        },
        worker_send_task_events=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
    )
    return app


def queue_depth(app: Any, timeout: float = CONNECT_TIMEOUT) -> int:
    """Messages waiting in the job queue (not those being run); raises when the broker is down."""
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=0, timeout=timeout)
        with conn.channel() as channel:
            try:
                declared = channel.queue_declare(queue=QUEUE_NAME, passive=True)
            except conn.channel_errors:  # no such queue yet: nothing was ever sent
                return 0
            return int(declared.message_count)
