"""Counters of what the processes do (LLM requests and retries), summed over every process.

The code that does the work counts; ``/metrics`` reports::

    from invoice_extractor import metrics
    metrics.inc("llm_requests_total", {"provider": "gemini", "outcome": "ok"})
    metrics.inc("llm_retries_total", {"provider": "gemini", "reason": "429"})

A counter lives in the memory of its process. Once ``configure(directory)`` has been called (the
web app and ``invoice-extractor worker`` do it, with ``DATA_DIR/metrics``), each process also
writes its counters to ``directory/HOST-PID.json`` after every change, so a scrape of any web
process sees the sum over all processes of all machines sharing DATA_DIR. A counter never goes
down: the file of a process that stopped keeps counting in the sum. Counting never raises.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

log = logging.getLogger(__name__)

Labels = tuple[tuple[str, str], ...]
Key = tuple[str, Labels]

# The counters /metrics always lists (with their help), even before anything was counted.
KNOWN: dict[str, str] = {
    "llm_requests_total": "LLM requests sent, by provider and outcome (ok, error).",
    "llm_retries_total": "LLM requests repeated after a retryable error, by provider and reason.",
    "job_cpu_seconds_total": "CPU seconds of the threads running jobs, claim to stored result.",
    "jobs_run_total": "Job runs (claimed and run to their end), by queue.",
}
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")

_lock = threading.Lock()
_counts: dict[Key, float] = {}
_pid = os.getpid()
_directory: Path | None = None
_unwritten = threading.Event()  # counts changed that the process's file does not hold yet


def configure(directory: Path | None) -> None:
    """Share this process's counters through ``directory`` (None: keep them in memory only)."""
    global _directory
    if directory is not None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            log.warning("metrics stay in memory: cannot create %s: %s", directory, exc)
            directory = None
    with _lock:
        _directory = directory
        _reset_after_fork()
        _write()


def inc(name: str, labels: Mapping[str, str] | None = None, value: float = 1.0) -> None:
    """Add ``value`` (default 1) to the counter ``name`` with these labels."""
    inc_many([(name, labels, value)])


def inc_many(
    increments: Iterable[tuple[str, Mapping[str, str] | None, float]], *, write: bool = True
) -> None:
    """Several ``inc`` at once, with one write of this process's file (every job counts two);
    without ``write`` the file is left to the next ``flush`` (a caller that flushes on a timer)."""
    keyed: list[tuple[Key, float]] = []
    for name, labels, value in increments:
        if not _NAME.match(name) or value < 0:
            log.warning("metrics: ignored counter %r += %r", name, value)
            continue
        keyed.append((_key(name, labels), value))
    if not keyed:
        return
    with _lock:
        _reset_after_fork()
        for key, value in keyed:
            _counts[key] = _counts.get(key, 0.0) + value
        if write:
            _write()
        else:
            _unwritten.set()


def flush() -> None:
    """Write this process's file if a count has changed since it was last written."""
    if not _unwritten.is_set():
        return
    with _lock:
        _reset_after_fork()
        _write()


def _key(name: str, labels: Mapping[str, str] | None) -> Key:
    return name, tuple(sorted((str(k), str(v)) for k, v in (labels or {}).items()))


def totals() -> dict[Key, float]:
    """Every counter summed over this process and the files of the others."""
    with _lock:
        _reset_after_fork()
        result = dict(_counts)
        directory, own = _directory, _own_file_name()
    if directory is None:
        return result
    try:
        files = [p for p in directory.glob("*.json") if p.name != own]
    except OSError:
        files = []
    for path in files:
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # being replaced, or not ours: skip it this time
        for entry in entries if isinstance(entries, list) else []:
            try:
                key = (str(entry["name"]), tuple((str(k), str(v)) for k, v in entry["labels"]))
                result[key] = result.get(key, 0.0) + float(entry["value"])
            except (KeyError, TypeError, ValueError):
                continue
    return result


def reset() -> None:
    """Forget this process's counters (tests)."""
    with _lock:
        _counts.clear()
        _write()


def _own_file_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}.json"


def _reset_after_fork() -> None:
    """A forked child starts from zero: its parent's counts are the parent's to report."""
    global _pid
    if os.getpid() != _pid:
        _pid = os.getpid()
        _counts.clear()


def _write() -> None:
    """Replace this process's file atomically (called with ``_lock`` held)."""
    _unwritten.clear()
    if _directory is None or not _counts:
        return
    entries = [
        {"name": name, "labels": [list(pair) for pair in labels], "value": value}
        for (name, labels), value in sorted(_counts.items())
    ]
    data = json.dumps(entries).encode()
    own = _own_file_name()
    # One temporary name per process (its writes take ``_lock``), written in one call: every
    # job counts, and a random name and a buffered text file cost more than the write.
    tmp = _directory / f".tmp-{own}.part"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(tmp, _directory / own)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        log.debug("metrics: cannot write to %s: %s", _directory, exc)
