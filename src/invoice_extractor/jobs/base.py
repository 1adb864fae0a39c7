"""The job queue interface the web layer talks to; the database holds the jobs themselves."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class JobQueue(Protocol):
    """Runs extraction jobs that are rows in the database.

    ``submit`` tells the queue a job row is waiting; the queue may also find jobs by itself (after a
    restart, or when a worker died), so a lost ``submit`` never loses a job.
    """

    def start(self) -> None: ...

    def submit(self, job_id: int) -> None: ...

    def stop(self) -> None: ...


@runtime_checkable
class CheckedQueue(Protocol):
    """A queue that can say whether it works, for ``/healthz``: ``(ok, detail)``."""

    def health(self) -> tuple[bool, str]: ...
