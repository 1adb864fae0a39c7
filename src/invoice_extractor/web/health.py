"""``/healthz`` (is this instance able to work?) and ``/metrics`` (Prometheus text format).

``/healthz`` answers JSON with three checks, 200 when all pass and 503 otherwise: the database
answers a query, the queue works (the Celery broker answers, or the in-process worker threads
live), and DATA_DIR has at least ``MIN_FREE_DISK_MB`` free and is writable.

``/metrics`` reads the job figures from the database on each scrape (so every web process reports
the same, whichever one is asked): jobs by state, and the extraction-time histogram of the done
jobs (``Job.seconds``). The LLM counters come from ``invoice_extractor.metrics``, summed over all
processes. Neither endpoint needs a session; keep them off the public internet (see the nginx
section of docs/deployment.md).
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from .. import metrics
from ..jobs.base import CheckedQueue, JobQueue
from ..settings import Settings
from ..store.job_queries import counts_by_state, seconds_histogram
from ..store.repository import Store
from .context import services

log = logging.getLogger(__name__)

health = Blueprint("health", __name__)

PREFIX = "invoice_extractor_"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@health.get("/healthz")
def healthz() -> tuple[Response, int]:
    svc = services()
    checks = {
        "database": check_database(svc.store),
        "queue": check_queue(svc.queue),
        "disk": check_disk(svc.store.settings),
    }
    ok = all(check["ok"] for check in checks.values())
    return jsonify(status="ok" if ok else "failing", checks=checks), 200 if ok else 503


def check_database(store: Store) -> dict[str, Any]:
    try:
        with store.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return {"ok": False, "detail": f"database unreachable: {_oneline(exc)}"}
    return {"ok": True, "detail": f"{store.db.engine.dialect.name} answers"}


def check_queue(queue: JobQueue) -> dict[str, Any]:
    if not isinstance(queue, CheckedQueue):
        return {"ok": True, "detail": f"{type(queue).__name__} (no health check)"}
    try:
        ok, detail = queue.health()
    except Exception as exc:
        return {"ok": False, "detail": f"queue check failed: {_oneline(exc)}"}
    return {"ok": ok, "detail": detail}


def check_disk(settings: Settings) -> dict[str, Any]:
    minimum = settings.min_free_disk_mb * 1024 * 1024
    try:
        free = shutil.disk_usage(settings.data_dir).free
    except OSError as exc:
        return {"ok": False, "detail": f"DATA_DIR {settings.data_dir}: {exc.strerror or exc}"}
    writable = os.access(settings.data_dir, os.W_OK)
    ok = free >= minimum and writable
    detail = f"{free / 2**20:.0f} MB free in DATA_DIR (minimum {settings.min_free_disk_mb} MB)"
    if not writable:
        detail += "; DATA_DIR is not writable"
    return {"ok": ok, "free_bytes": free, "min_free_bytes": minimum, "detail": detail}


@health.get("/metrics")
def prometheus() -> Response:
    store = services().store
    lines: list[str] = []
    try:
        states = counts_by_state(store.db)
        buckets, count, total = seconds_histogram(store.db)
        database_up = 1
    except Exception as exc:  # report what can be reported; the database figures wait
        log.warning("/metrics: the database did not answer: %s", _oneline(exc))
        database_up = 0
    _family(lines, "database_up", "gauge", "1 when the database answered this scrape.")
    lines.append(f"{PREFIX}database_up {database_up}")
    if database_up:
        _family(lines, "jobs", "gauge", "Extraction jobs in the database, by state.")
        lines += [f"{PREFIX}jobs{_labels({'state': s})} {n}" for s, n in states.items()]
        _family(
            lines,
            "extraction_seconds",
            "histogram",
            "Seconds one job took to read and extract its file (jobs done).",
        )
        for bound, cumulative in buckets:
            label = _labels({"le": _number(bound)})
            lines.append(f"{PREFIX}extraction_seconds_bucket{label} {cumulative}")
        lines.append(f'{PREFIX}extraction_seconds_bucket{{le="+Inf"}} {count}')
        lines.append(f"{PREFIX}extraction_seconds_sum {_number(total)}")
        lines.append(f"{PREFIX}extraction_seconds_count {count}")
    try:
        free = shutil.disk_usage(store.settings.data_dir).free
        _family(lines, "data_dir_free_bytes", "gauge", "Free space of the DATA_DIR file system.")
        lines.append(f"{PREFIX}data_dir_free_bytes {free}")
    except OSError:
        pass
    _counters(lines, metrics.totals().items())
    return Response("\n".join(lines) + "\n", content_type=CONTENT_TYPE)


def _counters(lines: list[str], totals: Iterable[tuple[metrics.Key, float]]) -> None:
    by_name: dict[str, list[tuple[metrics.Labels, float]]] = {name: [] for name in metrics.KNOWN}
    for (name, labels), value in totals:
        by_name.setdefault(name, []).append((labels, value))
    for name, samples in sorted(by_name.items()):
        _family(lines, name, "counter", metrics.KNOWN.get(name, f"Counter {name}."))
        for labels, value in sorted(samples):
            lines.append(f"{PREFIX}{name}{_labels(dict(labels))} {_number(value)}")


def _family(lines: list[str], name: str, kind: str, help_text: str) -> None:
    lines.append(f"# HELP {PREFIX}{name} {help_text}")
    lines.append(f"# TYPE {PREFIX}{name} {kind}")


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{key}="{_escape(value)}"' for key, value in labels.items()) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _oneline(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
