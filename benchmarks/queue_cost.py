"""CPU per job of the in-process queue, claim to stored result, without the HTTP server.

``web_load.py`` prints the same figure (the job threads' CPU from ``/metrics``) beside the whole
server's, but its clients' polls and uploads share the machine's cores with the jobs. Here the
jobs are queued first (INVOICES generated one-page PDFs in one session), then the real
``InProcessQueue`` runs them with WORKERS threads; the figure is the queue's own counters
(``job_cpu_seconds_total`` over ``jobs_run_total``), after one warm-up job. SQLite in a temp
DATA_DIR, or ``--database-url``.

    .venv/bin/python benchmarks/queue_cost.py [--invoices 120] [--workers 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from web_load import make_invoice

from invoice_extractor import metrics
from invoice_extractor.gc_tuning import tune_for_batches
from invoice_extractor.jobs.inprocess import InProcessQueue
from invoice_extractor.settings import Settings
from invoice_extractor.store.repository import Store


def job_counters() -> tuple[float, float]:
    """(CPU seconds, runs) of the job path so far in this process."""
    sums = {"job_cpu_seconds_total": 0.0, "jobs_run_total": 0.0}
    for (name, _), value in metrics.totals().items():
        if name in sums:
            sums[name] += value
    return sums["job_cpu_seconds_total"], sums["jobs_run_total"]


def run_queued(store: Store, workers: int, files: list[tuple[str, bytes]]) -> None:
    """Queue ``files`` in a new session, then run them with a new queue until all are stored."""
    session_id, _ = store.create_session()
    for name, data in files:
        store.add_upload(session_id, name, data)
    queue = InProcessQueue(store, workers=workers, poll_seconds=0.2)
    queue.start()
    try:
        while store.count_invoices(session_id) < len(files):
            time.sleep(0.05)
    finally:
        queue.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=120)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp DATA_DIR")
    args = parser.parse_args(argv)
    files = [make_invoice(n % 10, n // 10) for n in range(args.invoices + 1)]
    with tempfile.TemporaryDirectory(prefix="queue-cost-") as tmp:
        settings = {"data_dir": Path(tmp), "secret_key": "queue-cost-benchmark-key"}
        if args.database_url:
            settings["database_url"] = args.database_url
        store = Store(Settings.model_validate(settings))
        store.migrate()
        run_queued(store, args.workers, files[:1])  # first-use costs
        tune_for_batches()  # as the server does after start-up
        cpu, runs = job_counters()
        run_queued(store, args.workers, files[1:])
        cpu_after, runs_after = job_counters()
        store.db.dispose()
    per_job = (cpu_after - cpu) / max(1.0, runs_after - runs)
    print(
        f"job path         {per_job * 1000:.2f} ms CPU per run ({runs_after - runs:.0f} runs, "
        f"{args.workers} worker{'s' if args.workers > 1 else ''}, "
        f"{'PostgreSQL' if args.database_url else 'SQLite'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
