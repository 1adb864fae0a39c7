"""Scale-out load benchmark: the same load against the Celery setup and the in-process default.

CLIENTS threads each create a session, upload their share of INVOICES one-page PDFs through the
API (one request per file) and poll until every job is done, against, in turn:

- ``celery``: ``gunicorn -w 4 app:app`` + 2 ``invoice-extractor worker`` processes (WORKERS pool
  processes each), on PostgreSQL (a fresh schema in the local server) and a throwaway
  ``redis-server`` on a free loopback port;
- ``inprocess-pg``: the same gunicorn, no QUEUE_URL (extraction threads in the web processes),
  on PostgreSQL;
- ``inprocess-sqlite``: the default: the same gunicorn on SQLite in DATA_DIR.

Prints, per setup: errors (non-2xx requests, failed jobs, missing or duplicated invoices counted
in the database), wall time, throughput (invoices/s, from the first upload until every client saw
its jobs done), API latencies (p50/p95/max) and peak RSS; then one comparison table. Exits 1 on
any error. Only loopback traffic; every process started is stopped.

    /work/venv/bin/python benchmarks/scale_load.py [--clients 20] [--invoices 500]
        [--setups celery,inprocess-pg,inprocess-sqlite] [--celery-workers 2] [--concurrency 2]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from web_load import Stats, latency_line, make_invoice, percentile, run_clients

from helpers_cluster import (
    RedisServer,
    postgres_problem,
    postgres_schema,
    schema_url,
    start_worker,
)
from helpers_server import Server, peak_rss_kib, start_gunicorn

SETUPS = ("celery", "inprocess-pg", "inprocess-sqlite")


@dataclass
class Result:
    setup: str
    description: str
    wall: float
    upload_wall: float
    stats: Stats
    duplicates: int
    db_invoices: int
    peak_mib: float
    timed_out: bool

    @property
    def errors(self) -> int:
        s = self.stats
        return len(s.http_errors) + len(s.failed_jobs) + s.missing_invoices + self.duplicates


@contextlib.contextmanager
def database(kind: str, data_dir: Path) -> Iterator[str | None]:
    """DATABASE_URL of the setup (None: the SQLite default in DATA_DIR)."""
    if kind == "sqlite":
        yield None
        return
    with postgres_schema() as schema:
        yield schema_url(schema)


def count_invoices(url: str) -> tuple[int, int]:
    """(invoice rows, rows beyond one per job position): the exactly-once check."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            total = conn.execute(text("SELECT count(*) FROM invoices")).scalar_one()
            extra = conn.execute(
                text(
                    "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM invoices "
                    "GROUP BY job_id, position) AS per_slot"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    return int(total), int(extra)


def run_setup(
    setup: str, args: argparse.Namespace, batches: list[list[tuple[str, bytes]]]
) -> Result:
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"scale-{setup}-")))
        data_dir = tmp / "data"
        url = stack.enter_context(
            database("sqlite" if setup.endswith("sqlite") else "pg", data_dir)
        )
        env = {"JOB_LEASE_SECONDS": str(args.lease), "WORKERS": str(args.threads)}
        if url is not None:
            env["DATABASE_URL"] = url
        processes: list[Server] = []
        stack.callback(lambda: [p.stop() for p in reversed(processes)])
        if setup == "celery":
            redis = stack.enter_context(RedisServer(tmp / "redis"))
            env.update(QUEUE_URL=redis.url, JOB_SWEEP_SECONDS="5")
            worker_env = {**env, "WORKERS": str(args.concurrency)}
            processes += [start_worker(data_dir, **worker_env) for _ in range(args.celery_workers)]
            description = (
                f"gunicorn -w 4 + {args.celery_workers} Celery workers x {args.concurrency} "
                "processes, PostgreSQL + Redis"
            )
        else:
            db = "SQLite (default)" if url is None else "PostgreSQL"
            description = f"gunicorn -w 4, {args.threads} extraction threads per process, {db}"
        web = start_gunicorn(data_dir, workers=4, **env)
        processes.insert(0, web)

        stats = Stats()
        hard_stop = time.monotonic() + args.deadline
        uploads_done: list[float] = []
        started, wall = run_clients(web.url, batches, stats, hard_stop, args.poll, uploads_done)
        upload_wall = (max(uploads_done) - started) if uploads_done else wall
        pids = [pid for p in processes for pid in p.group_pids()]
        peaks = peak_rss_kib(pids)
        db_url = url or f"sqlite:///{data_dir / 'invoice-extractor.db'}"
        total, duplicates = count_invoices(db_url)
        timed_out = stats.clients_done < len(batches)
        return Result(
            setup,
            description,
            wall,
            upload_wall,
            stats,
            duplicates,
            total,
            sum(peaks.values()) / 1024,
            timed_out,
        )


def report(result: Result, invoices: int, clients: int) -> None:
    s = result.stats
    print(f"== {result.setup}: {result.description}")
    print(f"clients          {clients} ({s.clients_done} finished)")
    print(
        f"errors           {len(s.http_errors)} non-2xx/failed requests, {len(s.failed_jobs)} "
        f"failed jobs, {s.missing_invoices} missing invoices, {result.duplicates} duplicated "
        f"invoice rows ({result.db_invoices} invoice rows for {invoices} uploads)"
    )
    for line in (s.http_errors + s.failed_jobs)[:10]:
        print(f"  {line}")
    print(
        f"wall time        {result.wall:.2f} s (uploads finished after {result.upload_wall:.2f} s)"
    )
    print(f"throughput       {invoices / result.wall:.2f} invoices/s extracted")
    print(latency_line("upload latency", s.upload))
    print(latency_line("status latency", s.status))
    print(latency_line("create session", s.other))
    print(f"peak RSS         {result.peak_mib:.0f} MiB summed over all processes")
    if result.timed_out:
        print("DEADLINE passed before every client finished")
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--invoices", type=int, default=500, help="in total, over all clients")
    parser.add_argument("--setups", default=",".join(SETUPS), help="comma-separated")
    parser.add_argument("--celery-workers", type=int, default=2, help="worker processes")
    parser.add_argument("--concurrency", type=int, default=2, help="WORKERS of each Celery worker")
    parser.add_argument("--threads", type=int, default=3, help="WORKERS of each web process")
    parser.add_argument("--lease", type=int, default=30, help="JOB_LEASE_SECONDS")
    parser.add_argument("--poll", type=float, default=0.5, help="seconds between status polls")
    parser.add_argument("--deadline", type=float, default=900, help="seconds per setup")
    args = parser.parse_args(argv)
    setups = [s for s in args.setups.split(",") if s]
    unknown = set(setups) - set(SETUPS)
    if unknown:
        parser.error(f"unknown setups {sorted(unknown)}; choose from {', '.join(SETUPS)}")
    if any(not s.endswith("sqlite") for s in setups) and (problem := postgres_problem()):
        parser.error(f"PostgreSQL at 127.0.0.1:5432 does not answer: {problem}")
    if "celery" in setups and not RedisServer.available():
        parser.error("redis-server is not installed")

    shares = [
        args.invoices // args.clients + (c < args.invoices % args.clients)
        for c in range(args.clients)
    ]
    batches = [[make_invoice(c, n) for n in range(share)] for c, share in enumerate(shares)]
    size = sum(len(data) for batch in batches for _, data in batch)
    print(f"{args.invoices} invoices ({size / 1024:.0f} KiB of PDF), {args.clients} clients\n")

    results = []
    for setup in setups:
        result = run_setup(setup, args, batches)
        report(result, args.invoices, args.clients)
        results.append(result)

    print(
        f"{'setup':<18} {'errors':>6} {'wall s':>8} {'inv/s':>7} {'upload p95':>11} "
        f"{'status p95':>11} {'RSS MiB':>8}"
    )
    for r in results:
        up = percentile(r.stats.upload, 0.95) * 1000 if r.stats.upload else float("nan")
        st = percentile(r.stats.status, 0.95) * 1000 if r.stats.status else float("nan")
        print(
            f"{r.setup:<18} {r.errors:>6} {r.wall:>8.2f} {args.invoices / r.wall:>7.2f} "
            f"{up:>8.1f} ms {st:>8.1f} ms {r.peak_mib:>8.0f}"
        )
    return 1 if any(r.errors or r.timed_out for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
