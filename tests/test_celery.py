"""The Celery backend: the task and the sweep on SQLite and PostgreSQL (in this process), the web
side when the broker is away, and a real cluster: the web app and two ``invoice-extractor worker``
processes on a throwaway Redis and a fresh PostgreSQL schema, one worker SIGKILLed mid-run.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from kombu.common import ignore_errors
from sqlalchemy import func, select, update

from helpers_cluster import Cluster, RedisServer, heavy_invoice
from helpers_server import Api, free_port
from invoice_extractor.jobs.celery import worker as celery_worker
from invoice_extractor.jobs.celery.config import TASK_NAME, make_app, visibility_timeout
from invoice_extractor.jobs.celery.queue import CeleryQueue
from invoice_extractor.jobs.celery.redis_transport import Transport as RedisTransport
from invoice_extractor.jobs.celery.sweep import sweep_once
from invoice_extractor.settings import Settings
from invoice_extractor.store.models import InvoiceRecord, Job, JobState, utcnow
from invoice_extractor.store.repository import Store

if TYPE_CHECKING:
    from conftest import InvoicePdf

needs_redis = pytest.mark.skipif(not RedisServer.available(), reason="redis-server not installed")


# --- the task and the sweep, in this process -------------------------------------------------


@pytest.fixture
def store(job_store: Store) -> Store:
    return job_store


def _upload(store: Store, pdf: bytes, count: int = 1) -> list[int]:
    session_id, _ = store.create_session()
    return [store.add_upload(session_id, f"{n}.pdf", pdf)[1].id for n in range(count)]


def _job(store: Store, job_id: int) -> Job:
    with store.db.session() as db:
        job = db.get(Job, job_id)
        assert job is not None
        return job


def _invoice_rows(store: Store, job_id: int) -> int:
    with store.db.session() as db:
        query = select(func.count()).where(InvoiceRecord.job_id == job_id)
        return db.scalar(query) or 0


def _set(store: Store, job_id: int, **values: Any) -> None:
    with store.db.session() as db:
        db.execute(update(Job).where(Job.id == job_id).values(**values))


def test_a_job_delivered_twice_runs_once(store: Store, invoice_pdf: InvoicePdf) -> None:
    (job_id,) = _upload(store, invoice_pdf())
    assert celery_worker.execute(job_id).startswith("ran")
    assert celery_worker.execute(job_id).startswith("nothing to do")
    job = _job(store, job_id)
    assert (job.state, job.attempts, _invoice_rows(store, job_id)) == (JobState.DONE, 1, 1)


def test_a_job_held_by_a_live_worker_is_left_alone(store: Store, invoice_pdf: InvoicePdf) -> None:
    (job_id,) = _upload(store, invoice_pdf())
    assert store.claim(job_id, "other-host:1:c1") is not None
    assert celery_worker.execute(job_id).startswith("nothing to do")
    job = _job(store, job_id)
    assert (job.state, job.worker, job.attempts) == (JobState.READING, "other-host:1:c1", 1)


def test_a_dead_workers_job_is_taken_over_and_its_late_result_dropped(
    store: Store, invoice_pdf: InvoicePdf
) -> None:
    (job_id,) = _upload(store, invoice_pdf())
    dead = store.claim(job_id, "dead-host:1:c1")
    assert dead is not None
    _set(store, job_id, lease_until=utcnow() - timedelta(seconds=1))
    assert celery_worker.execute(job_id) == "ran (attempt 2)"
    assert store.finish(dead, "dead-host:1:c1", [], 1.0) is False  # the dead one's late write
    job = _job(store, job_id)
    assert (job.state, job.attempts, _invoice_rows(store, job_id)) == (JobState.DONE, 2, 1)


def test_a_job_that_keeps_killing_its_worker_is_given_up(
    store: Store, invoice_pdf: InvoicePdf
) -> None:
    (job_id,) = _upload(store, invoice_pdf())
    _set(store, job_id, attempts=store.settings.job_max_attempts)
    assert celery_worker.execute(job_id).startswith("gave up after 3 attempts")
    job = _job(store, job_id)
    assert job.state == JobState.FAILED and "gave up" in (job.error or "")


def test_the_sweep_sends_what_lost_its_message_or_its_worker(
    store: Store, invoice_pdf: InvoicePdf
) -> None:
    lost, waiting, running, dead = _upload(store, invoice_pdf(), 4)
    long_ago = utcnow() - timedelta(minutes=5)
    _set(store, lost, updated_at=long_ago)
    assert store.claim(running, "live:1:c1") and store.claim(dead, "dead:1:c1")
    _set(store, dead, lease_until=utcnow() - timedelta(seconds=1))
    sent: list[int] = []
    # Two jobs queued (one just uploaded), one message waiting: one job lacks its message.
    assert sweep_once(store, lambda: 1, sent.append, grace=30) == [dead, lost]
    assert sent == [dead, lost]
    assert _job(store, dead).state == JobState.QUEUED and _job(store, dead).worker is None
    assert _job(store, running).state == JobState.READING
    # Sent jobs are marked: the next pass (or another worker's) does not send them again.
    assert sweep_once(store, lambda: 0, sent.append, grace=30) == []
    # Enough messages waiting for every queued job: nothing is sent.
    _set(store, waiting, updated_at=long_ago)
    assert sweep_once(store, lambda: 3, sent.append, grace=30) == []


def test_the_broker_being_away_never_fails_a_submit(web_settings: Settings) -> None:
    settings = web_settings.model_copy(update={"queue_url": f"redis://127.0.0.1:{free_port()}/0"})
    queue = CeleryQueue(settings)
    started = time.monotonic()
    queue.submit(1)  # refused: logged, the job stays queued for the sweep
    queue.submit(2)  # within the back-off: not even tried
    assert time.monotonic() - started < 10
    ok, detail = queue.health()
    assert not ok and "broker unreachable" in detail
    queue.stop()


def test_the_celery_configuration_acknowledges_late() -> None:
    app = make_app(Settings(queue_url="redis://127.0.0.1:6379/0", job_lease_seconds=30))
    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["visibility_timeout"] == visibility_timeout(30) == 45
    celery_worker.register(app)
    assert TASK_NAME in app.tasks


@needs_redis
def test_a_channel_of_a_closed_broker_connection_fails_as_a_connection_error(
    tmp_path: Path,
) -> None:
    """kombu looked up the broker address on the closed connection's ``None`` client: an
    AttributeError that stopped the worker during a Redis restart (a closing channel restores
    its unacknowledged messages). A connection error is what Celery's reconnect path ignores."""
    with RedisServer(tmp_path / "redis") as redis:
        app = make_app(Settings(queue_url=redis.url))
        conn = app.connection_for_write()
        assert isinstance(conn.transport, RedisTransport)
        channel = conn.channel()
        channel.client.ping()
        conn.close()
        with pytest.raises(conn.connection_errors):
            channel._create_client()
        ignore_errors(conn, channel._create_client)  # what Celery does while reconnecting


# --- a real cluster -------------------------------------------------------------------------


def _running_on(cluster: Cluster, pids: set[int], started_within: float = 3600.0) -> list[int]:
    """Jobs being read or extracted by one of these processes (``worker`` is HOST:PID:cN) that
    started their last step less than ``started_within`` seconds ago."""
    rows = cluster.sql(
        "SELECT id, worker FROM jobs WHERE state IN ('reading', 'extracting') "
        "AND updated_at > now() - make_interval(secs => :within)",
        within=started_within,
    )
    return [job_id for job_id, worker in rows if int(worker.split(":")[1]) in pids]


@needs_redis
def test_a_worker_sigkilled_mid_run_loses_nothing_and_duplicates_nothing(
    cluster: Cluster,
) -> None:
    deadline = time.monotonic() + 240
    web = cluster.web()
    victim, survivor = cluster.worker(), cluster.worker()
    api = Api(web.url)
    session_id, token = api.create_session()
    numbers = [f"K-{n:03d}" for n in range(100)]
    for start in range(0, 100, 10):
        batch = [(f"{number}.pdf", heavy_invoice(number)) for number in numbers[start : start + 10]]
        assert len(api.upload(session_id, token, batch)) == 10

    # Kill the victim (its Celery main process and its pool at once) while it extracts: right
    # after it started a step, so that the step (tenths of a second) cannot be over yet.
    victim_pids = set(victim.group_pids())
    while not _running_on(cluster, victim_pids, started_within=0.1):
        assert time.monotonic() < deadline, "the victim never ran a job"
        time.sleep(0.02)
    victim.kill()
    interrupted = _running_on(cluster, victim_pids)
    assert interrupted, "the victim's jobs finished before the kill: nothing was interrupted"

    killed_at = time.monotonic()
    jobs = api.wait_done(session_id, token, timeout=max(10.0, deadline - time.monotonic()))
    recovered = time.monotonic() - killed_at
    print(f"victim killed while running jobs {interrupted}; all done {recovered:.1f} s later")
    assert survivor.proc.poll() is None
    assert Counter(j["state"] for j in jobs) == {"done": 100}, [j["error"] for j in jobs]
    # Exactly one invoice per job, and every number uploaded came out once.
    per_job = dict(cluster.sql("SELECT job_id, count(*) FROM invoices GROUP BY job_id"))
    assert sorted(per_job.values()) == [1] * 100
    invoices = api.invoices(session_id, token)
    assert sorted(i["invoice_number"] for i in invoices) == numbers
    # The interrupted jobs ran again elsewhere: a second attempt, by a process still alive.
    for job_id, attempts, worker in cluster.sql(
        "SELECT id, attempts, worker FROM jobs WHERE id = ANY(:ids)", ids=interrupted
    ):
        assert attempts >= 2, (job_id, attempts)
        assert int(worker.split(":")[1]) not in victim_pids
