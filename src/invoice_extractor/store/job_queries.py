"""Queries over the job table as a whole: what may be claimed, what lost its message or its worker
(the sweep of the Celery workers), and the figures ``/metrics`` reports.

Each write is a conditional UPDATE, so several sweepers on several machines never act twice on one
job: the one whose UPDATE matched the row does the work.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Table,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    union_all,
    update,
)

from .db import Database
from .models import InvoiceRecord, Job, JobState, SellerRecord, StoredFile, UTCDateTime, utcnow

# Upper bounds (seconds) of the extraction-time histogram; +Inf is implied.
SECONDS_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


def running() -> ColumnElement[bool]:
    """A running state, as plain comparisons: an ``IN`` list is expanded on every execution."""
    return or_(*(Job.state == state for state in JobState.running()))


def claimable(now: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    """Queued, or running under a worker whose lease ran out (it died)."""
    return or_(Job.state == JobState.QUEUED, running() & (Job.lease_until < now))


def _oldest_claimable(now: BindParameter[datetime], skip_locked: bool) -> Any:
    """The id of the oldest claimable job. With ``skip_locked`` (PostgreSQL) the rows other
    claimers hold are skipped. Else (SQLite) the smaller of the first queued id and the first
    expired running id, each the first entry of the state index: the claim's cost does not grow
    with the queue (ordering every claimable row sorted the whole queue at each claim)."""
    if skip_locked:
        first = select(Job.id).where(claimable(now)).order_by(Job.id).limit(1)
        return first.with_for_update(skip_locked=True).correlate(None).scalar_subquery()
    firsts = union_all(
        select(func.min(Job.id).label("id")).where(Job.state == JobState.QUEUED),
        select(func.min(Job.id).label("id")).where(running() & (Job.lease_until < now)),
    ).subquery()
    return select(func.min(firsts.c.id)).correlate(None).scalar_subquery()


def claim_statement(*, oldest: bool, skip_locked: bool) -> Any:
    """The claim as one UPDATE ... RETURNING, built once (building a statement costs more CPU
    than running it), its file's name and hash returned with the job's columns, and whether
    any seller is known (a job then skips the seller memory's lookup when none is): of the job
    ``:job_id``, or (``oldest``) of the oldest claimable one,
    skipping rows other claimers hold (``skip_locked``, PostgreSQL). Parameters: ``now``,
    ``lease``, ``claimer`` (and ``job_id``). Of two workers racing for a row one gets it back."""
    now = bindparam("now", type_=UTCDateTime())
    if oldest:
        which = Job.id == _oldest_claimable(now, skip_locked)
    else:
        which = Job.id == bindparam("job_id")

    def of_file(column: Any) -> Any:
        return select(column).where(StoredFile.id == Job.file_id).scalar_subquery()

    return (
        update(Job)
        .where(which, claimable(now))
        .values(
            state=JobState.READING,
            worker=bindparam("claimer"),
            lease_until=bindparam("lease", type_=UTCDateTime()),
            attempts=Job.attempts + 1,
            updated_at=now,
        )
        .returning(
            *cast(Table, Job.__table__).columns,
            of_file(StoredFile.name).label("file_name"),
            of_file(StoredFile.sha256).label("file_sha256"),
            exists(select(SellerRecord.id)).label("sellers_known"),
        )
    )


# The writes every job makes, built once (parameters: job_id, holder, now; state; took).
_held = (Job.id == bindparam("job_id")) & (Job.worker == bindparam("holder"))
# Only while it runs: a state published late (the in-process queue's heartbeat) never undoes done.
SET_STATE = (
    update(Job)
    .where(_held, running())
    .values(state=bindparam("state"), updated_at=bindparam("now", type_=UTCDateTime()))
)
MARK_DONE = (
    update(Job)
    .where(_held, Job.state != JobState.DONE)
    .values(
        state=JobState.DONE,
        finished_at=bindparam("now", type_=UTCDateTime()),
        lease_until=None,
        seconds=bindparam("took"),
        error=None,
        updated_at=bindparam("now", type_=UTCDateTime()),
    )
)
DELETE_INVOICES = delete(InvoiceRecord).where(InvoiceRecord.job_id == bindparam("job_id"))


# A status poll, the most frequent request: each file with its job, and the invoice count.
FILE_JOBS = (
    select(
        StoredFile.id.label("file_id"),
        StoredFile.name,
        StoredFile.size,
        StoredFile.sha256,
        Job.id.label("job_id"),
        Job.state,
        Job.error,
        Job.attempts,
        Job.seconds,
    )
    .join(Job, Job.file_id == StoredFile.id)
    .where(StoredFile.session_id == bindparam("session_id"))
    .order_by(StoredFile.id)
)
COUNT_INVOICES = select(func.count()).where(InvoiceRecord.session_id == bindparam("session_id"))
FILE_ROW = select(*StoredFile.__table__.columns).where(StoredFile.id == bindparam("file_id"))
COUNT_FILES = select(func.count()).where(StoredFile.session_id == bindparam("session_id"))
# An upload: its file row and queued job (parameters: session_id, name, sha256, size; file_id).
INSERT_FILE = insert(StoredFile).returning(StoredFile.id)
INSERT_JOB = insert(Job).values(state=JobState.QUEUED).returning(Job.id)


def requeue_expired(db: Database) -> list[int]:
    """Put running jobs whose lease ran out back to queued (their worker died), marked as sent now
    (the caller sends them); their ids.

    The late result of a worker that was only slow is then dropped by ``Store.finish``, exactly as
    when another worker claims the job.
    """
    now = utcnow()
    expired = running() & (Job.lease_until < now)
    requeued: list[int] = []
    with db.session() as session:
        ids = session.scalars(select(Job.id).where(expired).order_by(Job.id).limit(1000)).all()
        for job_id in ids:
            result = session.execute(
                update(Job)
                .where(Job.id == job_id, expired)
                .values(state=JobState.QUEUED, worker=None, lease_until=None, updated_at=now)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                requeued.append(job_id)
    return requeued


def fail_overdue(db: Database, job_id: int, worker: str | None, error: str) -> bool:
    """Fail a running job that ran past ``JOB_TIMEOUT_SECONDS`` with ``error``; whether it did.

    The worker column is cleared, so whatever that run writes if it ever ends (``Store.finish``,
    ``Store.fail``, a state) matches nothing: its late result is dropped. ``worker`` None: whoever
    holds it (the parent of a Celery pool process killed at its hard time limit).
    """
    now = utcnow()
    query = update(Job).where(Job.id == job_id, running())
    if worker is not None:
        query = query.where(Job.worker == worker)
    values = {"state": JobState.FAILED, "error": error, "worker": None, "lease_until": None}
    with db.session() as session:
        result = session.execute(query.values(**values, finished_at=now, updated_at=now))
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def count_queued(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).where(Job.state == JobState.QUEUED)) or 0


def take_stale_queued(db: Database, older_than: float, limit: int) -> list[int]:
    """Up to ``limit`` queued jobs untouched for ``older_than`` seconds, oldest first, each marked
    as sent now (``updated_at``) so that no other sweeper sends it again before that long."""
    if limit <= 0:
        return []
    now = utcnow()
    cutoff = now - timedelta(seconds=older_than)
    stale = (Job.state == JobState.QUEUED) & (Job.updated_at < cutoff)
    taken: list[int] = []
    with db.session() as session:
        ids = session.scalars(
            select(Job.id).where(stale).order_by(Job.updated_at, Job.id).limit(limit)
        ).all()
        for job_id in ids:
            result = session.execute(
                update(Job).where(Job.id == job_id, stale).values(updated_at=now)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                taken.append(job_id)
    return taken


def counts_by_state(db: Database) -> dict[str, int]:
    """Jobs per state, every state present (0 when none)."""
    counts = {state.value: 0 for state in JobState}
    with db.session() as session:
        for state, count in session.execute(
            select(Job.state, func.count()).group_by(Job.state)
        ).all():
            counts[str(state)] = int(count)
    return counts


def seconds_histogram(
    db: Database, buckets: Sequence[float] = SECONDS_BUCKETS
) -> tuple[list[tuple[float, int]], int, float]:
    """Cumulative ``(upper bound, count)`` per bucket, the count and the sum of the extraction
    times of done jobs (``Job.seconds``)."""
    done = Job.seconds.is_not(None)
    columns = [func.sum(case((Job.seconds <= bound, 1), else_=0)) for bound in buckets]
    with db.session() as session:
        row = session.execute(
            select(func.count(), func.coalesce(func.sum(Job.seconds), 0.0), *columns).where(done)
        ).one()
    count, total = int(row[0] or 0), float(row[1] or 0.0)
    cumulative = [(bound, int(value or 0)) for bound, value in zip(buckets, row[2:], strict=True)]
    return cumulative, count, total
