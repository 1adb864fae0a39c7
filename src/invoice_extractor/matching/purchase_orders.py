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

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..model import Invoice, LineItem, Status
from ..settings import Settings
from ..store.matching_tables import InvoiceMatch, PurchaseOrder, PurchaseOrderLine
from ..store.models import InvoiceRecord
from ..store.repository import Store
from .keys import cents, iban_key, number_key, supplier_key
from .po_import import Order, parse_orders, supplier_of

CODE = "PO-MISMATCH"
RULES: tuple[tuple[str, str], ...] = (
    (
        CODE,
        "The invoice agrees with its purchase order (by PO number, else supplier and amount): "
        "each line is on the order, unit prices and quantities (all invoices of the order "
        "together) within PO_PRICE_TOLERANCE and PO_QUANTITY_TOLERANCE.",
    ),
)
"""The match checks, as ``validate.RULES`` lists the others (README's Checks table)."""

MATCHED, PARTIAL, OVER, NO_PO = "matched", "partial", "over_invoiced", "no_po"
_PREFIX = f"{CODE}:"
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
        check_stored(store, session_id, invoice_id)
    return len(found)


def _chunks(values: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    """Bounded IN lists (SQLite caps the parameters of one statement)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


# -- the hook on new invoices ----------------------------------------------------------------


def check_job(store: Store, job_id: int) -> None:
    """The PO check of every invoice a job just stored (called by the job runner)."""
    with store.db.session() as db:
        rows = db.execute(
            select(InvoiceRecord.id, InvoiceRecord.session_id).where(InvoiceRecord.job_id == job_id)
        ).all()
    for invoice_id, session_id in rows:
        check_stored(store, session_id, invoice_id)


def check_stored(store: Store, session_id: str, invoice_id: int) -> PoResult:
    """Check one stored invoice as the user sees it (corrections applied) and record the result:
    its match row, and its PO-MISMATCH warnings (replacing earlier ones) and status."""
    invoice = store.invoice(session_id, invoice_id).invoice
    with store.db.session() as db:
        result = po_check(db, invoice_id, session_id, invoice, store.settings)
        record = db.get(InvoiceRecord, invoice_id)
        if record is not None:
            _set_warnings(record, result.warnings)
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
            check_stored(store, session_id, invoice_id)
        done += len(rows)
        if len(rows) < batch:
            return done


def _set_warnings(record: InvoiceRecord, warnings: list[str]) -> None:
    data = dict(record.data)
    listed = data.get("warnings")
    old = [w for w in listed if isinstance(w, str)] if isinstance(listed, list) else []
    kept = [w for w in old if not w.startswith(_PREFIX)] + warnings
    if kept == old:
        return
    data["warnings"] = kept
    if record.status != Status.FAILED:
        record.status = Status.NEEDS_REVIEW if kept else Status.OK
        data["status"] = str(record.status)
    record.data = data  # a new dict: the JSON column sees the change


# -- the check itself ------------------------------------------------------------------------


def po_check(
    db: Session, invoice_id: int, session_id: str, invoice: Invoice, settings: Settings
) -> PoResult:
    """Match ``invoice`` (stored as ``invoice_id``) to its purchase order, record its match row
    (search keys for the payment matcher too) and return the status and PO-MISMATCH warnings."""
    row = db.get(InvoiceMatch, invoice_id) or InvoiceMatch(
        invoice_id=invoice_id, payment_status="unpaid", billed={}
    )
    _keys(row, session_id, invoice, settings)
    order, warnings = _find_order(db, invoice, row, settings)
    if order is None:
        row.order_id, row.po_match, row.billed = None, NO_PO, {}
        db.add(row)
        return PoResult(NO_PO, None, warnings)
    earlier = _billed_before(db, order.id, invoice_id)
    status, billed, found = _compare(invoice, order, earlier, settings)
    row.order_id, row.po_match, row.billed = order.id, status, billed
    db.add(row)
    return PoResult(status, order.number, warnings + found)


def _keys(row: InvoiceMatch, session_id: str, invoice: Invoice, settings: Settings) -> None:
    row.session_id = session_id
    row.invoice_number = (invoice.invoice_number or "")[:255] or None
    row.number_key = number_key(invoice.invoice_number)
    row.po_number_key = number_key(invoice.po_number)
    row.seller = (invoice.seller.name or "")[:255] or None
    row.seller_key = supplier_key(invoice.seller.name)
    row.iban = iban_key(invoice.payment.iban)
    row.currency = invoice.currency
    due = invoice.amount_due if invoice.amount_due is not None else invoice.total
    row.amount_cents = cents(due) if due is not None and abs(due) < Decimal("1e15") else None
    row.issue_date = invoice.issue_date
    row.due_on = invoice.due_date or (
        invoice.issue_date + timedelta(days=settings.payment_terms_days)
        if invoice.issue_date
        else None
    )


def net_amount(invoice: Invoice) -> Decimal | None:
    if invoice.tax_exclusive_total is not None:
        return invoice.tax_exclusive_total
    if invoice.subtotal is not None:
        return invoice.subtotal
    if invoice.total is not None and invoice.tax_total is not None:
        return invoice.total - invoice.tax_total
    return None


def _find_order(
    db: Session, invoice: Invoice, row: InvoiceMatch, settings: Settings
) -> tuple[PurchaseOrder | None, list[str]]:
    with_lines = joinedload(PurchaseOrder.lines)  # one query for the order and its lines
    if row.po_number_key:
        query = select(PurchaseOrder).where(PurchaseOrder.number_key == row.po_number_key)
        order = db.scalars(query.options(with_lines)).unique().first()
        if order is not None:
            return order, []
        if db.scalar(select(PurchaseOrder.id).limit(1)) is not None:
            return None, [f"{_PREFIX} po_number {invoice.po_number} is not a known purchase order"]
        return None, []
    net = net_amount(invoice)
    vat = number_key(invoice.seller.vat_id)
    if net is None or (row.seller_key is None and vat is None):
        return None, []
    tolerance = abs(net) * Decimal(str(settings.po_amount_tolerance)) / _HUNDRED
    low, high = cents(net - tolerance), cents(net + tolerance)
    supplier = [PurchaseOrder.supplier_key == row.seller_key] if row.seller_key else []
    if vat:
        supplier.append(PurchaseOrder.supplier_vat_id == vat)
    query = select(PurchaseOrder).where(or_(*supplier), PurchaseOrder.net_cents.between(low, high))
    candidates = list(db.scalars(query.options(selectinload(PurchaseOrder.lines)).limit(20)))
    if not candidates:
        return None, []
    target = cents(net)
    return min(candidates, key=lambda po: (abs(po.net_cents - target), po.id)), []


def _billed_before(db: Session, order_id: int, invoice_id: int) -> dict[str, Decimal]:
    """What the other invoices of the order billed: quantity per order line, and ``net``."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    query = select(InvoiceMatch.billed).where(
        InvoiceMatch.order_id == order_id, InvoiceMatch.invoice_id != invoice_id
    )
    for billed in db.scalars(query):
        for key, value in (billed or {}).items():
            totals[key] += Decimal(value)
    return totals


def _compare(
    invoice: Invoice, order: PurchaseOrder, earlier: dict[str, Decimal], settings: Settings
) -> tuple[str, dict[str, str], list[str]]:
    warnings: list[str] = []
    over = False
    if invoice.currency and order.currency and invoice.currency != order.currency:
        warnings.append(
            f"{_PREFIX} currency {invoice.currency} differs from {order.number}'s {order.currency}"
        )
    net = net_amount(invoice)
    billed: dict[str, str] = {"net": format(net, "f")} if net is not None else {}
    if not invoice.line_items:
        return _compare_totals(invoice, order, earlier, net, settings, billed, warnings)
    pairs = pair_lines(invoice.line_items, order.lines)
    qty_tol = Decimal(str(settings.po_quantity_tolerance)) / _HUNDRED
    price_tol = Decimal(str(settings.po_price_tolerance)) / _HUNDRED
    now = dict(earlier)
    for index, item in enumerate(invoice.line_items):
        line = pairs.get(index)
        if line is None:
            over = True
            warnings.append(
                f"{_PREFIX} line_items.{index} {item.description or ''!r} is not on {order.number}"
            )
            continue
        where = f"{order.number} line {line.position}"
        if item.unit_price is not None and abs(item.unit_price - line.unit_price) > (
            line.unit_price * price_tol
        ):
            over = over or item.unit_price > line.unit_price
            warnings.append(
                f"{_PREFIX} line_items.{index}.unit_price {_fmt(item.unit_price)} differs from "
                f"{where} price {_fmt(line.unit_price)}"
            )
        if item.quantity is None:
            continue
        key = str(line.position)
        billed[key] = format(Decimal(billed.get(key, "0")) + item.quantity, "f")
        now[key] = now.get(key, Decimal(0)) + item.quantity
        if now[key] > line.quantity * (1 + qty_tol):
            over = True
            before = earlier.get(key, Decimal(0))
            also = f" ({_fmt(now[key])} with earlier invoices)" if before else ""
            warnings.append(
                f"{_PREFIX} line_items.{index}.quantity {_fmt(item.quantity)}{also} exceeds "
                f"{where} ordered {_fmt(line.quantity)}"
            )
    if over:
        return OVER, billed, warnings
    open_lines = any(
        now.get(str(line.position), Decimal(0)) < line.quantity for line in order.lines
    )
    return (PARTIAL if open_lines else MATCHED), billed, warnings


def _compare_totals(
    invoice: Invoice,
    order: PurchaseOrder,
    earlier: dict[str, Decimal],
    net: Decimal | None,
    settings: Settings,
    billed: dict[str, str],
    warnings: list[str],
) -> tuple[str, dict[str, str], list[str]]:
    """An invoice without line items: its net amount, with the order's earlier invoices."""
    if net is None:
        return PARTIAL, billed, warnings
    ordered = Decimal(order.net_cents) / 100
    total = earlier.get("net", Decimal(0)) + net
    tolerance = ordered * Decimal(str(settings.po_amount_tolerance)) / _HUNDRED
    if total > ordered + tolerance:
        warnings.append(
            f"{_PREFIX} tax_exclusive_total {_fmt(net)} ({_fmt(total)} with earlier invoices) "
            f"exceeds {order.number} net {_fmt(ordered)}"
        )
        return OVER, billed, warnings
    return (MATCHED if total >= ordered - tolerance else PARTIAL), billed, warnings


def pair_lines(
    items: Sequence[LineItem], lines: Sequence[PurchaseOrderLine]
) -> dict[int, PurchaseOrderLine]:
    """Invoice line index -> order line: the same description first, then the most shared
    words (at least half), then, when both have as many lines, the same position."""
    pairs: dict[int, PurchaseOrderLine] = {}
    free = list(lines)
    words = {line.id: _words(line.description) for line in lines}
    for index, item in enumerate(items):
        mine = _words(item.description)
        best, score = None, 0.0
        for line in free:
            theirs = words[line.id]
            union = mine | theirs
            overlap = len(mine & theirs) / len(union) if union else 0.0
            if overlap > score:
                best, score = line, overlap
        if best is not None and score >= 0.5:
            pairs[index] = best
            free.remove(best)
    if len(items) == len(lines):
        for index in range(len(items)):
            if index not in pairs and lines[index] in free:
                pairs[index] = lines[index]
                free.remove(lines[index])
    return pairs


def _words(text: str | None) -> set[str]:
    key = supplier_key(text)
    return set(key.split()) if key else set()


def _fmt(value: Decimal) -> str:
    return format(value, "f")
