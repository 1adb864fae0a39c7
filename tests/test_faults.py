"""Faults: the broker restarted empty mid-run, the database not there at start (or late), and a
full disk on upload.

The Redis test runs its own ``redis-server`` on a free port (never the machine's Redis); the
database tests point at a closed port, or at a ``TcpProxy`` that starts forwarding to the local
PostgreSQL a few seconds late; the disk tests fail the blob write with ENOSPC (and, as root, fill
a real 1 MB tmpfs).
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
from sqlalchemy import func, select

from helpers_cluster import (
    POSTGRES_URL,
    Cluster,
    RedisServer,
    TcpProxy,
    heavy_invoice,
    postgres_problem,
    postgres_schema,
    running_cluster,
    schema_url,
    start_worker,
    wait_for_log,
)
from helpers_server import Api, free_port, start_serve
from invoice_extractor.settings import Settings
from invoice_extractor.store import blobs
from invoice_extractor.store.models import Job, StoredFile

if TYPE_CHECKING:
    from conftest import InvoicePdf, MakeWebApp, NewApi

needs_redis = pytest.mark.skipif(not RedisServer.available(), reason="redis-server not installed")


@pytest.fixture
def postgres() -> None:
    problem = postgres_problem()
    if problem is not None:
        pytest.skip(f"PostgreSQL is not reachable at 127.0.0.1:5432 ({problem}); CI starts it")


@pytest.fixture
def cluster(tmp_path: Path, postgres: None) -> Iterator[Cluster]:
    with running_cluster(tmp_path) as cluster:
        yield cluster


# --- the broker restarted mid-run ------------------------------------------------------------


@needs_redis
def test_jobs_resume_after_redis_restarts_empty_mid_run(cluster: Cluster) -> None:
    deadline = time.monotonic() + 240
    web = cluster.web()
    workers = [cluster.worker(), cluster.worker()]
    api = Api(web.url)
    session_id, token = api.create_session()
    before = [f"R-{n:03d}" for n in range(40)]
    during = [f"D-{n:03d}" for n in range(20)]
    for start in range(0, len(before), 10):
        batch = [(f"{n}.pdf", heavy_invoice(n)) for n in before[start : start + 10]]
        api.upload(session_id, token, batch)

    # Some done, more still queued: then Redis dies with every message it held.
    while cluster.sql("SELECT count(*) FROM jobs WHERE state = 'done'")[0][0] < 5:
        assert time.monotonic() < deadline, "no job was done"
        time.sleep(0.05)
    cluster.redis.kill()
    queued_at_kill = cluster.sql("SELECT count(*) FROM jobs WHERE state = 'queued'")[0][0]
    assert queued_at_kill > 0, "every job started before Redis died: nothing was at risk"

    # Uploads still succeed (the jobs wait in the database) and say so quickly.
    started = time.monotonic()
    for start in range(0, len(during), 10):
        batch = [(f"{n}.pdf", heavy_invoice(n)) for n in during[start : start + 10]]
        assert len(api.upload(session_id, token, batch)) == 10
    assert time.monotonic() - started < 30
    health = requests.get(web.url + "/healthz", timeout=30)
    assert health.status_code == 503
    assert health.json()["checks"]["queue"]["ok"] is False

    time.sleep(2)
    cluster.redis.start()  # the same port, empty
    jobs = api.wait_done(session_id, token, timeout=max(10.0, deadline - time.monotonic()))
    assert Counter(j["state"] for j in jobs) == {"done": 60}, [j["error"] for j in jobs]
    per_job = dict(cluster.sql("SELECT job_id, count(*) FROM invoices GROUP BY job_id"))
    assert sorted(per_job.values()) == [1] * 60
    numbers = sorted(i["invoice_number"] for i in api.invoices(session_id, token))
    assert numbers == sorted(before + during)
    logs = "".join(w.log(tail=1_000_000) for w in workers)
    dead = [w.proc.returncode for w in workers if w.proc.poll() is not None]
    assert not dead, f"workers exited with {dead}:\n{logs[-6000:]}"
    assert "queued without a message: sending them again" in logs
    assert requests.get(web.url + "/healthz", timeout=30).status_code == 200


# --- the database not there at start ---------------------------------------------------------


def _wait_exit(proc: subprocess.Popen[bytes], timeout: float) -> int:
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {timeout:.0f} s")


def test_no_database_at_start_is_a_clear_error_after_retries(tmp_path: Path) -> None:
    closed = free_port()
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed}/test"
    env = {"DATABASE_URL": url, "QUEUE_URL": f"redis://127.0.0.1:{free_port()}/0"}
    data_dir = tmp_path / "data"
    started = time.monotonic()
    worker = start_worker(data_dir, wait=False, **env)
    web = start_serve(data_dir, wait=False, **env)
    try:
        assert _wait_exit(worker.proc, 90) == 1
        assert _wait_exit(web.proc, 90) != 0
    finally:
        worker.stop()
        web.stop()
    assert time.monotonic() - started > 9  # it waited (10 retries, 1 s apart) before giving up
    expected = f"database unavailable at {url} (tried 11 times)"
    worker_log, web_log = worker.log(tail=1_000_000), web.log(tail=1_000_000)
    assert f"invoice-extractor worker: error: {expected}" in worker_log
    assert "Traceback" not in worker_log
    assert "database not reachable" in worker_log and "retrying" in worker_log
    assert expected in web_log


@needs_redis
def test_a_database_that_comes_up_late_is_waited_for(tmp_path: Path, postgres: None) -> None:
    proxy = TcpProxy(target=5432)  # nothing listens on proxy.port yet: "the database is down"
    base = POSTGRES_URL.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    data_dir = tmp_path / "data"
    with RedisServer(tmp_path / "redis") as redis, postgres_schema() as schema:
        env = {"DATABASE_URL": schema_url(schema, base), "QUEUE_URL": redis.url}
        worker = start_worker(data_dir, wait=False, **env)
        web = start_serve(data_dir, wait=False, **env)
        try:
            wait_for_log(worker, "database not reachable", 30)
            wait_for_log(web, "database not reachable", 30)
            time.sleep(1)
            proxy.start()
            wait_for_log(worker, " ready.", 60)
            web.wait_healthy(60)
            api = Api(web.url)
            session_id, token = api.create_session()
            api.upload(session_id, token, [("late.pdf", heavy_invoice("L-001", pages=1))])
            (job,) = api.wait_done(session_id, token, timeout=60)
            assert job["state"] == "done"
        finally:
            worker.stop()
            web.stop()
            proxy.stop()


# --- a full disk on upload --------------------------------------------------------------------


class _HalfWriter:
    """A file that takes half of what it is given, then fails: the disk filled up mid-write."""

    def __init__(self, fd: int, *args: Any, **kwargs: Any) -> None:
        self.handle = os.fdopen(fd, *args, **kwargs)

    def write(self, data: bytes) -> int:
        self.handle.write(bytes(data)[: len(data) // 2])
        self.handle.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.handle, name)

    def __enter__(self) -> _HalfWriter:
        return self

    def __exit__(self, *_: object) -> None:
        self.handle.close()


class _FullDisk:
    """``os`` as the blob store sees it on a disk that fills up during the write."""

    fdopen = _HalfWriter

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)


def _stored_paths(data_dir: Path) -> list[Path]:
    root = data_dir / "blobs"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _rows(app: Any) -> tuple[int, int]:
    store = app.extensions["invoice_extractor"].store
    with store.db.session() as db:
        files = db.scalar(select(func.count()).select_from(StoredFile)) or 0
        jobs = db.scalar(select(func.count()).select_from(Job)) or 0
    return files, jobs


def test_a_full_disk_on_upload_is_a_clear_507_and_leaves_nothing_behind(
    make_web_app: MakeWebApp,
    new_api: NewApi,
    invoice_pdf: InvoicePdf,
    web_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_web_app()
    api = new_api(app.test_client())
    monkeypatch.setattr(blobs, "os", _FullDisk())
    response = api.upload((invoice_pdf("FULL-1"), "full.pdf"))
    assert response.status_code == 507
    error = response.get_json()["error"]
    assert error["code"] == "storage_error"
    assert error["message"] == "cannot store the upload in DATA_DIR: No space left on device"
    assert _stored_paths(web_settings.data_dir) == []  # not even the temporary file
    assert _rows(app) == (0, 0)

    monkeypatch.undo()  # space again: the same upload now goes through
    response = api.upload((invoice_pdf("FULL-2"), "full.pdf"))
    assert response.status_code == 202, response.get_data(as_text=True)
    (job,) = api.wait(1)
    assert job["state"] == "done"
    assert len(_stored_paths(web_settings.data_dir)) == 1


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MB file system (tmpfs): needs root on Linux, skipped elsewhere."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace')}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_really_full_disk_refuses_the_upload_whole(tiny_disk: Path, postgres: None) -> None:
    from invoice_extractor.web import create_app

    with postgres_schema() as schema:
        settings = Settings(
            data_dir=tiny_disk / "data",
            database_url=schema_url(schema),
            secret_key="test",
            workers=1,
            min_free_disk_mb=0,
        )
        app = create_app(settings)
        try:
            client = app.test_client()
            body = client.post("/api/v1/sessions").get_json()
            headers = {"Authorization": f"Bearer {body['token']}"}
            big = b"%PDF-1.4\n" + os.urandom(2 * 1024 * 1024) + b"\n%%EOF\n"  # 2 MB > 1 MB
            response = client.post(
                f"/api/v1/sessions/{body['id']}/files",
                data={"files": [(io.BytesIO(big), "big.pdf")]},
                headers=headers,
                content_type="multipart/form-data",
            )
            assert response.status_code == 507
            assert "No space left on device" in response.get_json()["error"]["message"]
            assert _stored_paths(settings.data_dir) == []
            assert _rows(app) == (0, 0)
        finally:
            services = app.extensions["invoice_extractor"]
            services.queue.stop()
            services.store.db.dispose()
