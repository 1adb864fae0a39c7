"""A full disk beyond uploads (issue 15): session creation, corrections and page images answer 507
(never 500), no temporary file is left in the page cache, and a job whose result the disk refuses
is tried again with back-off (one warning line per try), then sent back to the queue uncounted."""

from __future__ import annotations

import errno
import os
import re
import sqlite3
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from invoice_extractor.errors import StorageError
from invoice_extractor.jobs import runner
from invoice_extractor.jobs.celery import worker as celery_worker
from invoice_extractor.jobs.runner import RETRY_DELAYS, release_quietly, run_job
from invoice_extractor.store import blobs
from invoice_extractor.store.models import Job, JobState
from invoice_extractor.store.repository import Store

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from conftest import Api, InvoicePdf, NewApi


def _full_database(monkeypatch: pytest.MonkeyPatch) -> None:
    def flush(self: Session, objects: object = None) -> None:
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full"))

    monkeypatch.setattr(Session, "flush", flush)


def _assert_storage_error(response: Any) -> None:
    assert response.status_code == 507, response.get_data(as_text=True)[:300]
    assert response.get_json()["error"]["code"] == "storage_error"


def test_creating_a_session_on_a_full_database_is_507(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _full_database(monkeypatch)
    _assert_storage_error(client.post("/api/v1/sessions"))


def test_a_correction_on_a_full_database_is_507(
    new_api: NewApi, invoice_pdf: InvoicePdf, monkeypatch: pytest.MonkeyPatch
) -> None:
    api: Api = new_api()
    assert api.upload((invoice_pdf(), "a.pdf")).status_code == 202
    api.wait(1)
    (invoice,) = api.invoices()
    _full_database(monkeypatch)
    _assert_storage_error(api.patch(invoice["id"], {"fields": {"total": "99.00"}}))


def test_a_page_image_on_a_full_disk_is_507_and_leaves_no_temp_file(
    new_api: NewApi, invoice_pdf: InvoicePdf, web_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    api: Api = new_api()
    body = api.upload((invoice_pdf(), "a.pdf")).get_json()
    api.wait(1)
    file_id = body["accepted"][0]["file_id"]

    real_fdopen = os.fdopen

    class FullFile:
        def __init__(self, fd: int, mode: str) -> None:
            self.handle = real_fdopen(fd, mode)

        def __enter__(self) -> FullFile:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def write(self, data: bytes) -> int:
            self.handle.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(blobs.os, "fdopen", FullFile)
    _assert_storage_error(api.get(f"/files/{file_id}/pages/1.png"))
    cache = web_app.extensions["invoice_extractor"].store.pages.cache_dir
    assert [p.name for p in cache.rglob(".tmp-*")] == []


# --- jobs on a full disk: retried with back-off, released, never stuck, one line per try -------


class _FullForAWhile:
    """``Store.finish`` on a disk that is full for the first ``writes`` tries."""

    def __init__(self, store: Store, writes: int) -> None:
        self.real, self.left, self.tries = store.finish, writes, 0

    def __call__(self, *args: Any) -> bool:
        self.tries += 1
        if self.left > 0:
            self.left -= 1
            raise StorageError("the database cannot take the write: its disk is full")
        return self.real(*args)


def _one_job(store: Store, pdf: bytes) -> tuple[str, int]:
    session_id, _ = store.create_session()
    return session_id, store.add_upload(session_id, "a.pdf", pdf)[1].id


def _state(store: Store, job_id: int) -> tuple[str, int, str | None]:
    with store.db.session() as db:
        job = db.get(Job, job_id)
        assert job is not None
        return job.state, job.attempts, job.worker


def _no_tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
    return [r.getMessage() for r in caplog.records if "disk is full" in r.getMessage()]


def test_a_result_refused_by_a_full_disk_is_written_once_space_returns(
    job_store: Store,
    invoice_pdf: InvoicePdf,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    session_id, job_id = _one_job(job_store, invoice_pdf())
    full = _FullForAWhile(job_store, writes=3)
    monkeypatch.setattr(job_store, "finish", full)
    waits: list[float] = []
    job = job_store.claim(job_id, "host:1:w0")
    assert job is not None
    run_job(job_store, job, "host:1:w0", wait=lambda s: bool(waits.append(s)))
    assert waits == list(RETRY_DELAYS[:3])  # growing back-off, one wait per refused try
    assert full.tries == 4
    assert _state(job_store, job_id) == (JobState.DONE, 1, "host:1:w0")
    assert job_store.count_invoices(session_id) == 1
    assert len(_no_tracebacks(caplog)) == 3


def test_a_disk_that_stays_full_sends_the_job_back_uncounted(
    job_store: Store,
    invoice_pdf: InvoicePdf,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    session_id, job_id = _one_job(job_store, invoice_pdf())
    full = _FullForAWhile(job_store, writes=len(RETRY_DELAYS) + 1)
    monkeypatch.setattr(job_store, "finish", full)
    job = job_store.claim(job_id, "host:1:w0")
    assert job is not None
    with pytest.raises(StorageError):
        run_job(job_store, job, "host:1:w0", wait=lambda s: False)
    release_quietly(job_store, job, "host:1:w0", StorageError("disk full"))
    assert _state(job_store, job_id) == (JobState.QUEUED, 0, None)  # not stuck, not counted
    # Space again: the next run (here a Celery message) does it, as attempt 1.
    assert celery_worker.execute(job_id) == "ran (attempt 1)"
    assert _state(job_store, job_id)[:2] == (JobState.DONE, 1)
    assert job_store.count_invoices(session_id) == 1
    assert len(_no_tracebacks(caplog)) == len(RETRY_DELAYS)


def test_a_celery_job_on_a_full_disk_is_deferred_not_failed(
    job_store: Store,
    invoice_pdf: InvoicePdf,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, job_id = _one_job(job_store, invoice_pdf())
    store = celery_worker.process_store()
    monkeypatch.setattr(store, "finish", _FullForAWhile(store, writes=100))
    monkeypatch.setattr(runner, "RETRY_DELAYS", (0.01, 0.02))
    outcome = celery_worker.execute(job_id)
    assert outcome.startswith("deferred: the database cannot take the write")
    assert _state(job_store, job_id) == (JobState.QUEUED, 0, None)
    _no_tracebacks(caplog)


def test_a_new_session_from_the_page_on_a_full_database_is_a_507_page_without_a_cookie(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = client.get("/").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None
    _full_database(monkeypatch)
    response = client.post(
        "/sessions",
        data={"csrf_token": csrf.group(1)},
        headers={"Accept": "text/html", "Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code == 507
    assert response.mimetype == "text/html"
    assert "its disk is full" in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers
