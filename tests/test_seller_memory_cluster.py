"""The seller memory across processes (issue 12): taught through one web server, applied by
another server's own worker and by a Celery worker behind gunicorn, all on one PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers_cluster import Cluster, RedisServer, postgres_problem, running_cluster
from helpers_sellers import FIRST, SECOND, iso, seller_pdf
from helpers_server import Api


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    problem = postgres_problem()
    if problem is not None:
        pytest.skip(f"PostgreSQL is not reachable at 127.0.0.1:5432 ({problem}); CI starts it")
    if not RedisServer.available():
        pytest.skip("redis-server not installed")
    with running_cluster(tmp_path) as cluster:
        yield cluster


def _first_invoice(api: Api, session_id: str, token: str, pdf: bytes, name: str) -> dict[str, Any]:
    api.upload(session_id, token, [(name, pdf)])
    jobs = api.wait_done(session_id, token)
    assert [j["state"] for j in jobs] == ["done"], jobs
    (invoice,) = api.invoices(session_id, token)
    return invoice


def test_taught_in_one_process_used_by_another_and_by_a_celery_worker(cluster: Cluster) -> None:
    # Servers without a queue run jobs in their own threads, claiming any queued job of the
    # database: each one is stopped before the next takes over, so who read what is certain.
    teacher = cluster.web(QUEUE_URL="")
    api = Api(teacher.url)
    session_id, token = api.create_session()
    first = _first_invoice(api, session_id, token, seller_pdf(FIRST), "first.pdf")
    assert first["due_date"] is None
    api.patch(session_id, token, first["id"], {"due_date": iso(FIRST.due)})
    teacher.stop()

    reader = cluster.web(QUEUE_URL="")
    second = _second_invoice(reader.url)
    assert second["learned_from"]["due_date"].startswith("correction ")
    reader.stop()

    celery_web, celery = cluster.web(gunicorn_workers=2), cluster.worker()
    _second_invoice(celery_web.url)
    (worker,) = cluster.sql("SELECT worker FROM jobs ORDER BY id DESC LIMIT 1")[0]
    assert int(worker.split(":")[1]) in set(celery.group_pids())  # Celery read it


def _second_invoice(url: str) -> dict[str, Any]:
    api = Api(url)
    session_id, token = api.create_session()
    second = _first_invoice(api, session_id, token, seller_pdf(SECOND), "second.pdf")
    assert second["due_date"] == iso(SECOND.due), url
    return second
