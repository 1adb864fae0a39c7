"""An upload's answer in one transaction (``store/uploads.py``): its duplicate notices are the
ones the status poll shows, across the sessions a browser owns and within one batch, never from
another owner's files; a stranger's session stores nothing; a batch refused as too large for the
session still lists its refused files."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from invoice_extractor.settings import Settings

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from conftest import InvoicePdf


class _HeldQueue:
    """The submitted job ids, none run: only the uploads' rows are looked at."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.submit = self.ids.append

    def start(self) -> None: ...

    def stop(self) -> None: ...


@pytest.fixture
def make_quiet_app(web_settings: Settings) -> Iterator[Any]:
    from invoice_extractor.web import create_app

    apps: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        settings = Settings.model_validate({**web_settings.model_dump(), **overrides})
        app = create_app(settings, queue=_HeldQueue())
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["invoice_extractor"].store.db.dispose()


def _csrf(client: FlaskClient) -> str:
    found = re.search(
        r'name="csrf-token" content="([^"]+)"', client.get("/").get_data(as_text=True)
    )
    assert found, "no CSRF token in the page"
    return found.group(1)


def _session(client: FlaskClient) -> tuple[str, dict[str, str]]:
    """A new session of this browser (its cookie owns it): its URL and its bearer header."""
    body = client.post("/api/v1/sessions").get_json()
    return f"/api/v1/sessions/{body['id']}", {"Authorization": f"Bearer {body['token']}"}


def _post(
    client: FlaskClient, base: str, headers: dict[str, str], *files: tuple[bytes, str]
) -> Any:
    data = {"files": [(io.BytesIO(content), name) for content, name in files]}
    return client.post(
        f"{base}/files", data=data, headers=headers, content_type="multipart/form-data"
    )


def test_an_uploads_notices_are_the_status_polls_across_sessions_and_within_a_batch(
    make_quiet_app: Any, invoice_pdf: InvoicePdf
) -> None:
    app = make_quiet_app()
    browser = app.test_client()
    first, _ = _session(browser)
    second, _ = _session(browser)
    by_cookie = {"X-CSRF-Token": _csrf(browser)}  # the cookie owns both sessions
    a, b = invoice_pdf("A-1"), invoice_pdf("B-1")
    assert _post(browser, first, by_cookie, (a, "a.pdf")).status_code == 202
    answer = _post(browser, second, by_cookie, (a, "again.pdf"), (b, "b.pdf"), (b, "b2.pdf"))
    assert answer.status_code == 202
    accepted = answer.get_json()["accepted"]
    label = browser.get(first).get_json()["created_at"][:16].replace("T", " ")
    assert accepted[0]["duplicate"] == f"same file as a.pdf in session of {label}"
    assert accepted[1]["duplicate"] is None
    assert accepted[2]["duplicate"].startswith("same file as b.pdf in session of ")
    polled = browser.get(second).get_json()["duplicates"]
    assert {f"file:{f['file_id']}": f["duplicate"] for f in accepted if f["duplicate"]} == polled


def test_another_owners_bytes_are_no_duplicate_and_their_session_takes_nothing(
    make_quiet_app: Any, invoice_pdf: InvoicePdf
) -> None:
    app = make_quiet_app()
    queue = app.extensions["invoice_extractor"].queue
    one, two = app.test_client(), app.test_client()
    mine, my_auth = _session(one)
    theirs, their_auth = _session(two)
    data = invoice_pdf("C-1")
    assert _post(two, theirs, their_auth, (data, "theirs.pdf")).status_code == 202
    answer = _post(one, mine, my_auth, (data, "mine.pdf"))
    assert answer.get_json()["accepted"][0]["duplicate"] is None
    submitted = list(queue.ids)
    stranger = _post(one, theirs, my_auth, (data, "x.pdf"), (b"", "empty.pdf"))
    assert stranger.status_code == 404
    assert queue.ids == submitted
    summary = two.get(theirs, headers=their_auth).get_json()
    assert [f["name"] for f in summary["files"]] == ["theirs.pdf"] and summary["rejected"] == []


def test_a_batch_refused_for_the_sessions_limit_still_lists_its_refused_files(
    make_quiet_app: Any, invoice_pdf: InvoicePdf
) -> None:
    app = make_quiet_app(max_invoices_per_session=1)
    client = app.test_client()
    base, auth = _session(client)
    assert _post(client, base, auth, (invoice_pdf("D-1"), "d.pdf")).status_code == 202
    full = _post(client, base, auth, (b"", "empty.pdf"), (invoice_pdf("D-2"), "d2.pdf"))
    assert full.status_code == 409 and full.get_json()["error"]["code"] == "session_full"
    summary = client.get(base, headers=auth).get_json()
    assert [f["name"] for f in summary["files"]] == ["d.pdf"]
    assert [(r["name"], r["reason"]) for r in summary["rejected"]] == [
        ("empty.pdf", "the file is empty")
    ]


def test_add_upload_takes_the_uploads_path_its_limit_and_its_stored_bytes(
    web_settings: Settings, invoice_pdf: InvoicePdf
) -> None:
    """``Store.add_upload`` (callers of this process: no owner token) is ``store_uploads``: the
    row and queued job it returns are the stored ones, the bytes are in the blob store, and the
    session's limit refuses the file past it."""
    from invoice_extractor.errors import NotFound, SessionFull
    from invoice_extractor.store.models import JobState
    from invoice_extractor.store.repository import Store

    settings = web_settings.model_copy(update={"max_invoices_per_session": 1})
    store = Store(settings)
    store.migrate()
    try:
        session_id, _ = store.create_session()
        data = invoice_pdf("A-1")
        stored, job = store.add_upload(session_id, "a.pdf", data)
        assert store.blobs.get(stored.sha256) == data
        assert store.file(session_id, stored.id).name == "a.pdf"
        assert (job.file_id, job.state) == (stored.id, JobState.QUEUED)
        rows, _ = store.file_jobs(session_id)
        assert [(r["file_id"], r["job_id"]) for r in rows] == [(stored.id, job.id)]
        with pytest.raises(SessionFull):
            store.add_upload(session_id, "b.pdf", invoice_pdf("A-2"))
        with pytest.raises(NotFound):
            store.add_upload("no-such-session", "c.pdf", data)
    finally:
        store.db.dispose()


@pytest.mark.parametrize(
    "name", ["a" * 63, "a" * 65, "A" * 64, "a" * 64 + "\n", "../" + "a" * 61, "g" * 64]
)
def test_a_blob_is_named_by_a_lowercase_sha256_only(tmp_path: Any, name: str) -> None:
    from invoice_extractor.store.blobs import BlobStore

    blobs = BlobStore(tmp_path)
    assert blobs.path("0f" * 32) == tmp_path / "0f" / ("0f" * 32)
    with pytest.raises(ValueError, match="not a sha256"):
        blobs.path(name)
