"""The ``po`` and ``payments`` commands: purchase orders and bank statements imported into the
store the web app uses (``DATABASE_URL``, else SQLite in ``DATA_DIR``), and what the matcher
found. Results are JSON on stdout; a refused file is exit code 1 with the reason (naming the
line) on stderr, and nothing of it imported.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .settings import Settings

if TYPE_CHECKING:
    from .store.repository import Store

PROG = "invoice-extractor"


def add_commands(commands: Any) -> None:
    """Register ``po`` and ``payments`` on the CLI's subparsers."""
    po = commands.add_parser(
        "po",
        help="import purchase orders and list them (matched against every stored invoice)",
        description="Purchase orders of the installation, matched against every invoice the web "
        "app stores (by PO number, else supplier and amount).",
    )
    po_commands = po.add_subparsers(dest="po_command", required=True, metavar="ACTION")
    imp = po_commands.add_parser("import", help="import a CSV or JSON file of orders")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.set_defaults(handler=_po_import)
    po_commands.add_parser("list", help="the orders and their invoices").set_defaults(
        handler=_po_list
    )
    show = po_commands.add_parser("show", help="one order, its lines and invoices")
    show.add_argument("number", metavar="NUMBER")
    show.set_defaults(handler=_po_show)

    pay = commands.add_parser(
        "payments",
        help="import bank statements; list unmatched transactions and overdue invoices",
        description="Bank statements (CAMT.053 XML, MT940, CSV with --mapping) matched to the "
        "invoices of every session by amount, reference, IBAN and date.",
    )
    pay_commands = pay.add_subparsers(dest="payments_command", required=True, metavar="ACTION")
    stmt = pay_commands.add_parser("import", help="import a statement and match it")
    stmt.add_argument("file", type=Path, metavar="FILE")
    stmt.add_argument("--mapping", type=Path, metavar="JSON", help="column mapping of a CSV")
    stmt.add_argument("--format", choices=("camt", "mt940", "csv"), help="default: detected")
    stmt.set_defaults(handler=_payments_import)
    match = pay_commands.add_parser(
        "match",
        help="match unmatched transactions again; or TRANSACTION INVOICE: match one by hand",
        description="Without arguments, run the automatic matcher on every unmatched "
        "transaction. With a transaction id and an invoice id (as `unmatched` and the API list "
        "them), link the two by hand: the invoice is paid on the booking date.",
    )
    match.add_argument("transaction", type=int, nargs="?", metavar="TRANSACTION")
    match.add_argument("invoice", type=int, nargs="?", metavar="INVOICE")
    match.set_defaults(handler=_payments_match)
    unmatch = pay_commands.add_parser(
        "unmatch",
        help="unlink a transaction from its invoice by hand",
        description="The invoice is unpaid again and the automatic matcher leaves the "
        "transaction alone (until it is matched by hand).",
    )
    unmatch.add_argument("transaction", type=int, metavar="TRANSACTION")
    unmatch.set_defaults(handler=_payments_unmatch)
    pay_commands.add_parser("unmatched", help="transactions paying no invoice").set_defaults(
        handler=_payments_unmatched
    )
    late = pay_commands.add_parser("overdue", help="unpaid invoices past their due date")
    late.add_argument("--today", type=date.fromisoformat, help="as of this date (YYYY-MM-DD)")
    late.set_defaults(handler=_payments_overdue)


def _run(settings: Settings, work: Callable[[Store], Any]) -> int:
    from .errors import InvoiceExtractorError
    from .store.repository import Store

    try:
        store = Store(settings)
        store.migrate()
        try:
            result = work(store)
        finally:
            store.db.dispose()
    except InvoiceExtractorError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return 0


def _read(path: Path) -> bytes:
    from .errors import ImportRefused

    try:
        return path.read_bytes()
    except OSError as exc:
        raise ImportRefused(f"{path}: cannot be read ({exc.strerror or exc})") from exc


def _po_import(args: argparse.Namespace, settings: Settings) -> int:
    from .matching.purchase_orders import import_orders

    path: Path = args.file
    return _run(settings, lambda store: {"imported": import_orders(store, _read(path), path.name)})


def _po_list(args: argparse.Namespace, settings: Settings) -> int:
    from .matching.views import list_orders

    return _run(settings, lambda store: {"purchase_orders": list_orders(store)})


def _po_show(args: argparse.Namespace, settings: Settings) -> int:
    from .errors import NotFound
    from .matching.views import get_order

    def show(store: Store) -> Any:
        found = get_order(store, args.number)
        if found is None:
            raise NotFound(f"no purchase order {args.number}")
        return found

    return _run(settings, show)


def _payments_import(args: argparse.Namespace, settings: Settings) -> int:
    from .matching.payments import import_statement

    path: Path = args.file
    mapping: Path | None = args.mapping

    def work(store: Store) -> Any:
        raw = _read(mapping) if mapping is not None else None
        result = import_statement(store, _read(path), path.name, mapping=raw, fmt=args.format)
        return result.to_json()

    return _run(settings, work)


def _payments_match(args: argparse.Namespace, settings: Settings) -> int:
    from .matching.payment_links import match_by_hand
    from .matching.payments import rematch

    if args.transaction is None:
        return _run(settings, lambda store: {"matched": rematch(store)})
    if args.invoice is None:
        print(
            f"{PROG}: error: payments match TRANSACTION needs the INVOICE it pays", file=sys.stderr
        )
        return 2
    return _run(settings, lambda store: match_by_hand(store, args.transaction, args.invoice))


def _payments_unmatch(args: argparse.Namespace, settings: Settings) -> int:
    from .matching.payment_links import unmatch_by_hand

    return _run(settings, lambda store: unmatch_by_hand(store, args.transaction))


def _payments_unmatched(args: argparse.Namespace, settings: Settings) -> int:
    from .matching.payments import transactions

    return _run(settings, lambda store: {"transactions": transactions(store, unmatched=True)})


def _payments_overdue(args: argparse.Namespace, settings: Settings) -> int:
    from .matching.payments import overdue

    return _run(settings, lambda store: {"invoices": overdue(store, args.today)})
