"""The database: engine, sessions, and migrations (Alembic) run at start-up under a lock.

SQLite (the default, in ``DATA_DIR``) runs in WAL mode with a busy timeout so the web threads and
the workers can share it; PostgreSQL is used through ``DATABASE_URL``.
"""

from __future__ import annotations

import fcntl
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import DatabaseUnavailable, StorageError

MIGRATIONS = Path(__file__).parent / "migrations"

log = logging.getLogger(__name__)


class Database:
    def __init__(self, url: str, *, connect_retries: int = 10, retry_seconds: float = 1.0) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            # A server that restarted leaves dead pooled connections: test each on checkout (a
            # file database has no such failure, and the ping would cost every transaction).
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._wait_until_reachable(0 if self.is_sqlite else connect_retries, retry_seconds)

    def _wait_until_reachable(self, retries: int, pause: float) -> None:
        """A database that is still starting gets a few chances; then a clear error."""
        for attempt in range(retries + 1):
            try:
                with self.engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
                return
            except OperationalError as exc:
                where = self.engine.url.render_as_string(hide_password=True)
                if attempt == retries:
                    tries = f"{retries + 1} time{'s' if retries else ''}"
                    reason = " ".join(str(exc.orig).split())
                    raise StorageError(
                        f"database unavailable at {where} (tried {tries}): {reason}"
                    ) from exc
                log.warning(
                    "database not reachable at %s (attempt %d of %d); retrying in %.0f s",
                    where,
                    attempt + 1,
                    retries + 1,
                    pause,
                )
                time.sleep(pause)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back on error. A database on a
        full disk is a ``StorageError`` (507), one that does not answer ``DatabaseUnavailable``
        (503): both are worth retrying, neither is an internal error."""
        with _mapped_errors(), self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A Core transaction, errors mapped as in ``session``: for the few statements every job
        runs (claim, state, result), where an ORM session's bookkeeping costs more than the SQL."""
        with _mapped_errors(), self.engine.begin() as connection:
            yield connection

    def migrate(self, lock_dir: Path) -> None:
        """Bring the schema to the newest migration; concurrent processes wait for each other."""
        lock_dir.mkdir(parents=True, exist_ok=True)
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with (lock_dir / ".migrate.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            with self.engine.begin() as conn:
                if not self.is_sqlite:
                    # Several hosts may start at once: serialise on the server too.
                    conn.execute(text("SELECT pg_advisory_xact_lock(774411)"))
                config.attributes["connection"] = conn
                command.upgrade(config, "head")

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def _mapped_errors() -> Iterator[None]:
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        if is_disk_full(exc):
            raise StorageError("the database cannot take the write: its disk is full") from exc
        raise DatabaseUnavailable(f"the database does not answer: {_reason(exc)}") from exc
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        raise DatabaseUnavailable(f"the database does not answer: {_reason(exc)}") from exc


_DISK_FULL_SQLSTATE = "53100"  # PostgreSQL's disk_full


def _reason(exc: DBAPIError) -> str:
    return " ".join(str(exc.orig).split())[:300]


def is_disk_full(exc: DBAPIError) -> bool:
    """SQLite's "database or disk is full", PostgreSQL's disk_full, or ENOSPC from the driver."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == _DISK_FULL_SQLSTATE:
        return True
    message = str(orig).lower()
    return "disk is full" in message or "no space left on device" in message


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
