"""What the commonest requests cost the server, counted rather than timed: a status poll and an
upload read on as few connections as their answers need, with no ORM session, and an API call
with a bearer token leaves the browser's session cookie alone (no re-signing per call)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from invoice_extractor.settings import Settings

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from conftest import InvoicePdf


class _HeldQueue:
    """Takes the jobs and runs none: the requests alone are measured."""

    def start(self) -> None: ...

    def submit(self, job_id: int) -> None: ...

    def stop(self) -> None: ...


@pytest.fixture
def quiet_app(web_settings: Settings) -> Iterator[Flask]:
    from invoice_extractor.web import create_app

    app = create_app(web_settings, queue=_HeldQueue())
    yield app
    app.extensions["invoice_extractor"].store.db.dispose()


class _Counter:
    def __init__(self) -> None:
        self.transactions = 0
        self.orm_sessions = 0

    def begin(self, *_: Any) -> None:
        self.transactions += 1

    def orm_begin(self, *_: Any) -> None:
        self.orm_sessions += 1


@pytest.fixture
def counted(quiet_app: Flask) -> Iterator[_Counter]:
    engine = quiet_app.extensions["invoice_extractor"].store.db.engine
    counter = _Counter()
    event.listen(engine, "begin", counter.begin)
    event.listen(Session, "after_begin", counter.orm_begin)
    yield counter
    event.remove(engine, "begin", counter.begin)
    event.remove(Session, "after_begin", counter.orm_begin)


def _new_session(client: FlaskClient) -> tuple[str, dict[str, str]]:
    created = client.post("/api/v1/sessions")
    assert created.status_code == 201
    body = created.get_json()
    return f"/api/v1/sessions/{body['id']}", {"Authorization": f"Bearer {body['token']}"}


def _upload(client: FlaskClient, base: str, auth: dict[str, str], data: bytes, name: str) -> None:
    answer = client.post(
        f"{base}/files",
        data={"files": (io.BytesIO(data), name)},
        headers=auth,
        content_type="multipart/form-data",
    )
    assert answer.status_code == 202, answer.get_data(as_text=True)


def test_a_status_poll_reads_on_one_connection_without_the_orm(
    quiet_app: Flask, counted: _Counter, invoice_pdf: InvoicePdf
) -> None:
    client = quiet_app.test_client()
    base, auth = _new_session(client)
    for n in range(3):
        _upload(client, base, auth, invoice_pdf(f"P-{n}"), f"p{n}.pdf")
    counted.transactions = counted.orm_sessions = 0
    summary = client.get(base, headers=auth)
    assert summary.status_code == 200
    assert len(summary.get_json()["files"]) == 3
    assert (counted.transactions, counted.orm_sessions) == (1, 0)


def test_a_status_poll_takes_four_statements(quiet_app: Flask, invoice_pdf: InvoicePdf) -> None:
    """The owner's sessions (this one's row among them), the files with their jobs (the rows
    the duplicate notices compare when the owner has one session), the invoices' keys (their
    count too), the refused uploads."""
    client = quiet_app.test_client()
    base, auth = _new_session(client)
    data = invoice_pdf("S-1")  # made once: a PDF made a second later has another date
    for n in range(2):
        _upload(client, base, auth, data, f"s{n}.pdf")  # the same bytes twice
    engine = quiet_app.extensions["invoice_extractor"].store.db.engine
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        summary = client.get(base, headers=auth).get_json()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(statements) == 4, statements
    second = summary["files"][1]["file_id"]
    assert summary["duplicates"][f"file:{second}"].startswith("same file as s0.pdf")


@pytest.mark.parametrize("limit", [0, 5])
def test_an_upload_takes_one_transaction_of_four_statements_without_the_orm(
    web_settings: Settings, invoice_pdf: InvoicePdf, limit: int
) -> None:
    """The ownership with the session's file count (the capacity check, when
    MAX_INVOICES_PER_SESSION is set), the owner's files with the same bytes (the duplicate
    notice), the file row and the job row."""
    from invoice_extractor.web import create_app

    settings = web_settings.model_copy(update={"max_invoices_per_session": limit})
    quiet_app = create_app(settings, queue=_HeldQueue())
    counted = _Counter()
    event.listen(quiet_app.extensions["invoice_extractor"].store.db.engine, "begin", counted.begin)
    event.listen(Session, "after_begin", counted.orm_begin)
    client = quiet_app.test_client()
    base, auth = _new_session(client)
    engine = quiet_app.extensions["invoice_extractor"].store.db.engine
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    counted.transactions = counted.orm_sessions = 0
    event.listen(engine, "before_cursor_execute", seen)
    try:
        _upload(client, base, auth, invoice_pdf("U-1"), "u.pdf")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
        event.remove(Session, "after_begin", counted.orm_begin)
        quiet_app.extensions["invoice_extractor"].store.db.dispose()
    assert (counted.transactions, counted.orm_sessions) == (1, 0)
    assert len(statements) == 4, statements


def test_an_upload_reads_no_invoice_for_its_notices(
    quiet_app: Flask, invoice_pdf: InvoicePdf
) -> None:
    """Its answer names duplicate files only: the session's invoices (their JSON) are not read,
    however many it holds."""
    client = quiet_app.test_client()
    base, auth = _new_session(client)
    engine = quiet_app.extensions["invoice_extractor"].store.db.engine
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        _upload(client, base, auth, invoice_pdf("N-1"), "n.pdf")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert statements and not [s for s in statements if "FROM invoices" in s], statements


def test_bearer_calls_leave_the_cookie_alone_and_browser_calls_still_refresh_it(
    quiet_app: Flask,
) -> None:
    client = quiet_app.test_client()
    base, auth = _new_session(client)  # sets the browser's cookie (it owns the session too)
    assert client.get_cookie("invoice_extractor") is not None
    by_token = client.get(base, headers=auth)
    assert by_token.status_code == 200
    assert not by_token.headers.getlist("Set-Cookie")
    by_cookie = client.get(base)  # the browser's own poll: its permanent cookie is renewed
    assert by_cookie.status_code == 200
    assert any(c.startswith("invoice_extractor=") for c in by_cookie.headers.getlist("Set-Cookie"))


def test_a_job_writes_its_new_invoice_row_once_without_the_orm(
    quiet_app: Flask, counted: _Counter, invoice_pdf: InvoicePdf
) -> None:
    """The duplicate keys and the supplier go in the job's INSERT: the row is neither read back
    nor updated after, and no ORM session is opened (no purchase order in the installation). The
    upload's name and hash come with the claim, not from a query of ``files``."""
    from invoice_extractor.jobs.runner import run_job

    client = quiet_app.test_client()
    base, auth = _new_session(client)
    _upload(client, base, auth, invoice_pdf("J-1"), "j.pdf")
    store = quiet_app.extensions["invoice_extractor"].store
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(store.db.engine, "before_cursor_execute", seen)
    counted.orm_sessions = 0
    try:
        job = store.claim_next("test:1:q1:w0")
        assert job is not None
        run_job(store, job, "test:1:q1:w0")
    finally:
        event.remove(store.db.engine, "before_cursor_execute", seen)
    inserts = [s for s in statements if s.startswith("INSERT INTO invoices ")]
    assert len(inserts) == 1 and "match_number" in inserts[0] and "supplier_id" in inserts[0]
    assert not [s for s in statements if s.startswith("UPDATE invoices ")], statements
    assert not [s for s in statements if "invoices.data" in s], statements
    assert not [s for s in statements if s.startswith("SELECT files.")], statements
    assert counted.orm_sessions == 0


def test_a_bearer_call_never_parses_the_cookie_header(
    quiet_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The session cookie is looked up when the session is read, not for every request; a
    browser's call still reads it (its CSRF check and ownership ride on it)."""
    from flask import Request
    from werkzeug.utils import cached_property

    client = quiet_app.test_client()
    base, auth = _new_session(client)  # the client keeps the cookie: it is sent on each call
    parsed: list[int] = []
    plain = Request.cookies

    def counted(self: Request) -> Any:
        parsed.append(1)
        return plain.__get__(self, Request)

    monkeypatch.setattr(Request, "cookies", cached_property(counted, name="cookies"))
    assert client.get(base, headers=auth).status_code == 200
    assert parsed == []
    assert client.get(base).status_code == 200  # by the cookie alone
    assert parsed == [1]
