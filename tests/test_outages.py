"""Outages under load (issue 15, item 5): the Celery worker rides out its broker and its database
going away mid-run and coming back, and every job uploaded is done exactly once.

Each test stops only services of its own: a private ``redis-server`` on a free port, and for the
database a private PostgreSQL cluster (``helpers_postgres``), never the shared ones. A web
request meeting a database that does not answer is a 503 ``database_unavailable``.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from helpers_cluster import Cluster, RedisServer, heavy_invoice
from helpers_postgres import PrivatePostgres
from helpers_server import Api, Server

if TYPE_CHECKING:
    from flask.testing import FlaskClient

needs_redis = pytest.mark.skipif(not RedisServer.available(), reason="redis-server not installed")
UPLOADS = 24
OUTAGE_SECONDS = 12.0  # several reconnect attempts of the worker, and more than a lease
FAST_RECOVERY = {"JOB_LEASE_SECONDS": "5", "JOB_SWEEP_SECONDS": "2", "WORKERS": "2"}
CRASH_SIGNS = ("Unrecoverable error", "AttributeError", "Traceback")
# Celery's record, with its traceback, of a finished task it could not acknowledge while the
# broker was away: expected in an outage and harmless (the job's state is in the database, and
# every job is checked done once), so it is no sign of a crash.
EXPECTED_IN_AN_OUTAGE = ("Couldn't ack",)
_RECORD_START = re.compile(r"^\[\d{4}-\d\d-\d\d ", re.MULTILINE)


def _upload_all(api: Api, session_id: str, token: str, prefix: str) -> list[str]:
    numbers = [f"{prefix}-{n:03d}" for n in range(UPLOADS)]
    for start in range(0, UPLOADS, 8):
        batch = [(f"{n}.pdf", heavy_invoice(n, pages=20)) for n in numbers[start : start + 8]]
        assert len(api.upload(session_id, token, batch)) == len(batch)
    return numbers


def _wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def _assert_done_once(
    api: Api, session_id: str, token: str, numbers: list[str], rows: Any, timeout: float
) -> None:
    jobs = api.wait_done(session_id, token, timeout=timeout)
    assert Counter(j["state"] for j in jobs) == {"done": len(numbers)}, [j["error"] for j in jobs]
    per_job = dict(rows("SELECT job_id, count(*) FROM invoices GROUP BY job_id"))
    assert sorted(per_job.values()) == [1] * len(numbers)
    assert sorted(i["invoice_number"] for i in api.invoices(session_id, token)) == numbers


def _assert_rode_it_out(worker: Server) -> None:
    assert worker.proc.poll() is None, worker.log()
    records = _RECORD_START.split(worker.log(tail=1_000_000))
    log = "".join(
        r for r in records if not any(e in r.split("\n", 1)[0] for e in EXPECTED_IN_AN_OUTAGE)
    )
    at = min((log.find(sign) for sign in CRASH_SIGNS if sign in log), default=-1)
    assert at < 0, log[max(0, at - 500) : at + 4000]


@needs_redis
def test_the_worker_rides_out_a_redis_outage_mid_run(cluster: Cluster) -> None:
    web = cluster.web()
    worker = cluster.worker(**FAST_RECOVERY)
    api = Api(web.url)
    session_id, token = api.create_session()
    numbers = _upload_all(api, session_id, token, "RO")

    def running() -> int:
        return int(cluster.sql("SELECT count(*) FROM jobs WHERE state <> 'queued'")[0][0])

    _wait_until(lambda: running() >= 3, 120, "no job started")
    cluster.redis.kill()  # jobs running, more queued: every message is gone
    time.sleep(OUTAGE_SECONDS)
    assert worker.proc.poll() is None, "the worker exited during the outage:\n" + worker.log()
    cluster.redis.start()  # the same port, empty
    _assert_done_once(api, session_id, token, numbers, cluster.sql, timeout=240)
    _assert_rode_it_out(worker)


@needs_redis
@pytest.mark.skipif(PrivatePostgres.problem() is not None, reason=str(PrivatePostgres.problem()))
def test_the_worker_rides_out_a_postgres_outage_mid_run(tmp_path: Path) -> None:
    with PrivatePostgres() as pg, RedisServer(tmp_path / "redis") as redis:
        cluster = Cluster(tmp_path, redis, "public", DATABASE_URL=pg.url)
        engine = create_engine(pg.url, pool_pre_ping=True)

        def rows(query: str) -> list[Any]:
            with engine.connect() as conn:
                return list(conn.execute(text(query)).all())

        try:
            web = cluster.web()
            worker = cluster.worker(**FAST_RECOVERY)
            api = Api(web.url)
            session_id, token = api.create_session()
            numbers = _upload_all(api, session_id, token, "PO")
            _wait_until(
                lambda: rows("SELECT count(*) FROM jobs WHERE state = 'done'")[0][0] >= 2,
                120,
                "no job was done",
            )
            engine.dispose()
            pg.kill()  # every connection cut mid-job: claims, state updates and results fail
            time.sleep(OUTAGE_SECONDS)
            assert worker.proc.poll() is None, "the worker exited:\n" + worker.log()
            pg.start()
            pg.wait_ready()
            _assert_done_once(api, session_id, token, numbers, rows, timeout=240)
            _assert_rode_it_out(worker)
        finally:
            cluster.close()
            engine.dispose()


def test_a_database_that_does_not_answer_is_a_503_not_an_internal_error(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def flush(self: Session, objects: object = None) -> None:
        lost = psycopg.OperationalError("server closed the connection unexpectedly")
        raise OperationalError("INSERT", {}, lost)

    monkeypatch.setattr(Session, "flush", flush)
    response = client.post("/api/v1/sessions")
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "database_unavailable"
    assert error["message"] == (
        "the database does not answer: server closed the connection unexpectedly"
    )
