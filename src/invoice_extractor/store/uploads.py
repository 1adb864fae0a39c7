"""An upload request's database work on one connection: the ownership check, the refused files'
rows, the capacity check, each file's row and queued job, and the duplicate notice of each file.

An upload is the commonest write, made once per file by a browser: a transaction per part (and
the notices read from every file of the owner's sessions) cost several times the SQL itself. The
notice of a new file needs only the owner's earlier files with the same bytes, one indexed query
by hash, read before the rows are written, so the write lock is held for the INSERTs alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, func, insert, select

from ..errors import NotFound, SessionFull
from .blobs import BlobStore
from .db import Database
from .job_queries import INSERT_FILE, INSERT_JOB
from .models import RejectedUpload, ReviewSession, StoredFile
from .sessions import Duplicate, OwnedSession

# The session's owner, name and date with its file count: the ownership and capacity checks in
# one statement.
_OWNER = select(
    ReviewSession.owner_hash,
    ReviewSession.name,
    ReviewSession.created_at,
    select(func.count())
    .where(StoredFile.session_id == ReviewSession.id)
    .scalar_subquery()
    .label("files"),
).where(ReviewSession.id == bindparam("session_id"))
# The owners' files with these bytes, oldest first: the first of each hash is what a later
# upload of the same bytes is a duplicate of (as ``sessions.notices`` names it).
_SAME_BYTES = (
    select(
        StoredFile.sha256,
        StoredFile.session_id,
        StoredFile.name,
        ReviewSession.name.label("session_name"),
        ReviewSession.created_at,
    )
    .join(ReviewSession, ReviewSession.id == StoredFile.session_id)
    .where(
        StoredFile.sha256.in_(bindparam("digests", expanding=True)),
        ReviewSession.owner_hash.in_(bindparam("hashes", expanding=True)),
    )
    .order_by(StoredFile.id)
)
_INSERT_REJECTED = insert(RejectedUpload)


@dataclass(frozen=True, slots=True)
class StoredUpload:
    """A file taken: its row, its queued job, and what it duplicates (None: nothing)."""

    file_id: int
    job_id: int
    name: str
    size: int
    sha256: str
    duplicate: Duplicate | None


def owner_session(
    conn: Connection, session_id: str, owner_hashes: set[str] | None
) -> tuple[OwnedSession, str, int]:
    """The session's name and date, its owner's hash and its file count, if one of
    ``owner_hashes`` owns it (None: whoever owns it); else NotFound."""
    row = conn.execute(_OWNER, {"session_id": session_id}).first()
    if row is None or (owner_hashes is not None and row.owner_hash not in owner_hashes):
        raise NotFound("no such session")
    return OwnedSession(row.name, row.created_at), row.owner_hash, row.files


def store_uploads(
    db: Database,
    blobs: BlobStore,
    limit: int,
    session_id: str,
    owner_hashes: Iterable[str] | None,
    files: Sequence[tuple[str, bytes]],
    refused: Sequence[tuple[str, str]] = (),
) -> list[StoredUpload]:
    """Take ``files`` (name, bytes) into the session if one of ``owner_hashes`` owns it (else
    NotFound, nothing written; None: a caller of this process that acts for the owner, whose
    sessions then name the duplicates), and list ``refused`` (name, reason) with it. A batch that
    would take the session over ``limit`` files (0: none) is refused whole (``SessionFull``), its
    refused files listed all the same. The bytes are stored before any row points at them."""
    hashes = None if owner_hashes is None else set(owner_hashes)
    digests = [hashlib.sha256(data).hexdigest() for _, data in files]
    params = {"session_id": session_id}
    full: str | None = None
    with db.transaction() as conn:
        this, owner, count = owner_session(conn, session_id, hashes)
        if files and limit and count + len(files) > limit:
            full = (
                f"this session holds at most {limit} invoices; it has {count}, "
                f"this upload would add {len(files)}"
            )
        if full is not None:
            files = []
        mine = {owner} if hashes is None else hashes
        first = _first_by_hash(conn, mine, digests) if files else {}
        for (_, data), digest in zip(files, digests, strict=False):
            blobs.put(data, digest)  # every file's bytes first: the write lock waits for none
        for name, reason in refused:  # listed with its reason until the user removes it
            conn.execute(_INSERT_REJECTED, {**params, "name": name, "reason": reason})
        stored = []
        for (name, data), digest in zip(files, digests, strict=False):
            values = {**params, "name": name, "sha256": digest, "size": len(data)}
            file_id = conn.execute(INSERT_FILE, values).scalar_one()
            job_id = conn.execute(INSERT_JOB, {**params, "file_id": file_id}).scalar_one()
            earlier = first.get(digest)
            if earlier is None:  # the first of these bytes: later ones are its duplicates
                first[digest] = (session_id, this.label, name)
            duplicate = None if earlier is None else Duplicate(*earlier, "same file")
            stored.append(StoredUpload(file_id, job_id, name, len(data), digest, duplicate))
    if full is not None:
        raise SessionFull(full)
    return stored


def _first_by_hash(
    conn: Connection, hashes: set[str], digests: list[str]
) -> dict[str, tuple[str, str, str]]:
    """For each of ``digests`` the owners already hold: the first file's session, the session's
    label and the file's name."""
    first: dict[str, tuple[str, str, str]] = {}
    found = conn.execute(_SAME_BYTES, {"digests": sorted(set(digests)), "hashes": sorted(hashes)})
    for sha256, session_id, name, session_name, created_at in found:
        label = OwnedSession(session_name, created_at).label
        first.setdefault(sha256, (session_id, label, name))
    return first
