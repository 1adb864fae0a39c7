"""The PO check of an earlier commit against the current one, alternating in one process on one
store, so that both see the same machine load (the figures of a shared machine move with it).

Fills a store as ``matching.py`` does (INVOICES invoices, half as many orders), then for 2 x PAIRS
new invoices runs ``check_job`` and ``check_stored`` of the BEFORE commit's
``matching/purchase_orders.py`` (taken with ``git show``) and of the current code in turn, and
prints median, p95 and the statements each ran, beside the floor: one invoice row read by key.

    python benchmarks/po_check_ab.py --before 5bc981e [--invoices 10000] [--pairs 40]
        [--database-url postgresql+psycopg://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent))
import matching as bench  # the store filling of benchmarks/matching.py

from invoice_extractor.matching import purchase_orders as current
from invoice_extractor.store.models import InvoiceRecord
from invoice_extractor.store.repository import Store

_MODULE = "src/invoice_extractor/matching/purchase_orders.py"


def _module_of(commit: str, folder: Path) -> ModuleType:
    source = subprocess.run(
        ["git", "show", f"{commit}:{_MODULE}"], check=True, capture_output=True, text=True
    ).stdout
    path = folder / "purchase_orders_before.py"
    path.write_text(source, encoding="utf-8")
    name = "invoice_extractor.matching.purchase_orders_before"  # its relative imports resolve
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(values) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the commit to compare with")
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--pairs", type=int, default=40)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, bench._settings(args.database_url) as settings:
        versions = {"before": _module_of(args.before, Path(folder)), "after": current}
        store = Store(settings)
        store.migrate()
        started = time.perf_counter()
        current.import_orders(store, bench._orders_csv(args.invoices // 2), "orders.csv")
        session_id = bench._fill(store, args.invoices)
        print(f"setup: {args.invoices} invoices in {time.perf_counter() - started:.0f} s")
        statements = [0]

        def count(*_: Any) -> None:
            statements[0] += 1

        event.listen(store.db.engine, "before_cursor_execute", count)
        times: dict[tuple[str, str], list[float]] = {}
        ran: dict[tuple[str, str], int] = {}
        floor = []
        for n in range(2 * args.pairs):
            name = "before" if n % 2 == 0 else "after"
            version = versions[name]
            invoice_id, job_id = bench._new_invoice(store, session_id, 2 * n + 1)
            for check, call in (
                ("check_job", lambda v=version, j=job_id: v.check_job(store, j)),
                (
                    "check_stored",
                    lambda v=version, i=invoice_id: v.check_stored(store, session_id, i),
                ),
            ):
                statements[0] = 0
                t0 = time.perf_counter()
                call()
                times.setdefault((check, name), []).append(time.perf_counter() - t0)
                ran[(check, name)] = statements[0]
            t0 = time.perf_counter()
            with store.db.session() as db:
                db.get(InvoiceRecord, invoice_id)
            floor.append(time.perf_counter() - t0)
        for (check, name), values in times.items():
            print(f"{check:13} {name:7} {_ms(values)}   ({ran[(check, name)]} statements)")
        print(f"floor: one invoice row by key   {_ms(floor)}")


if __name__ == "__main__":
    main()
