"""What a status poll reads, the most frequent request: the session's row (ownership checked),
its files with their jobs, the invoice count, refused uploads and duplicate notices.

All of it on one connection, with statements built once and plain rows back: an ORM session per
part and an object per row cost several times the SQL itself. Four statements: the owner's
sessions (which include this one's row), the files with their jobs (also the rows the duplicate
notices compare when the owner has no other session), the invoices' keys (counted for the
invoice count) and the refused uploads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select

from ..errors import NotFound
from .db import Database
from .job_queries import FILE_JOBS
from .models import RejectedUpload, ReviewSession
from .sessions import FILE_KEYS, INVOICE_KEYS, Duplicate, notices, owned_sessions

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
        sessions = owned_sessions(conn, hashes) if hashes else {}
        if session_id not in sessions:
            raise NotFound("no such session")
        files = [dict(r._mapping) for r in conn.execute(FILE_JOBS, params)]
        rejected = [dict(r._mapping) for r in conn.execute(REJECTED, params)]
        owned = {"sessions": list(sessions)}
        mine: Sequence[Sequence[Any]]
        if len(sessions) == 1:  # every file of the owner is one of these (each has its job)
            mine = [(f["file_id"], session_id, f["sha256"], f["name"]) for f in files]
        else:
            mine = conn.execute(FILE_KEYS, owned).all()
        keys = conn.execute(INVOICE_KEYS, owned).all()
    invoices = sum(1 for row in keys if row.session_id == session_id)
    duplicates = notices(sessions, session_id, mine, keys)
    this = sessions[session_id]
    return SessionStatus(
        session_id, this.name, this.created_at, files, invoices, rejected, duplicates
    )
