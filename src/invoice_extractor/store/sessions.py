"""Managing a browser's sessions: list, rename, delete (files, jobs, invoices, images); retry
or remove a file, remove an invoice; uploads refused with their reason; and the one small
duplicate check of uploads within the sessions a browser owns (to be replaced by the matcher)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update

from ..errors import BadRequest, NotFound
from .blobs import BlobStore
from .db import Database
from .models import InvoiceRecord, Job, JobState, RejectedUpload, ReviewSession, StoredFile
from .regrounding import corrected_evidence

MAX_NAME_CHARS = 120


@dataclass(frozen=True, slots=True)
class Duplicate:
    """Another upload this browser made that looks like the same document."""

    session_id: str
    session_name: str
    file_name: str
    reason: str  # "same file" | "same seller and number"

    def describe(self) -> str:
        return f"{self.reason} as {self.file_name} in {self.session_name}"


class SessionAdmin:
    def __init__(self, db: Database, blobs: BlobStore, page_cache: Path) -> None:
        self.db = db
        self.blobs = blobs
        self.page_cache = page_cache

    def owned(self, owner_hashes: Iterable[str]) -> list[ReviewSession]:
        """The sessions these owner hashes hold, newest first."""
        hashes = list(owner_hashes)
        if not hashes:
            return []
        with self.db.session() as db:
            query = select(ReviewSession).where(ReviewSession.owner_hash.in_(hashes))
            return list(db.scalars(query.order_by(ReviewSession.created_at.desc())))

    def rename(self, session_id: str, name: str) -> None:
        name = " ".join(name.split())
        if not name or len(name) > MAX_NAME_CHARS:
            raise BadRequest(f"a session name has 1 to {MAX_NAME_CHARS} characters")
        with self.db.session() as db:
            db.execute(
                update(ReviewSession).where(ReviewSession.id == session_id).values(name=name)
            )

    def delete_session(self, session_id: str) -> None:
        """The session and everything in it; bytes no other session uses go too."""
        with self.db.session() as db:
            hashes = set(
                db.scalars(select(StoredFile.sha256).where(StoredFile.session_id == session_id))
            )
            db.execute(delete(ReviewSession).where(ReviewSession.id == session_id))
        self._drop_unused(hashes)

    def retry(self, session_id: str, file_id: int) -> int:
        """Queue a failed file's job again; its id (to submit)."""
        with self.db.session() as db:
            job = db.scalar(select(Job).where(Job.file_id == file_id, Job.session_id == session_id))
            if job is None:
                raise NotFound("no such file")
            if job.state != JobState.FAILED:
                raise BadRequest("only a failed file can be retried")
            job.state, job.error, job.worker, job.lease_until = JobState.QUEUED, None, None, None
            return job.id

    def remove_file(self, session_id: str, file_id: int) -> None:
        with self.db.session() as db:
            stored = db.get(StoredFile, file_id)
            if stored is None or stored.session_id != session_id:
                raise NotFound("no such file")
            sha256 = stored.sha256
            db.delete(stored)  # its job and invoices go by ON DELETE CASCADE
        self._drop_unused({sha256})

    def remove_invoice(self, session_id: str, invoice_id: int) -> None:
        with self.db.session() as db:
            found = db.execute(
                delete(InvoiceRecord).where(
                    InvoiceRecord.id == invoice_id, InvoiceRecord.session_id == session_id
                )
            )
            if found.rowcount != 1:  # type: ignore[attr-defined]
                raise NotFound("no such invoice")

    def first_page(self, session_id: str, invoice_id: int) -> tuple[int, int] | None:
        """(file id, first page) of an invoice, for fetching its page image ahead of time."""
        with self.db.session() as db:
            row = db.execute(
                select(InvoiceRecord.file_id, InvoiceRecord.data).where(
                    InvoiceRecord.id == invoice_id, InvoiceRecord.session_id == session_id
                )
            ).first()
        if row is None:
            return None
        pages = row.data.get("pages")
        return (row.file_id, pages[0]) if isinstance(pages, list) and pages else None

    def reground(
        self, session_id: str, invoice_id: int, paths: Iterable[str], max_pages: int
    ) -> None:
        """Store where each corrected field's new value stands on the page (or that it is not
        found): the review highlight follows the correction."""
        with self.db.session() as db:
            record = db.get(InvoiceRecord, invoice_id)
            if record is None or record.session_id != session_id:
                raise NotFound("no such invoice")
            wanted = set(paths)
            rows = [r for r in record.fields if r.path in wanted and r.is_corrected]
            if not rows:
                return
            stored = db.get(StoredFile, record.file_id)
            pages = record.data.get("pages")
            if stored is None or not isinstance(pages, list):
                return
            values = {r.path: r.corrected for r in rows}
            found = corrected_evidence(
                self.blobs.get(stored.sha256), stored.name, pages, values, max_pages
            )
            for row in rows:
                row.evidence = found.get(row.path)

    def rejected(self, session_id: str) -> list[RejectedUpload]:
        with self.db.session() as db:
            query = select(RejectedUpload).where(RejectedUpload.session_id == session_id)
            return list(db.scalars(query.order_by(RejectedUpload.id)))

    def forget_rejected(self, session_id: str, rejected_id: int) -> None:
        with self.db.session() as db:
            db.execute(
                delete(RejectedUpload).where(
                    RejectedUpload.id == rejected_id, RejectedUpload.session_id == session_id
                )
            )

    def _drop_unused(self, hashes: set[str]) -> None:
        with self.db.session() as db:
            used = set(db.scalars(select(StoredFile.sha256).where(StoredFile.sha256.in_(hashes))))
        for sha256 in hashes - used:
            self.blobs.path(sha256).unlink(missing_ok=True)
            for cached in (self.page_cache / sha256[:2]).glob(f"{sha256}-*"):
                cached.unlink(missing_ok=True)


# Built once; the seller name, number and file name read inside the database, so that no
# invoice's whole JSON is fetched and parsed for a notice (this runs on every status poll).
_OWNED = (
    select(ReviewSession.id, ReviewSession.name, ReviewSession.created_at)
    .where(ReviewSession.owner_hash.in_(bindparam("hashes", expanding=True)))
    .order_by(ReviewSession.created_at.desc())
)
FILE_KEYS = (
    select(StoredFile.id, StoredFile.session_id, StoredFile.sha256, StoredFile.name)
    .where(StoredFile.session_id.in_(bindparam("sessions", expanding=True)))
    .order_by(StoredFile.id)
)
INVOICE_KEYS = (
    select(
        InvoiceRecord.id,
        InvoiceRecord.session_id,
        InvoiceRecord.data[("seller", "name")].as_string(),
        InvoiceRecord.data["invoice_number"].as_string(),
        InvoiceRecord.data["file"].as_string(),
    )
    .where(InvoiceRecord.session_id.in_(bindparam("sessions", expanding=True)))
    .order_by(InvoiceRecord.id)
)


def owned_sessions(conn: Connection, owner_hashes: list[str]) -> dict[str, OwnedSession]:
    """The sessions of these owners, newest first, by id."""
    return {
        sid: OwnedSession(name, created)
        for sid, name, created in conn.execute(_OWNED, {"hashes": owner_hashes})
    }


@dataclass(frozen=True, slots=True)
class OwnedSession:
    name: str | None
    created_at: datetime

    @property
    def label(self) -> str:
        return self.name or f"session of {self.created_at:%Y-%m-%d %H:%M}"


def notices(
    sessions: dict[str, OwnedSession],
    session_id: str,
    files: Iterable[Sequence[Any]],
    invoices: Iterable[Sequence[Any]],
) -> dict[str, Duplicate]:
    """For each file (``file:ID``) and invoice (``invoice:ID``) of ``session_id``: an earlier
    upload in one of ``sessions`` (the owners') with the same bytes, or an invoice with the same
    seller and number; from rows read: ``files`` as ``FILE_KEYS`` reads them (id, session, hash,
    name; by id), ``invoices`` as ``INVOICE_KEYS`` (id, session, seller, number, file; by id).
    The matcher does this across the installation; an upload's answer asks ``store.uploads``."""
    found: dict[str, Duplicate] = {}
    first_by_hash: dict[str, tuple[str, str]] = {}
    for file_id, owner, sha256, name in files:
        if sha256 in first_by_hash and owner == session_id:
            other_session, other_name = first_by_hash[sha256]
            found[f"file:{file_id}"] = Duplicate(
                other_session, sessions[other_session].label, other_name, "same file"
            )
        first_by_hash.setdefault(sha256, (owner, name))
    first_by_key: dict[tuple[str, str], tuple[str, str]] = {}
    for invoice_id, owner, seller, number, file_name in invoices:
        key = _identity(seller, number)
        if key is None:
            continue
        if key in first_by_key and owner == session_id:
            other_session, other_name = first_by_key[key]
            found[f"invoice:{invoice_id}"] = Duplicate(
                other_session, sessions[other_session].label, other_name, "same seller and number"
            )
        first_by_key.setdefault(key, (owner, file_name or ""))
    return found


def _identity(name: object, number: object) -> tuple[str, str] | None:
    if not isinstance(name, str) or not isinstance(number, str) or not name or not number:
        return None
    return " ".join(name.lower().split()), number.strip().lower()
