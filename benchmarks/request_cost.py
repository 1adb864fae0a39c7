"""CPU per request of the web app, in one thread: uploads, status polls and jobs, no HTTP server.

``web_load.py`` measures the whole server against the CLI, which is the figure that counts, but on
a shared machine its ratio moves with the load (a slower run makes more polls per invoice). This
script drives the app in process through the Flask test client (SQLite, or ``--database-url``):
CLIENTS sessions, each uploading ROUNDS invoices one request at a time, two polls of every session
per round, and the round's jobs run in this thread between rounds. It prints the process CPU per
upload, per poll and per job; ``--profile upload|poll|job`` prints the cProfile of that part.

    .venv/bin/python benchmarks/request_cost.py [--clients 10] [--rounds 12] [--profile poll]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time

from web_load import make_invoice

from invoice_extractor.gc_tuning import tune_for_batches
from invoice_extractor.jobs.runner import run_job
from invoice_extractor.settings import Settings
from invoice_extractor.web import create_app

WORKER = "bench:1:q1:w0"


class HeldQueue:
    """Keeps the submitted job ids; this script runs them itself, in its own thread."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    def start(self) -> None: ...

    def submit(self, job_id: int) -> None:
        self.ids.append(job_id)

    def stop(self) -> None: ...


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=12, help="uploads per client")
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp DATA_DIR")
    parser.add_argument("--profile", choices=("upload", "poll", "job"))
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="request-cost-") as tmp:
        env = {"DATA_DIR": tmp, "SECRET_KEY": "request-cost-benchmark-key"}
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        queue = HeldQueue()
        app = create_app(Settings.from_env(env, env_file=None), queue=queue)
        store = app.extensions["invoice_extractor"].store
        http = app.test_client()
        sessions = []
        for _ in range(args.clients):
            created = http.post("/api/v1/sessions").get_json()
            auth = {"Authorization": f"Bearer {created['token']}"}
            sessions.append((f"/api/v1/sessions/{created['id']}", auth))
        files = [[make_invoice(c, n) for n in range(args.rounds + 1)] for c in range(args.clients)]

        def upload(n: int) -> None:
            for (base, auth), mine in zip(sessions, files, strict=True):
                name, data = mine[n]
                answer = http.post(
                    f"{base}/files",
                    data={"files": (io.BytesIO(data), name)},
                    headers=auth,
                    content_type="multipart/form-data",
                )
                assert answer.status_code == 202, answer.get_data(as_text=True)

        def poll() -> None:
            for base, auth in sessions:
                assert http.get(base, headers=auth).status_code == 200

        def run_jobs() -> None:
            for _ in queue.ids:
                job = store.claim_next(WORKER)
                assert job is not None
                # As the in-process queue runs it: its state noted, published only by the
                # heartbeat's next tick, which a one-page job finishes before.
                run_job(store, job, WORKER, progress=lambda _state: None)
            queue.ids.clear()

        upload(0)  # warm-up: first-use costs (imports, the ranker) are not measured
        poll()
        run_jobs()
        tune_for_batches()  # as the server does once the app is built
        profile = cProfile.Profile()
        spent = {"upload": 0.0, "poll": 0.0, "job": 0.0}
        counts = {"upload": 0, "poll": 0, "job": 0}
        parts = {"upload": upload, "poll": lambda _: poll(), "job": lambda _: run_jobs()}
        for n in range(1, args.rounds + 1):
            for part, repeat in (("upload", 1), ("poll", 2), ("job", 1)):
                for _ in range(repeat):
                    counts[part] += len(queue.ids) if part == "job" else args.clients
                    started = time.process_time()
                    if args.profile == part:
                        profile.enable()
                    parts[part](n)
                    profile.disable()
                    spent[part] += time.process_time() - started
        store.db.dispose()

    for part in spent:
        print(
            f"{part:<7} {spent[part] * 1000 / max(1, counts[part]):6.2f} ms CPU each "
            f"({counts[part]})"
        )
    if args.profile:
        stats = pstats.Stats(profile, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(40)
    return 0


if __name__ == "__main__":
    sys.exit(main())
