"""The matcher's commands: ``suppliers`` (the installation's supplier list: list, import,
export) and ``books`` (extract files and write them as a DATEV booking batch or a Xero /
QuickBooks bills CSV, with the creditor accounts of the supplier list).

Both open the installation's database (``DATABASE_URL``, else SQLite in ``DATA_DIR``), the one the
web app uses; nothing else is stored.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import InvoiceExtractorError
from ..settings import Settings

BOOKS_FORMATS = ("datev", "bills-xero", "bills-quickbooks")


def add_parsers(commands: Any) -> None:
    """Register ``suppliers`` and ``books`` on the CLI's subcommand parser."""
    suppliers = commands.add_parser(
        "suppliers",
        help="the supplier list of the installation: list, import or export it",
        description="List the supplier list (JSON, or CSV with --csv), export it as CSV, or "
        "import a CSV (columns name, vat_id, iban, address, country, account; all or nothing).",
    )
    suppliers.add_argument("action", choices=("list", "import", "export"))
    suppliers.add_argument("file", nargs="?", type=Path, metavar="FILE", help="CSV to import")
    suppliers.add_argument("--csv", action="store_true", help="list as CSV")
    suppliers.set_defaults(handler=suppliers_command)

    books = commands.add_parser(
        "books",
        help="write invoices as a DATEV booking batch or a Xero / QuickBooks bills CSV",
        description="Extract FILEs and write them for accounting software: DATEV EXTF "
        "Buchungsstapel, or the bills CSV of Xero or QuickBooks Online. Creditor accounts come "
        "from the supplier list.",
    )
    books.add_argument("files", nargs="+", type=Path, metavar="FILE")
    books.add_argument("--format", choices=BOOKS_FORMATS, required=True)
    books.add_argument("--out", type=Path, metavar="PATH", help="file to write (default stdout)")
    books.set_defaults(handler=books_command)


def _store(settings: Settings) -> Any:
    from ..store.repository import Store

    store = Store(settings)
    store.migrate()
    return store


def suppliers_command(args: argparse.Namespace, settings: Settings) -> int:
    from . import supplier_csv
    from .suppliers import listing

    if args.action == "import" and args.file is None:
        print("invoice-extractor: error: suppliers import needs FILE", file=sys.stderr)
        return 2
    store = _store(settings)
    try:
        with store.db.session() as db:
            if args.action == "import":
                data = args.file.read_bytes()
                result = supplier_csv.import_csv(db, data)
                print(
                    f"{args.file}: {result.added} added, {result.updated} updated", file=sys.stderr
                )
            elif args.action == "export" or args.csv:
                sys.stdout.write(supplier_csv.export_csv(db))
            else:
                rows = [row.to_json() for row in listing(db)]
                sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    except (InvoiceExtractorError, OSError) as exc:
        print(f"invoice-extractor: {exc}", file=sys.stderr)
        return 1
    finally:
        store.db.dispose()
    return 0


def books_command(args: argparse.Namespace, settings: Settings) -> int:
    from .. import pipeline
    from ..export.bills_csv import bills_to_csv
    from ..export.datev import DatevOptions, invoices_to_datev
    from ..model import Status
    from ..store.models import utcnow
    from .suppliers import find, name_key, vat_key

    invoices = []
    for path in args.files:
        for invoice in pipeline.extract_file(path, settings=settings):
            if invoice.status is Status.FAILED:
                print(f"{path}: {invoice.error}", file=sys.stderr)
            else:
                invoices.append(invoice)
    if not invoices:
        return 1
    if args.format == "datev":
        store = _store(settings)
        try:
            with store.db.session() as db:
                found = [
                    find(db, vat_key(i.seller.vat_id), name_key(i.seller.name)) for i in invoices
                ]
                accounts = [s.account if s is not None else None for s in found]
        finally:
            store.db.dispose()
        data = invoices_to_datev(invoices, accounts, DatevOptions.of(settings), utcnow())
    else:
        text = bills_to_csv(
            invoices,
            args.format.removeprefix("bills-"),
            date_format=settings.bills_date_format,
            account_code=settings.bills_account_code,
        )
        data = text.encode("utf-8")
    if args.out is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        args.out.write_bytes(data)
        print(f"wrote {args.out}", file=sys.stderr)
    return 0
