"""The duplicate check of a new invoice against 10,000 stored ones (issue 16), on SQLite and,
when it answers, PostgreSQL: time per check, and the query plans showing the indexes are used.

Fills a fresh store with 10,000 invoices of 500 sellers in 100 sessions (files, jobs, invoice
rows with their match keys, suppliers), then times the matcher's whole check of one new invoice
(``matching.service.check_new``, as the job runner makes it before the invoice's INSERT: supplier
linked, the duplicate candidates of the three lookups in one query, the warning written into the
row) in a transaction rolled back afterwards, so every run sees the same store. The
reference run beside it is the same check against a store of 100 invoices: an indexed lookup
keeps the ratio near 1, a table scan would make it grow with the table (about 100x). Target of
the issue: under 50 ms per check with 10,000 invoices.

    .venv/bin/python benchmarks/matching_duplicates.py [--invoices 10000] [--runs 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import _POSTGRES_DSN, POSTGRES_URL, _postgres_problem
from invoice_extractor.matching import duplicates, service
from invoice_extractor.matching.duplicates import Keys
from invoice_extractor.model import Invoice, Party, Payment
from invoice_extractor.settings import Settings
from invoice_extractor.store.invoice_rows import NewInvoice
from invoice_extractor.store.models import InvoiceRecord, Job, ReviewSession, StoredFile, Supplier
from invoice_extractor.store.repository import Store

SELLERS = 500
SESSIONS = 100


def seller(n: int) -> str:
    return f"Seller {n:04d} GmbH"


def fill(store: Store, count: int) -> None:
    """``count`` invoices, in bulk inserts (the matcher's keys as the hook would write them)."""
    with store.db.session() as db:
        db.execute(
            insert(ReviewSession),
            [{"id": f"s{n:04d}", "owner_hash": f"h{n}"} for n in range(SESSIONS)],
        )
        db.execute(
            insert(Supplier),
            [
                {
                    "id": n + 1,
                    "name": seller(n),
                    "name_key": f"seller{n:04d}",
                    "account": 70001 + n,
                    "source": "invoice",
                }
                for n in range(SELLERS)
            ],
        )
        files, jobs, invoices = [], [], []
        for n in range(count):
            session = f"s{n % SESSIONS:04d}"
            files.append(
                {
                    "id": n + 1,
                    "session_id": session,
                    "name": f"{n}.pdf",
                    "sha256": f"{n:064x}",
                    "size": 1000,
                }
            )
            jobs.append({"id": n + 1, "session_id": session, "file_id": n + 1, "state": "done"})
            invoice = _invoice(n)
            keys = Keys.of(invoice)
            invoices.append(
                {
                    "id": n + 1,
                    "session_id": session,
                    "file_id": n + 1,
                    "job_id": n + 1,
                    "position": 0,
                    "data": invoice.to_json_dict(),
                    "status": "ok",
                    "match_number": keys.number,
                    "match_date": keys.date,
                    "match_total": keys.total,
                    "match_vat": keys.vat,
                    "match_name": keys.name,
                    "match_iban": keys.iban,
                    "supplier_id": n % SELLERS + 1,
                }
            )
        for table, rows in ((StoredFile, files), (Job, jobs), (InvoiceRecord, invoices)):
            for start in range(0, len(rows), 2000):
                db.execute(insert(table), rows[start : start + 2000])
    if not store.db.is_sqlite:
        with store.db.session() as db:
            db.execute(text("ANALYZE"))


def _invoice(n: int) -> Invoice:
    return Invoice(
        file=f"{n}.pdf",
        invoice_number=f"INV-{n:06d}",
        issue_date=date(2024, 1, 1) + timedelta(days=n % 365),
        seller=Party(name=seller(n % SELLERS)),
        payment=Payment(),
        total=Decimal(100 + n % 997) + Decimal("0.19"),
    )


def time_check(store: Store, runs: int, whole: bool = True) -> float:
    """Median ms of the check of one new invoice (a copy of invoice 7 under a new file): the
    whole check the job runner makes before its INSERT (``whole``), or the duplicate lookup of a
    stored one alone (``duplicates.find``)."""
    new = _invoice(7)
    times = []
    for _ in range(runs):
        with store.db.session() as db:
            db.execute(
                insert(StoredFile).values(
                    id=10**7, session_id="s0001", name="new.pdf", sha256="f" * 64, size=1
                )
            )
            db.execute(
                insert(Job).values(id=10**7, session_id="s0001", file_id=10**7, state="done")
            )
            if whole:
                conn, (item,) = db.connection(), NewInvoice.of([new])
                started = time.perf_counter()
                service.lock(conn, store)
                service.check_new(conn, store, "s0001", "f" * 64, item)
                times.append((time.perf_counter() - started) * 1000)
                warnings = item.data["warnings"]
                assert any(w.startswith("DUPLICATE:") for w in warnings), warnings
                db.rollback()
                continue
            record = InvoiceRecord(
                id=10**7,
                session_id="s0001",
                file_id=10**7,
                job_id=10**7,
                position=0,
                data=new.to_json_dict(),
                status="ok",
            )
            db.add(record)
            db.flush()
            started = time.perf_counter()
            Keys.of(new).write(record)
            db.flush()
            found = duplicates.find(db, record, Keys.of(new), "f" * 64)
            assert found, "the copy of invoice 7 is not found"
            times.append((time.perf_counter() - started) * 1000)
            db.rollback()
    return statistics.median(times)


def plans(store: Store) -> list[str]:
    keys = Keys.of(_invoice(7))
    queries = {
        "same file": "SELECT invoices.id FROM invoices JOIN files ON files.id = invoices.file_id "
        "WHERE files.sha256 = :sha AND invoices.position = 0",
        "seller + number": "SELECT * FROM invoices WHERE match_number = :number",
        "seller + date + total": "SELECT * FROM invoices WHERE match_date = :date AND "
        "match_total = :total",
    }
    values = {"sha": "f" * 64, "number": keys.number, "date": keys.date, "total": keys.total}
    prefix = "EXPLAIN QUERY PLAN " if store.db.is_sqlite else "EXPLAIN "
    lines = []
    with store.db.session() as db:
        for name, sql in queries.items():
            rows = db.execute(text(prefix + sql), values).all()
            plan = " | ".join(str(row[-1] if store.db.is_sqlite else row[0]) for row in rows)
            lines.append(f"  {name:22} {plan}")
    return lines


def run(label: str, settings_for: object, count: int, runs: int) -> None:
    figures = {}
    for size in (100, count):
        with tempfile.TemporaryDirectory() as tmp:
            settings = settings_for(Path(tmp), size)  # type: ignore[operator]
            store = Store(settings)
            store.migrate()
            fill(store, size)
            time_check(store, 3)  # warm caches
            figures[size] = time_check(store, runs)
            figures[-size] = time_check(store, runs, whole=False)
            if size == count:
                print(f"{label}: query plans with {count} invoices")
                print("\n".join(plans(store)))
            store.db.dispose()
            _cleanup(settings)
    for sign, what in ((-1, "duplicate lookup (3 indexed queries)"), (1, "whole matcher hook")):
        big, small = figures[sign * count], figures[sign * 100]
        print(
            f"{label}: {what} of a new invoice, median of {runs}: {big:.1f} ms with {count} "
            f"invoices; reference {small:.1f} ms with 100 (ratio {big / small:.2f}); "
            "target < 50 ms"
        )


_SCHEMAS: list[str] = []


def _postgres(tmp: Path, size: int) -> Settings:
    import psycopg

    schema = f"bench_{size}_{int(time.time() * 1000) % 10**9}"
    with psycopg.connect(_POSTGRES_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    _SCHEMAS.append(schema)
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    return Settings.model_validate({"data_dir": tmp, "database_url": url})


def _cleanup(settings: Settings) -> None:
    if settings.database_url is None or not _SCHEMAS:
        return
    import psycopg

    with psycopg.connect(_POSTGRES_DSN, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {_SCHEMAS.pop()} CASCADE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    run(
        "SQLite",
        lambda tmp, _size: Settings.model_validate({"data_dir": tmp}),
        args.invoices,
        args.runs,
    )
    problem = _postgres_problem()
    if problem is None:
        run("PostgreSQL", _postgres, args.invoices, args.runs)
    else:
        print(f"PostgreSQL skipped: {problem}")


if __name__ == "__main__":
    main()
