"""Load benchmark of the web app: concurrent clients upload invoices through the API and poll.

Starts a real server on a free loopback port with a fresh DATA_DIR (``invoice-extractor serve``,
or with ``--gunicorn`` the original ``gunicorn -w 4 ... app:app``), then CLIENTS threads each
create a session, upload their share of INVOICES generated one-page PDFs (one request per file,
as the browser does) and poll their session until every job is done. Prints errors, wall time,
throughput, API latencies and the server's peak RSS. Exits 1 on errors or when ``--deadline``
passes. Only loopback traffic.

CPU per invoice, web against CLI, in the same run: the server's CPU time (every process of its
group, from /proc) over the load, after one warm-up upload, divided by the invoices; and the
CLI's (``invoice-extractor extract`` on the same files) as the difference between a run on every
file and a run on one, divided by the invoices less one, so that neither side pays its start-up.
The ratio is the figure of issue 15 (target <= 1.5). The job path alone (claim to stored result,
the worker threads' CPU from ``/metrics``) is printed beside it, and the rest of the server's CPU
per HTTP request (the clients poll every ``--poll`` seconds, so a slower run makes more polls).

    .venv/bin/python benchmarks/web_load.py [--gunicorn] [--clients 20] [--invoices 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from fpdf import FPDF

from invoice_extractor.jobs.inprocess import STATE_TICK
from invoice_extractor.settings import default_workers

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from helpers_server import (
    RUNNING_STATES,
    Api,
    Server,
    executable,
    peak_rss_kib,
    start_gunicorn,
    start_serve,
)

SELLERS = ("Acme Trading Ltd", "Nordlicht Bürotechnik GmbH", "Société Exemple SARL", "Delta BV")


def make_invoice(client: int, n: int) -> tuple[str, bytes]:
    """A one-page invoice with its own number, seller, items and totals."""
    number = f"LB-{client:02d}-{n:04d}"
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.text(50, 60, SELLERS[(client + n) % len(SELLERS)])  # Latin-1: core font
    pdf.set_font("Helvetica", size=10)
    for y, (label, value) in enumerate(
        (("Invoice No:", number), ("Invoice Date:", f"{1 + n % 28:02d}.03.2024"))
    ):
        pdf.text(330, 110 + 15 * y, label)
        pdf.text(450, 110 + 15 * y, value)
    net = 0
    for row in range(3 + (client + n) % 8):
        cents = 500 + 37 * client + 113 * n + 71 * row
        qty = 1 + row % 3
        net += qty * cents
        y = 200 + row * 16
        pdf.text(50, y, f"Article {row + 1} for order {number}")
        pdf.text(380, y, str(qty))
        pdf.text(420, y, _money(cents))
        pdf.text(490, y, _money(qty * cents))
    tax = round(net * 0.19)
    for i, (label, cents) in enumerate((("Subtotal", net), ("VAT 19%", tax), ("Total", net + tax))):
        pdf.text(380, 420 + 16 * i, label)
        pdf.text(490, 420 + 16 * i, f"{_money(cents)} EUR")
    return f"{number}.pdf", bytes(pdf.output())


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    upload: list[float] = field(default_factory=list)
    status: list[float] = field(default_factory=list)
    other: list[float] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)
    failed_jobs: list[str] = field(default_factory=list)
    missing_invoices: int = 0
    clients_done: int = 0

    def record(self, kind: list[float], seconds: float) -> None:
        with self.lock:
            kind.append(seconds)

    def error(self, text: str) -> None:
        with self.lock:
            self.http_errors.append(text)


def call(
    http: requests.Session, stats: Stats, kind: list[float], method: str, url: str, **kw: Any
) -> requests.Response | None:
    started = time.perf_counter()
    try:
        response = http.request(method, url, timeout=60, **kw)
    except requests.RequestException as exc:
        stats.error(f"{method} {url}: {type(exc).__name__}: {exc}")
        return None
    stats.record(kind, time.perf_counter() - started)
    if not 200 <= response.status_code < 300:
        stats.error(f"{method} {url}: HTTP {response.status_code} {response.text[:200]}")
        return None
    return response


def client(
    base: str,
    files: list[tuple[str, bytes]],
    stats: Stats,
    start: threading.Barrier,
    deadline: float,
    poll: float,
    uploads_done: list[float] | None = None,
) -> None:
    """One client: a session, its uploads, then polling until its jobs are done. When
    ``uploads_done`` is given, the moment the last upload was answered is appended to it."""
    http = requests.Session()
    start.wait()
    created = call(http, stats, stats.other, "POST", f"{base}/api/v1/sessions")
    if created is None:
        return
    session_id, token = created.json()["id"], created.json()["token"]
    http.headers["Authorization"] = f"Bearer {token}"
    api = f"{base}/api/v1/sessions/{session_id}"
    for name, data in files:
        call(
            http,
            stats,
            stats.upload,
            "POST",
            f"{api}/files",
            files=[("files", (name, data, "application/pdf"))],
        )
    if uploads_done is not None:
        with stats.lock:
            uploads_done.append(time.perf_counter())
    while time.monotonic() < deadline:
        response = call(http, stats, stats.status, "GET", api)
        if response is not None:
            summary = response.json()
            if not any(f["state"] in RUNNING_STATES for f in summary["files"]):
                with stats.lock:
                    stats.failed_jobs += [
                        f"{f['name']}: {f['error']}"
                        for f in summary["files"]
                        if f["state"] != "done"
                    ]
                    stats.missing_invoices += max(0, len(files) - summary["invoices"])
                    stats.clients_done += 1
                return
        time.sleep(poll)


def run_clients(
    base: str,
    batches: list[list[tuple[str, bytes]]],
    stats: Stats,
    deadline: float,
    poll: float,
    uploads_done: list[float] | None = None,
) -> tuple[float, float]:
    """One ``client`` thread per batch, released together; waits for them until ``deadline``
    (monotonic). Returns the moment they started (``time.perf_counter``) and the wall time."""
    barrier = threading.Barrier(len(batches) + 1)
    threads = [
        threading.Thread(
            target=client,
            args=(base, batch, stats, barrier, deadline, poll, uploads_done),
            daemon=True,
        )
        for batch in batches
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return started, time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latency_line(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:<16} no requests"
    ms = [v * 1000 for v in values]
    return (
        f"{name:<16} n={len(ms):<5} p50={statistics.median(ms):7.1f} ms  "
        f"p95={percentile(ms, 0.95):7.1f} ms  max={max(ms):7.1f} ms"
    )


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these live processes so far (/proc/PID/stat)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def cli_cpu_seconds(paths: list[Path]) -> float:
    """User + system CPU seconds of one ``invoice-extractor extract`` run on ``paths``."""
    cmd = [executable("invoice-extractor"), "extract", "--format", "json", *map(str, paths)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise RuntimeError(f"invoice-extractor extract exited with {status}")
    return usage.ru_utime + usage.ru_stime


def cli_cpu_per_invoice(batches: list[list[tuple[str, bytes]]], directory: Path) -> float:
    paths = []
    for batch in batches:
        for name, data in batch:
            path = directory / name
            path.write_bytes(data)
            paths.append(path)
    one = cli_cpu_seconds(paths[:1])
    every = cli_cpu_seconds(paths)
    return (every - one) / max(1, len(paths) - 1)


def job_path_counters(base: str) -> tuple[float, float]:
    """(CPU seconds, runs) of the job path so far, from ``/metrics`` (every queue summed)."""
    text = requests.get(f"{base}/metrics", timeout=30).text
    totals = {
        "invoice_extractor_job_cpu_seconds_total": 0.0,
        "invoice_extractor_jobs_run_total": 0.0,
    }
    for line in text.splitlines():
        name = line.split("{", 1)[0].split(" ", 1)[0]
        if name in totals:
            totals[name] += float(line.rsplit(" ", 1)[1])
    return (
        totals["invoice_extractor_job_cpu_seconds_total"],
        totals["invoice_extractor_jobs_run_total"],
    )


def warm_up(server: Server) -> None:
    """One invoice through the server, so that the measured load pays no first-use costs."""
    api = Api(server.url)
    session_id, token = api.create_session()
    name, data = make_invoice(99, 0)
    api.upload(session_id, token, [(name, data)])
    api.wait_done(session_id, token, timeout=120)


def start_server(args: argparse.Namespace, data_dir: Path) -> Server:
    env = {"WORKERS": str(args.workers), "JOB_LEASE_SECONDS": str(args.lease)}
    if args.gunicorn:
        return start_gunicorn(data_dir, workers=4, **env)
    return start_serve(data_dir, **env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gunicorn", action="store_true", help="gunicorn -w 4 ... app:app")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--invoices", type=int, default=200, help="in total, over all clients")
    parser.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        help="WORKERS per server process (default: the app's, the cores up to 3)",
    )
    parser.add_argument("--lease", type=int, default=30, help="JOB_LEASE_SECONDS")
    parser.add_argument("--poll", type=float, default=0.5, help="seconds between status polls")
    parser.add_argument("--deadline", type=float, default=600, help="seconds for the whole run")
    args = parser.parse_args(argv)
    hard_stop = time.monotonic() + args.deadline

    shares = [
        args.invoices // args.clients + (c < args.invoices % args.clients)
        for c in range(args.clients)
    ]
    batches = [[make_invoice(c, n) for n in range(share)] for c, share in enumerate(shares)]
    total_bytes = sum(len(data) for batch in batches for _, data in batch)

    stats = Stats()
    with tempfile.TemporaryDirectory(prefix="web-load-") as tmp:
        server = start_server(args, Path(tmp) / "data")
        try:
            warm_up(server)
            jobs_before = job_path_counters(server.url)
            cpu_before = cpu_seconds(server.group_pids())
            _, wall = run_clients(server.url, batches, stats, hard_stop, args.poll)
            pids = server.group_pids()
            web_cpu = (cpu_seconds(pids) - cpu_before) / args.invoices
            # Another process's job counters reach its metrics file at its queue's next tick.
            time.sleep(STATE_TICK + 0.1)
            jobs_after = job_path_counters(server.url)
            runs = max(1.0, jobs_after[1] - jobs_before[1])
            job_cpu = (jobs_after[0] - jobs_before[0]) / runs
            # The rest of the server's CPU, per request: unlike the ratio, this does not grow
            # with the number of polls a slower (busier) machine makes.
            requests_made = len(stats.upload) + len(stats.status) + len(stats.other)
            rest_cpu = web_cpu * args.invoices - (jobs_after[0] - jobs_before[0])
            request_cpu = rest_cpu / max(1, requests_made)
            peaks = peak_rss_kib(pids)
        finally:
            server.stop()
        cli_dir = Path(tmp) / "cli"
        cli_dir.mkdir()
        cli_cpu = cli_cpu_per_invoice(batches, cli_dir)

    timed_out = stats.clients_done < args.clients and time.monotonic() >= hard_stop
    mode = "gunicorn -w 4 app:app" if args.gunicorn else "invoice-extractor serve"
    print(f"server           {mode} (WORKERS={args.workers} per process, {len(pids)} processes)")
    print(f"invoices         {args.invoices} ({total_bytes / 1024:.0f} KiB of PDF)")
    print(f"clients          {args.clients} ({stats.clients_done} finished)")
    print(
        f"errors           {len(stats.http_errors)} non-2xx/failed requests, "
        f"{len(stats.failed_jobs)} failed jobs, {stats.missing_invoices} missing invoices"
    )
    for line in (stats.http_errors + stats.failed_jobs)[:10]:
        print(f"  {line}")
    print(f"wall time        {wall:.2f} s")
    print(f"throughput       {args.invoices / wall:.2f} invoices/s")
    print(latency_line("upload latency", stats.upload))
    print(latency_line("status latency", stats.status))
    print(latency_line("create session", stats.other))
    if peaks:
        detail = ", ".join(f"{pid}: {kib / 1024:.0f}" for pid, kib in sorted(peaks.items()))
        print(
            f"server peak RSS  max {max(peaks.values()) / 1024:.0f} MiB per process, "
            f"sum {sum(peaks.values()) / 1024:.0f} MiB (VmHWM MiB by pid: {detail})"
        )
    else:
        print("server peak RSS  not readable from /proc")
    print(
        f"CPU per invoice  web {web_cpu * 1000:.1f} ms, CLI {cli_cpu * 1000:.1f} ms: "
        f"ratio {web_cpu / cli_cpu:.2f} (target <= 1.5)"
    )
    print(
        f"  of which jobs  {job_cpu * 1000:.1f} ms per run (claim to stored result, "
        f"/metrics): ratio {job_cpu / cli_cpu:.2f} to the CLI; the rest is the HTTP requests "
        f"(uploads, {len(stats.status)} status polls)"
    )
    print(
        f"  the rest       {request_cpu * 1000:.1f} ms per request ({len(stats.upload)} uploads, "
        f"{len(stats.status)} polls, {len(stats.other)} sessions created; server CPU outside "
        "the job threads)"
    )
    if timed_out:
        print(f"DEADLINE of {args.deadline:.0f} s passed before every client finished")
        return 1
    return 1 if stats.http_errors or stats.failed_jobs or stats.missing_invoices else 0


if __name__ == "__main__":
    sys.exit(main())
