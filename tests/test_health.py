"""``/healthz`` (200 when the database, the queue and the disk are fine, 503 otherwise) and
``/metrics`` (Prometheus text format: jobs by state, the extraction-time histogram, the LLM
counters summed over processes), on SQLite and PostgreSQL."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from helpers_server import free_port
from invoice_extractor import metrics
from invoice_extractor.jobs.celery.queue import CeleryQueue

if TYPE_CHECKING:
    from flask import Flask

    from conftest import InvoicePdf, MakeWebApp, NewApi

SAMPLE = re.compile(
    r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)"
    r"(?:\{(?P<labels>(?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\n]|\\.)*\",?)*)\})?"
    r" (?P<value>[-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|Inf|NaN))$"
)
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"')

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse_exposition(text: str) -> tuple[Samples, dict[str, str]]:
    """Every sample ``(name, labels) -> value`` and every family's TYPE; fails on a bad line."""
    samples: Samples = {}
    types: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            types[name] = kind
            continue
        if line.startswith("#") or not line:
            continue
        match = SAMPLE.match(line)
        assert match, f"not a Prometheus sample line: {line!r}"
        labels = frozenset(LABEL.findall(match["labels"] or ""))
        key = (match["name"], labels)
        assert key not in samples, f"duplicate sample {line!r}"
        samples[key] = float(match["value"])
    return samples, types


def sample(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def _health(app: Flask) -> tuple[int, dict[str, object]]:
    response = app.test_client().get("/healthz")
    body = response.get_json()
    assert isinstance(body, dict)
    return response.status_code, body


def test_healthz_is_ok_when_everything_is(make_web_app: MakeWebApp) -> None:
    status, body = _health(make_web_app())
    assert status == 200 and body["status"] == "ok"
    checks = body["checks"]
    assert isinstance(checks, dict) and set(checks) == {"database", "queue", "disk"}
    assert all(check["ok"] for check in checks.values())
    assert "3 of 3 worker and heartbeat threads alive" in checks["queue"]["detail"]
    assert checks["disk"]["free_bytes"] > 0


def test_healthz_fails_on_a_database_that_does_not_answer(
    make_web_app: MakeWebApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_web_app()
    db = app.extensions["invoice_extractor"].store.db
    gone = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x")
    monkeypatch.setattr(db, "engine", gone)
    monkeypatch.setattr(db, "_sessions", sessionmaker(gone))
    try:
        status, body = _health(app)
        metrics_text = app.test_client().get("/metrics").get_data(as_text=True)
    finally:
        monkeypatch.undo()
        gone.dispose()
    assert status == 503 and body["status"] == "failing"
    checks = body["checks"]
    assert isinstance(checks, dict)
    assert checks["database"]["ok"] is False
    assert "database unreachable" in checks["database"]["detail"]
    assert checks["queue"]["ok"] and checks["disk"]["ok"]
    samples, _ = parse_exposition(metrics_text)  # still an answer, saying the database is away
    assert sample(samples, "invoice_extractor_database_up") == 0


def test_healthz_fails_on_a_full_disk(make_web_app: MakeWebApp) -> None:
    status, body = _health(make_web_app(min_free_disk_mb=10**9))  # a petabyte free: never
    checks = body["checks"]
    assert isinstance(checks, dict)
    assert status == 503 and checks["disk"]["ok"] is False
    assert "minimum 1000000000 MB" in checks["disk"]["detail"]


def test_healthz_fails_when_the_queue_cannot_work(make_web_app: MakeWebApp) -> None:
    app = make_web_app()
    app.extensions["invoice_extractor"].queue.stop()  # the worker threads are gone
    status, body = _health(app)
    checks = body["checks"]
    assert isinstance(checks, dict)
    assert status == 503 and checks["queue"]["ok"] is False


def test_healthz_fails_when_the_celery_broker_is_away(make_web_app: MakeWebApp) -> None:
    app = make_web_app(queue_url=f"redis://127.0.0.1:{free_port()}/0")
    assert isinstance(app.extensions["invoice_extractor"].queue, CeleryQueue)
    status, body = _health(app)
    checks = body["checks"]
    assert isinstance(checks, dict)
    assert status == 503 and "celery broker unreachable" in checks["queue"]["detail"]


def test_metrics_in_prometheus_text_format(
    make_web_app: MakeWebApp, new_api: NewApi, invoice_pdf: InvoicePdf, tmp_path: Path
) -> None:
    app = make_web_app()
    api = new_api(app.test_client())
    assert (
        api.upload((invoice_pdf("M-1"), "a.pdf"), (b"%PDF-1.4 broken", "b.pdf")).status_code == 202
    )
    api.wait(2)
    metrics.reset()
    metrics.inc("llm_requests_total", {"provider": "gemini", "outcome": "ok"})
    metrics.inc("llm_requests_total", {"provider": "gemini", "outcome": "ok"})
    metrics.inc("llm_retries_total", {"provider": "openai", "reason": 'said "429"\n'})
    # Another process (a worker) counted too: its file in DATA_DIR/metrics is added in.
    directory = app.extensions["invoice_extractor"].store.settings.data_dir / "metrics"
    code = (
        "from pathlib import Path; from invoice_extractor import metrics; "
        f"metrics.configure(Path({str(directory)!r})); "
        "metrics.inc('llm_requests_total', {'provider': 'gemini', 'outcome': 'ok'}, 3)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)

    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    assert response.content_type == "text/plain; version=0.0.4; charset=utf-8"
    samples, types = parse_exposition(response.get_data(as_text=True))

    assert sample(samples, "invoice_extractor_database_up") == 1
    assert types["invoice_extractor_jobs"] == "gauge"
    assert sample(samples, "invoice_extractor_jobs", state="done") == 1
    assert sample(samples, "invoice_extractor_jobs", state="failed") == 1
    assert sample(samples, "invoice_extractor_jobs", state="queued") == 0

    assert types["invoice_extractor_extraction_seconds"] == "histogram"
    buckets = sorted(
        (math.inf if dict(labels)["le"] == "+Inf" else float(dict(labels)["le"]), value)
        for (name, labels), value in samples.items()
        if name == "invoice_extractor_extraction_seconds_bucket"
    )
    counts = [value for _, value in buckets]
    assert counts == sorted(counts), "histogram buckets must be cumulative"
    assert buckets[-1] == (math.inf, 1) == (math.inf, samples_count(samples))
    assert sample(samples, "invoice_extractor_extraction_seconds_sum") > 0

    assert types["invoice_extractor_llm_requests_total"] == "counter"
    assert (
        sample(samples, "invoice_extractor_llm_requests_total", provider="gemini", outcome="ok")
        == 5
    )
    retries = [
        (dict(labels), value)
        for (name, labels), value in samples.items()
        if name == "invoice_extractor_llm_retries_total"
    ]
    assert retries == [({"provider": "openai", "reason": 'said \\"429\\"\\n'}, 1.0)]
    metrics.reset()


def samples_count(samples: Samples) -> float:
    return sample(samples, "invoice_extractor_extraction_seconds_count")


def test_counters_ignore_bad_names_and_never_raise(tmp_path: Path) -> None:
    metrics.configure(tmp_path / "m")
    metrics.reset()
    metrics.inc("Not A Name")
    metrics.inc("llm_requests_total", value=-1)
    assert metrics.totals() == {}
    (tmp_path / "m" / "other-1.json").write_text("not json")  # a torn or foreign file: skipped
    metrics.inc("llm_requests_total", {"provider": "x", "outcome": "error"})
    assert metrics.totals() == {
        ("llm_requests_total", (("outcome", "error"), ("provider", "x"))): 1
    }
    metrics.configure(None)
    metrics.reset()


def test_several_counters_at_once_write_the_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job counts its CPU and its run: one replacement of the process's file, not two."""
    metrics.configure(tmp_path / "m")
    metrics.reset()
    replaced: list[object] = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (replaced.append(b), real_replace(a, b)))
    labels = {"queue": "q"}
    metrics.inc_many([("job_cpu_seconds_total", labels, 0.5), ("jobs_run_total", labels, 1.0)])
    assert len(replaced) == 1
    assert metrics.totals() == {
        ("job_cpu_seconds_total", (("queue", "q"),)): 0.5,
        ("jobs_run_total", (("queue", "q"),)): 1.0,
    }
    metrics.configure(None)
    metrics.reset()


@pytest.mark.parametrize("path", ["/healthz", "/metrics"])
def test_health_endpoints_need_no_session(make_web_app: MakeWebApp, path: str) -> None:
    response = make_web_app().test_client().get(path)
    assert response.status_code == 200
