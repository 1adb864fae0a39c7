"""What the web layer and the workers do with the database, as named operations."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, func, select, update

from ..errors import BadRequest, NotFound, StorageError
from ..model import Invoice
from ..settings import Settings
from .blobs import BlobStore
from .corrections import checked_changes
from .db import Database
from .invoice_rows import NOT_EDITABLE, NewInvoice, extracted_field, insert_invoice
from .invoice_view import InvoiceView, corrected_data, view
from .job_queries import (
    COUNT_INVOICES,
    DELETE_INVOICES,
    FILE_JOBS,
    FILE_ROW,
    MARK_DONE,
    SET_STATE,
    claim_statement,
)
from .models import (
    Edit,
    InvoiceRecord,
    Job,
    JobState,
    ReviewSession,
    StoredFile,
    utcnow,
)
from .pages import PageImages
from .sellers import SellerBook
from .session_status import SessionStatus, owned_row, session_status
from .sessions import SessionAdmin
from .uploads import store_uploads


class StoreChecks(Protocol):
    """The checks of a job's new invoices, in the transaction that stores them (``finish``)."""

    def before_insert(self, db: Connection, new: NewInvoice) -> None:
        """May complete the row (``new.columns``, ``new.data``); runs before each INSERT."""

    def after_insert(self, db: Connection, stored: list[NewInvoice]) -> None:
        """Runs once the job's invoices are inserted."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Store:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create DATA_DIR {settings.data_dir}: {exc}") from exc
        self.db = Database(settings.database)
        self.blobs = BlobStore(settings.data_dir / "blobs")
        self._claim_next = claim_statement(oldest=True, skip_locked=not self.db.is_sqlite)
        self._claim_one = claim_statement(oldest=False, skip_locked=False)
        self.pages = PageImages(
            self.blobs, settings.data_dir / "cache" / "pages", settings.render_dpi
        )
        self.admin = SessionAdmin(self.db, self.blobs, settings.data_dir / "cache" / "pages")
        self.sellers = SellerBook(self.db)

    def migrate(self) -> None:
        self.db.migrate(self.settings.data_dir)

    # -- sessions and ownership -------------------------------------------------------------

    def create_session(self) -> tuple[str, str]:
        """A new session id (192 random bits) and its owner token (256 bits, stored hashed)."""
        session_id = secrets.token_urlsafe(24)
        token = secrets.token_urlsafe(32)
        with self.db.session() as db:
            db.add(ReviewSession(id=session_id, owner_hash=token_hash(token)))
        return session_id, token

    def owned_session(self, session_id: str, tokens: Iterable[str]) -> ReviewSession:
        """The session if one of ``tokens`` owns it; otherwise NotFound, never "forbidden"."""
        with self.db.transaction() as conn:
            return owned_row(conn, session_id, {token_hash(t) for t in tokens if t})

    def session_status(self, session_id: str, tokens: Iterable[str]) -> SessionStatus:
        """What a status poll shows, if one of ``tokens`` owns the session (else NotFound)."""
        return session_status(self.db, session_id, [token_hash(t) for t in tokens if t])

    # -- uploads and jobs ---------------------------------------------------------------------

    def add_upload(self, session_id: str, name: str, data: bytes) -> tuple[StoredFile, Job]:
        """The file's row and its queued job (both detached: read, never flushed), taken as an
        upload of the session's owner is (``store_uploads``), for callers of this process."""
        limit = self.settings.max_invoices_per_session
        taken = store_uploads(self.db, self.blobs, limit, session_id, None, [(name, data)])[0]
        stored = StoredFile(
            id=taken.file_id, session_id=session_id, name=name, sha256=taken.sha256, size=taken.size
        )
        job = Job(
            id=taken.job_id,
            session_id=session_id,
            file_id=taken.file_id,
            state=JobState.QUEUED,
            attempts=0,
        )
        return stored, job

    def files(self, session_id: str) -> list[tuple[StoredFile, Job]]:
        with self.db.session() as db:
            rows = db.execute(
                select(StoredFile, Job)
                .join(Job, Job.file_id == StoredFile.id)
                .where(StoredFile.session_id == session_id)
                .order_by(StoredFile.id)
            )
            return [(f, j) for f, j in rows]

    def file_jobs(self, session_id: str) -> tuple[list[dict[str, Any]], int]:
        """Each file of the session with its job's state (as plain rows, no ORM objects: a
        status poll is the most frequent request), and the session's invoice count."""
        params = {"session_id": session_id}
        with self.db.session() as db:
            rows = [dict(row._mapping) for row in db.execute(FILE_JOBS, params)]
            return rows, db.scalar(COUNT_INVOICES, params) or 0

    def file(self, session_id: str, file_id: int) -> StoredFile:
        """The file's row (detached: read, never flushed); every job and page image reads one."""
        with self.db.transaction() as conn:
            row = conn.execute(FILE_ROW, {"file_id": file_id}).first()
        if row is None or row.session_id != session_id:
            raise NotFound("no such file")
        return StoredFile(**row._mapping)

    def claim_next(self, worker: str) -> Job | None:
        """Take the oldest queued job, or one whose worker's lease ran out (it died)."""
        return self._claim(self._claim_next, {}, worker)

    def claim(self, job_id: int, worker: str) -> Job | None:
        """Take this job if it is queued or its worker's lease ran out; None if it is not."""
        return self._claim(self._claim_one, {"job_id": job_id}, worker)

    def _claim(
        self, statement: Any, params: dict[str, Any], worker: str, conn: Connection | None = None
    ) -> Job | None:
        """The claim, in its own transaction or (``conn``) in that one."""
        if conn is None:
            with self.db.transaction() as conn:
                return self._claim(statement, params, worker, conn)
        now = utcnow()
        lease = now + timedelta(seconds=self.settings.job_lease_seconds)
        values = {**params, "now": now, "lease": lease, "claimer": worker}
        row = conn.execute(statement, values).first()
        return None if row is None else Job(**row._mapping)  # detached: read, never flushed

    def renew(self, worker_prefix: str, job_ids: Sequence[int]) -> None:
        if not job_ids:
            return
        lease = utcnow() + timedelta(seconds=self.settings.job_lease_seconds)
        with self.db.session() as db:
            db.execute(
                update(Job)
                .where(Job.id.in_(job_ids), Job.worker.startswith(worker_prefix + ":"))
                .values(lease_until=lease)
            )

    def set_state(self, job_id: int, worker: str, state: JobState) -> None:
        with self.db.transaction() as conn:
            params = {"job_id": job_id, "holder": worker, "state": state, "now": utcnow()}
            conn.execute(SET_STATE, params)

    def release(self, job_id: int, worker: str) -> None:
        """Back to queued, this attempt not counted: the store, not the job, was the problem."""
        with self.db.session() as db:
            db.execute(
                update(Job)
                .where(Job.id == job_id, Job.worker == worker, Job.state.in_(JobState.running()))
                .values(
                    state=JobState.QUEUED,
                    worker=None,
                    lease_until=None,
                    attempts=Job.attempts - 1,
                    updated_at=utcnow(),
                )
            )

    def fail(self, job_id: int, worker: str | None, error: str) -> None:
        with self.db.session() as db:
            query = update(Job).where(Job.id == job_id)
            if worker is not None:
                query = query.where(Job.worker == worker)
            db.execute(
                query.values(
                    state=JobState.FAILED, error=error, finished_at=utcnow(), lease_until=None
                )
            )

    def finish(
        self,
        job: Job,
        worker: str,
        invoices: list[Invoice],
        seconds: float,
        checks: StoreChecks | None = None,
    ) -> bool:
        """Store the job's invoices and mark it done, once: a second run replaces, never adds."""
        return self.finish_and_claim(job, worker, invoices, seconds, checks, claim=False)[0]

    def finish_and_claim(
        self,
        job: Job,
        worker: str,
        invoices: list[Invoice],
        seconds: float,
        checks: StoreChecks | None,
        *,
        claim: bool = True,
    ) -> tuple[bool, Job | None]:
        """``finish``: whether the result was stored; and (``claim``) the worker's next job, taken
        as ``claim_next`` does in the same transaction, so that on a busy queue a job costs one
        commit, not two (on SQLite the commit is most of a claim's CPU).

        The conditional UPDATE comes first and is the guard: only the worker holding the job can
        mark it done, and the write lock it takes (a row lock on PostgreSQL, the database lock on
        SQLite) covers the replacement of the invoice rows in the same transaction. The rows are
        written as ``checks`` completed them (no row read back, none updated after).
        """
        with self.db.transaction() as conn:
            params = {"job_id": job.id, "holder": worker, "now": utcnow(), "took": seconds}
            if conn.execute(MARK_DONE, params).rowcount != 1:
                return False, None  # another worker took the job over (our lease ran out)
            if job.attempts != 1:  # a first run has no earlier result (done is stored whole)
                conn.execute(DELETE_INVOICES, {"job_id": job.id})
            new = NewInvoice.of(invoices)
            for item in new:  # one at a time: an invoice's checks see the job's earlier ones
                if checks is not None:
                    checks.before_insert(conn, item)
                insert_invoice(conn, job, item)
            if checks is not None and new:
                checks.after_insert(conn, new)
            return True, self._claim(self._claim_next, {}, worker, conn) if claim else None

    # -- invoices, fields and edits -----------------------------------------------------------

    def invoices(self, session_id: str, ids: Sequence[int] | None = None) -> list[InvoiceView]:
        with self.db.session() as db:
            query = select(InvoiceRecord).where(InvoiceRecord.session_id == session_id)
            if ids is not None:
                query = query.where(InvoiceRecord.id.in_(ids))
            rows = db.scalars(query.order_by(InvoiceRecord.file_id, InvoiceRecord.position))
            return [view(r) for r in rows.unique()]

    def invoice_ids(self, session_id: str) -> list[int]:
        """The session's invoice ids in list order (without building the invoices)."""
        with self.db.session() as db:
            query = (
                select(InvoiceRecord.id)
                .where(InvoiceRecord.session_id == session_id)
                .order_by(InvoiceRecord.file_id, InvoiceRecord.position)
            )
            return list(db.scalars(query))

    def count_invoices(self, session_id: str) -> int:
        with self.db.session() as db:
            query = select(func.count()).where(InvoiceRecord.session_id == session_id)
            return db.scalar(query) or 0

    def invoice(self, session_id: str, invoice_id: int) -> InvoiceView:
        views = self.invoices(session_id, [invoice_id])
        if not views:
            raise NotFound("no such invoice")
        return views[0]

    def edits(self, session_id: str, invoice_id: int) -> list[Edit]:
        self.invoice(session_id, invoice_id)
        with self.db.session() as db:
            return list(
                db.scalars(select(Edit).where(Edit.invoice_id == invoice_id).order_by(Edit.id))
            )

    def edit(
        self,
        session_id: str,
        invoice_id: int,
        changes: dict[str, str | None],
        author: str,
        reviewed: bool | None = None,
    ) -> InvoiceView:
        """Correct fields (each checked against the model) and/or mark the invoice reviewed."""
        with self.db.session() as db:
            # Locked (PostgreSQL): a field's first correction inserts its row, and two saves of
            # it at once would both insert; the second now waits and finds the first's row.
            record = db.get(InvoiceRecord, invoice_id, with_for_update=True)
            if record is None or record.session_id != session_id:
                raise NotFound("no such invoice")
            fields = {f.path: f for f in record.fields}
            refused = [p for p in changes if p.split(".", 1)[0] in NOT_EDITABLE]
            if refused:
                raise BadRequest(f"{refused[0]!r} is not an editable field")
            changes = checked_changes(corrected_data(record), changes)
            for path, value in changes.items():
                row = fields.get(path)
                if row is None:  # its first correction: the row holds the value as extracted
                    row = extracted_field(record.data, path)
                    record.fields.append(row)
                old = row.corrected if row.is_corrected else row.value
                if old == value:
                    # The value entered as it was read: a person confirmed it (confidence 1.0),
                    # nothing changed, so no edit to record.
                    row.corrected, row.is_corrected = value, True
                    continue
                row.corrected, row.is_corrected = value, True
                db.add(
                    Edit(
                        invoice_id=invoice_id,
                        path=path,
                        old_value=old,
                        new_value=value,
                        author=author,
                    )
                )
            if reviewed is not None:
                was = record.reviewed
                record.reviewed = reviewed
                record.reviewed_at = utcnow() if reviewed else None
                record.reviewed_by = author if reviewed else None
                db.add(
                    Edit(
                        invoice_id=invoice_id,
                        path="reviewed",
                        old_value="true" if was else "false",
                        new_value="true" if reviewed else "false",
                        author=author,
                    )
                )
            db.flush()
            return view(record)
