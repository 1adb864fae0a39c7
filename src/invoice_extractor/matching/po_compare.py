"""The two-way comparison of an invoice with its purchase order: line pairing, price and
quantity tolerances, the match status and the ``PO-MISMATCH`` warnings (``purchase_orders``
finds the order and records the result)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from ..model import Invoice, LineItem
from ..settings import Settings
from ..store.matching_tables import PurchaseOrder, PurchaseOrderLine
from .keys import from_cents, supplier_key

MATCHED, PARTIAL, OVER, NO_PO = "matched", "partial", "over_invoiced", "no_po"
CODE = "PO-MISMATCH"
_PREFIX = f"{CODE}:"
_HUNDRED = Decimal(100)


def net_amount(invoice: Invoice) -> Decimal | None:
    if invoice.tax_exclusive_total is not None:
        return invoice.tax_exclusive_total
    if invoice.subtotal is not None:
        return invoice.subtotal
    if invoice.total is not None and invoice.tax_total is not None:
        return invoice.total - invoice.tax_total
    return None


def compare(
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
    ordered = from_cents(order.net_cents)
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
