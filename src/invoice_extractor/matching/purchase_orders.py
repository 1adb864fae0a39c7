"""Purchase orders: import, and the two-way match of every stored invoice against them.

An invoice finds its order by the PO number it quotes (BT-13 ``po_number``), else by supplier and
net amount within ``PO_AMOUNT_TOLERANCE``. Each invoice line is then paired with an order line (by
description, else by position) and compared: unit price within ``PO_PRICE_TOLERANCE``, quantity
(this invoice and every earlier one on the same order together) within
``PO_QUANTITY_TOLERANCE``. Each difference is a ``PO-MISMATCH`` warning naming the invoice field,
and the invoice gets a match status: ``matched``, ``partial`` (the order is not yet billed in
full), ``over_invoiced`` (more billed than ordered, a higher price, or a line not on the order) or
``no_po``.
"""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import JSON, ColumnElement, Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session, joinedload

from ..errors import NotFound
from ..model import Invoice, Status
from ..settings import Settings
from ..store.invoice_rows import NewInvoice
from ..store.matching_tables import InvoiceMatch, PurchaseOrder, PurchaseOrderLine
from ..store.models import InvoiceRecord
from ..store.repository import Store
from .keys import cents, iban_key, number_key, supplier_key
from .po_compare import CODE, MATCHED, NO_PO, OVER, PARTIAL, compare, net_amount
from .po_import import Order, parse_orders, supplier_of

RULES: tuple[tuple[str, str], ...] = (
    (
        CODE,
        "The invoice agrees with its purchase order (by PO number, else supplier and amount): "
        "each line is on the order, unit prices and quantities (all invoices of the order "
        "together) within PO_PRICE_TOLERANCE and PO_QUANTITY_TOLERANCE.",
    ),
)
"""The match checks, as ``validate.RULES`` lists the others (README's Checks table)."""

__all__ = [
    "CODE",
    "MATCHED",
    "NO_PO",
    "OVER",
    "PARTIAL",
    "RULES",
    "key_values",
    "po_check",
    "set_warnings",
]
_PREFIX = f"{CODE}:"

log = logging.getLogger(__name__)
_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class PoResult:
    status: str
    order: str | None
    warnings: list[str]


# -- import ----------------------------------------------------------------------------------


def import_orders(store: Store, data: bytes, name: str) -> list[str]:
    """Store every order of the file in one transaction (an order already known by its number is
    replaced), then re-check the invoices that may belong to them. Returns the order numbers."""
    settings = store.settings
    orders = parse_orders(
        data, name, max_mb=settings.max_import_mb, max_rows=settings.max_import_rows
    )
    keys = [number_key(o.number) for o in orders]
    with store.db.session() as db:
        existing = {
            po.number_key: po
            for chunk in _chunks(keys)
            for po in db.scalars(select(PurchaseOrder).where(PurchaseOrder.number_key.in_(chunk)))
        }
        for order, key in zip(orders, keys, strict=True):
            assert key is not None  # parse_orders refuses numbers without a key
            row = existing.get(key) or PurchaseOrder(number_key=key)
            _fill(row, order, name)
            db.add(row)
    recheck(store, [k for k in keys if k], [supplier_of(o) for o in orders])
    return [o.number for o in orders]


def _fill(row: PurchaseOrder, order: Order, source: str) -> None:
    row.number = order.number
    row.supplier = order.supplier
    row.supplier_key = supplier_of(order)
    row.supplier_vat_id = number_key(order.supplier_vat_id)
    row.order_date = order.order_date
    row.currency = order.currency
    row.net_cents = cents(order.net)
    row.source = source[:255]
    row.lines = [
        PurchaseOrderLine(
            position=n,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            tax_rate=line.tax_rate,
        )
        for n, line in enumerate(order.lines, start=1)
    ]


def recheck(store: Store, number_keys: Sequence[str], supplier_keys: Sequence[str]) -> int:
    """Run the check again on every invoice that quotes one of these PO numbers, or names one
    of these suppliers and has no order yet (an order imported after its invoices)."""
    index_missing(store)
    found: dict[int, str] = {}
    with store.db.session() as db:
        for chunk in _chunks(sorted(set(number_keys))):
            query = select(InvoiceMatch.invoice_id, InvoiceMatch.session_id)
            rows = db.execute(query.where(InvoiceMatch.po_number_key.in_(chunk)))
            found.update((invoice_id, session_id) for invoice_id, session_id in rows)
        for chunk in _chunks(sorted(set(supplier_keys))):
            query = select(InvoiceMatch.invoice_id, InvoiceMatch.session_id).where(
                InvoiceMatch.seller_key.in_(chunk), InvoiceMatch.order_id.is_(None)
            )
            found.update((invoice_id, session_id) for invoice_id, session_id in db.execute(query))
    for invoice_id, session_id in sorted(found.items()):
        _check_if_there(store, session_id, invoice_id)
    return len(found)


def _chunks(values: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    """Bounded IN lists (SQLite caps the parameters of one statement)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


# -- the hook on new invoices ----------------------------------------------------------------


def check_job(store: Store, job_id: int) -> None:
    """The PO check of every invoice a job just stored (called by the job runner), in one
    transaction: a new invoice has no corrections yet, so its stored JSON is what the user sees.
    The invoices and their match rows come in one query, each order with its lines and what its
    other invoices billed in another: four round trips for a one-invoice job, with the writes."""
    with store.db.session() as db:
        rows = db.execute(_JOB_WITH_MATCH_ROWS, {"job_id": job_id}).all()
        for record, match in rows:
            invoice = Invoice.model_validate(record.data)
            result = _check(db, match, record.id, record.session_id, invoice, store.settings)
            set_warnings(record, result.warnings)


def _with_match_rows() -> Select[InvoiceRecord, InvoiceMatch]:
    """Stored invoices, each with its match row (None before its first check)."""
    return select(InvoiceRecord, InvoiceMatch).outerjoin(
        InvoiceMatch, InvoiceMatch.invoice_id == InvoiceRecord.id
    )


_JOB_WITH_MATCH_ROWS = _with_match_rows().where(InvoiceRecord.job_id == bindparam("job_id"))
ANY_ORDER = select(PurchaseOrder.id).limit(1)


def _check_if_there(store: Store, session_id: str, invoice_id: int) -> None:
    """``check_stored``, unless the invoice went meanwhile (its job re-ran, its session ended)."""
    with contextlib.suppress(NotFound):
        check_stored(store, session_id, invoice_id)


def check_stored(store: Store, session_id: str, invoice_id: int) -> PoResult:
    """Check one stored invoice as the user sees it (corrections applied) and record the result:
    its match row, and its PO-MISMATCH warnings (replacing earlier ones) and status."""
    invoice = store.invoice(session_id, invoice_id).invoice
    with store.db.session() as db:
        found = db.execute(_with_match_rows().where(InvoiceRecord.id == invoice_id)).first()
        if found is None:  # gone since it was read (its job re-ran, its session ended)
            raise NotFound(f"no invoice {invoice_id}")
        record, match = found
        result = _check(db, match, invoice_id, session_id, invoice, store.settings)
        set_warnings(record, result.warnings)
    return result


def index_missing(store: Store, batch: int = 500) -> int:
    """Match rows for stored invoices that have none (stored before matching existed)."""
    done = 0
    while True:
        with store.db.session() as db:
            rows = db.execute(
                select(InvoiceRecord.id, InvoiceRecord.session_id)
                .outerjoin(InvoiceMatch, InvoiceMatch.invoice_id == InvoiceRecord.id)
                .where(InvoiceMatch.invoice_id.is_(None))
                .limit(batch)
            ).all()
        for invoice_id, session_id in rows:
            _check_if_there(store, session_id, invoice_id)
        done += len(rows)
        if len(rows) < batch:
            return done


def set_warnings(record: InvoiceRecord | NewInvoice, warnings: list[str]) -> bool:
    """Whether the warnings (and so the data) changed."""
    data = dict(record.data)
    listed = data.get("warnings")
    old = [w for w in listed if isinstance(w, str)] if isinstance(listed, list) else []
    kept = [w for w in old if not w.startswith(_PREFIX)] + warnings
    if kept == old:
        return False
    data["warnings"] = kept
    if record.status != Status.FAILED:
        record.status = Status.NEEDS_REVIEW if kept else Status.OK
        data["status"] = str(record.status)
    record.data = data  # a new dict: the JSON column sees the change
    return True


# -- the check itself ------------------------------------------------------------------------


def po_check(
    db: Session, invoice_id: int, session_id: str, invoice: Invoice, settings: Settings
) -> PoResult:
    """Match ``invoice`` (stored as ``invoice_id``) to its purchase order, record its match row
    (search keys for the payment matcher too) and return the status and PO-MISMATCH warnings."""
    return _check(db, db.get(InvoiceMatch, invoice_id), invoice_id, session_id, invoice, settings)


def _check(
    db: Session,
    match: InvoiceMatch | None,
    invoice_id: int,
    session_id: str,
    invoice: Invoice,
    settings: Settings,
) -> PoResult:
    """``po_check`` with the invoice's match row already read (None: it has none yet)."""
    row = match or InvoiceMatch(invoice_id=invoice_id, payment_status="unpaid", billed={})
    _keys(row, session_id, invoice, settings)
    found, warnings = _find_order(db, invoice, invoice_id, row, settings)
    if found is None:
        row.order_id, row.po_match, row.billed = None, NO_PO, {}
        db.add(row)
        return PoResult(NO_PO, None, warnings)
    order, billed_by_others = found
    earlier = _summed(billed_by_others)
    status, billed, found_warnings = compare(invoice, order, earlier, settings)
    row.order_id, row.po_match, row.billed = order.id, status, billed
    db.add(row)
    return PoResult(status, order.number, warnings + found_warnings)


def _keys(row: InvoiceMatch, session_id: str, invoice: Invoice, settings: Settings) -> None:
    for column, value in key_values(session_id, invoice, settings).items():
        setattr(row, column, value)


def key_values(session_id: str, invoice: Invoice, settings: Settings) -> dict[str, Any]:
    """The match row's search keys (for the payment matcher too), by column."""
    due = invoice.amount_due if invoice.amount_due is not None else invoice.total
    return {
        "session_id": session_id,
        "invoice_number": (invoice.invoice_number or "")[:255] or None,
        "number_key": number_key(invoice.invoice_number),
        "po_number_key": number_key(invoice.po_number),
        "seller": (invoice.seller.name or "")[:255] or None,
        "seller_key": supplier_key(invoice.seller.name),
        "iban": iban_key(invoice.payment.iban),
        "currency": invoice.currency,
        "amount_cents": cents(due) if due is not None and abs(due) < Decimal("1e15") else None,
        "issue_date": invoice.issue_date,
        "due_on": invoice.due_date
        or (
            invoice.issue_date + timedelta(days=settings.payment_terms_days)
            if invoice.issue_date
            else None
        ),
    }


_OrderFound = tuple[PurchaseOrder, list[Any]]
"""An order (its lines loaded) and the ``billed`` maps of its other invoices."""


def _find_order(
    db: Session, invoice: Invoice, invoice_id: int, row: InvoiceMatch, settings: Settings
) -> tuple[_OrderFound | None, list[str]]:
    dialect = db.get_bind().dialect.name
    if row.po_number_key:
        query = _order_by_number(dialect)  # built once: no expression building per invoice
        params = {"invoice_id": invoice_id, "number_key": row.po_number_key}
        found = _orders_with_billed(db, query, params)
        if found:
            return found[0], []
        if db.scalar(ANY_ORDER) is not None:
            return None, [f"{_PREFIX} po_number {invoice.po_number} is not a known purchase order"]
        return None, []
    net = net_amount(invoice)
    vat = number_key(invoice.seller.vat_id)
    if net is None or (row.seller_key is None and vat is None):
        return None, []
    tolerance = abs(net) * Decimal(str(settings.po_amount_tolerance)) / _HUNDRED
    params = {
        "invoice_id": invoice_id,
        # A key the invoice lacks is NULL: it compares true with no order.
        "seller_key": row.seller_key or None,
        "vat": vat or None,
        "low": cents(net - tolerance),
        "high": cents(net + tolerance),
    }
    candidates = _orders_with_billed(db, _orders_by_supplier_amount(dialect), params)
    if not candidates:
        return None, []
    target = cents(net)
    return min(candidates, key=lambda found: (abs(found[0].net_cents - target), found[0].id)), []


@cache
def _order_by_number(dialect: str) -> Select[PurchaseOrder, Any]:
    return _orders_query(dialect, PurchaseOrder.number_key == bindparam("number_key"), limit=1)


@cache
def _orders_by_supplier_amount(dialect: str) -> Select[PurchaseOrder, Any]:
    supplier = or_(
        PurchaseOrder.supplier_key == bindparam("seller_key"),
        PurchaseOrder.supplier_vat_id == bindparam("vat"),
    )
    amount = PurchaseOrder.net_cents.between(bindparam("low"), bindparam("high"))
    return _orders_query(dialect, and_(supplier, amount), limit=20)


def _orders_query(
    dialect: str, condition: ColumnElement[bool], *, limit: int
) -> Select[PurchaseOrder, Any]:
    """The orders meeting ``condition``, each with its lines and the ``billed`` maps of its
    invoices other than the ``invoice_id`` parameter (a correlated JSON array): one round trip."""
    if dialect == "sqlite":
        aggregate = func.json_group_array(func.json(InvoiceMatch.billed), type_=JSON)
    else:
        aggregate = func.json_agg(InvoiceMatch.billed, type_=JSON)
    billed = (
        select(aggregate)
        .where(
            InvoiceMatch.order_id == PurchaseOrder.id,
            InvoiceMatch.invoice_id != bindparam("invoice_id"),
        )
        .correlate(PurchaseOrder)
        .scalar_subquery()
    )
    return (
        select(PurchaseOrder, billed)
        .where(condition)
        .order_by(PurchaseOrder.id)
        .limit(limit)
        .options(joinedload(PurchaseOrder.lines))
    )


def _orders_with_billed(
    db: Session, query: Select[PurchaseOrder, Any], params: dict[str, Any]
) -> list[_OrderFound]:
    result = db.execute(query, params).unique(lambda found: found[0].id)
    return [(order, others if isinstance(others, list) else []) for order, others in result]


def _summed(billed_by_others: list[Any]) -> dict[str, Decimal]:
    """What the other invoices of the order billed: quantity per order line, and ``net``."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for billed in billed_by_others:
        for key, value in (billed if isinstance(billed, dict) else {}).items():
            totals[key] += Decimal(value)
    return totals
