"""What a status poll reads, the most frequent request: the session's row (ownership checked),
its files with their jobs, the invoice count, refused uploads and duplicate notices.

All of it on one connection, with statements built once and plain rows back: an ORM session per
part and an object per row cost several times the SQL itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select

from ..errors import NotFound
from .db import Database
from .job_queries import COUNT_INVOICES, FILE_JOBS
from .models import RejectedUpload, ReviewSession
from .sessions import Duplicate, duplicates_on

SESSION_ROW = select(
    ReviewSession.id, ReviewSession.owner_hash, ReviewSession.created_at, ReviewSession.name
).where(ReviewSession.id == bindparam("session_id"))
REJECTED = (
    select(RejectedUpload.id, RejectedUpload.name, RejectedUpload.reason)
    .where(RejectedUpload.session_id == bindparam("session_id"))
    .order_by(RejectedUpload.id)
)


@dataclass(frozen=True, slots=True)
class SessionStatus:
    id: str
    name: str | None
    created_at: datetime
    files: list[dict[str, Any]]
    invoices: int
    rejected: list[dict[str, Any]]
    duplicates: dict[str, Duplicate]


def owned_row(conn: Connection, session_id: str, owner_hashes: Iterable[str]) -> ReviewSession:
    """The session if one of ``owner_hashes`` owns it (a detached row, never flushed);
    otherwise NotFound, never "forbidden"."""
    row = conn.execute(SESSION_ROW, {"session_id": session_id}).first()
    if row is None or row.owner_hash not in set(owner_hashes):
        raise NotFound("no such session")
    return ReviewSession(**row._mapping)


def session_status(db: Database, session_id: str, owner_hashes: Iterable[str]) -> SessionStatus:
    hashes = list(owner_hashes)
    params = {"session_id": session_id}
    with db.transaction() as conn:
        row = owned_row(conn, session_id, hashes)
        files = [dict(r._mapping) for r in conn.execute(FILE_JOBS, params)]
        invoices = conn.scalar(COUNT_INVOICES, params) or 0
        rejected = [dict(r._mapping) for r in conn.execute(REJECTED, params)]
        duplicates = duplicates_on(conn, hashes, session_id)
    return SessionStatus(row.id, row.name, row.created_at, files, invoices, rejected, duplicates)
