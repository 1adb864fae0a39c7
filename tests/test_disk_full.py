"""A full disk beyond uploads (issue 15): session creation, corrections and page images answer 507
(never 500), and no temporary file is left in the page cache."""

from __future__ import annotations

import errno
import os
import sqlite3
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from invoice_extractor.store import blobs

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
