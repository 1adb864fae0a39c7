"""Purchase orders read from CSV or JSON, checked whole before anything is stored.

CSV: one row per order line, with a header naming the columns ``po_number, supplier, date,
description, quantity, unit_price`` (required) and ``currency, tax_rate, supplier_vat_id``
(optional); the rows of one order share its number, supplier, date and currency. JSON: an array
of orders (or ``{"purchase_orders": [...]}``), each ``{"number", "supplier", "date", "currency",
"supplier_vat_id", "lines": [{"description", "quantity", "unit_price", "tax_rate"}]}``.

Any fault refuses the whole file with ``ImportRefused`` naming the line (CSV) or the order and
field (JSON).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from ..errors import ImportRefused
from .keys import number_key, supplier_key

REQUIRED_COLUMNS = ("po_number", "supplier", "date", "description", "quantity", "unit_price")
OPTIONAL_COLUMNS = ("currency", "tax_rate", "supplier_vat_id")
_MAX_AMOUNT = Decimal("1e12")
_MAX_TEXT = 255


@dataclass(slots=True)
class OrderLine:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal | None = None


@dataclass(slots=True)
class Order:
    number: str
    supplier: str
    order_date: date | None
    currency: str | None = None
    supplier_vat_id: str | None = None
    lines: list[OrderLine] = field(default_factory=list)
    where: str = ""  # "line 4" or "purchase_orders[2]": for messages

    @property
    def net(self) -> Decimal:
        return sum((line.quantity * line.unit_price for line in self.lines), Decimal(0))


def check_size(data: bytes, name: str, max_mb: int) -> None:
    if not data.strip():
        raise ImportRefused(f"{name}: the file is empty", file=name)
    if len(data) > max_mb * 1024 * 1024:
        raise ImportRefused(f"{name}: larger than the {max_mb} MB import limit", file=name)


def decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportRefused(f"{name}: line {line}: not UTF-8 text", file=name) from exc


def parse_orders(data: bytes, name: str, *, max_mb: int, max_rows: int) -> list[Order]:
    """The orders of a CSV or JSON file (told apart by the first character)."""
    check_size(data, name, max_mb)
    text = decode(data, name)
    if text.lstrip()[:1] in ("[", "{"):
        return _from_json(text, name, max_rows)
    return _from_csv(text, name, max_rows)


def _from_csv(text: str, name: str, max_rows: int) -> list[Order]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except (StopIteration, csv.Error) as exc:
        raise ImportRefused(f"{name}: line 1: no CSV header ({exc})", file=name) from exc
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ImportRefused(
            f"{name}: line 1: the header lacks column(s) {', '.join(missing)} "
            f"(required: {', '.join(REQUIRED_COLUMNS)})",
            file=name,
        )
    orders: dict[str, Order] = {}
    rows = 0
    try:
        for row in reader:
            where = f"{name}: line {reader.line_num}"
            if not any(cell.strip() for cell in row):
                continue
            rows += 1
            if rows > max_rows:
                raise ImportRefused(f"{where}: more than {max_rows} lines", file=name)
            if len(row) != len(header):
                raise ImportRefused(
                    f"{where}: {len(row)} cells where the header has {len(header)}", file=name
                )
            cells = dict(zip(header, (c.strip() for c in row), strict=True))
            _add_csv_row(orders, cells, where, name)
    except csv.Error as exc:
        raise ImportRefused(f"{name}: line {reader.line_num}: {exc}", file=name) from exc
    if not orders:
        raise ImportRefused(f"{name}: no purchase-order lines after the header", file=name)
    return list(orders.values())


def _add_csv_row(orders: dict[str, Order], cells: dict[str, str], where: str, name: str) -> None:
    number = _text(cells["po_number"], "po_number", where, name)
    head = Order(
        number=number,
        supplier=_text(cells["supplier"], "supplier", where, name),
        order_date=_date(cells["date"], where, name),
        currency=_currency(cells.get("currency"), where, name),
        supplier_vat_id=cells.get("supplier_vat_id") or None,
        where=where,
    )
    key = _number_key(number, where, name)
    order = orders.setdefault(key, head)
    for attr in ("supplier", "order_date", "currency", "supplier_vat_id"):
        if getattr(order, attr) != getattr(head, attr):
            raise ImportRefused(
                f"{where}: {attr} of {number} differs from its first row ({order.where})",
                file=name,
            )
    order.lines.append(
        OrderLine(
            description=_text(cells["description"], "description", where, name),
            quantity=_number(cells["quantity"], "quantity", where, name),
            unit_price=_number(cells["unit_price"], "unit_price", where, name),
            tax_rate=_number(cells["tax_rate"], "tax_rate", where, name)
            if cells.get("tax_rate")
            else None,
        )
    )


def load_json(text: str, name: str) -> Any:
    """Parsed JSON, or ``ImportRefused`` naming the line and column (or the nesting)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRefused(
            f"{name}: line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})",
            file=name,
        ) from exc
    except RecursionError as exc:  # "[[[[...": nested deeper than the parser goes
        raise ImportRefused(f"{name}: the JSON is nested too deeply", file=name) from exc


def _from_json(text: str, name: str, max_rows: int) -> list[Order]:
    body = load_json(text, name)
    if isinstance(body, dict) and set(body) == {"purchase_orders"}:
        body = body["purchase_orders"]
    if not isinstance(body, list) or not body:
        raise ImportRefused(
            f'{name}: expected a non-empty array of orders (or {{"purchase_orders": [...]}})',
            file=name,
        )
    orders: dict[str, Order] = {}
    rows = 0
    for index, item in enumerate(body):
        where = f"{name}: purchase_orders[{index}]"
        order = _json_order(item, where, name)
        rows += len(order.lines)
        if rows > max_rows:
            raise ImportRefused(f"{where}: more than {max_rows} lines in the file", file=name)
        key = _number_key(order.number, where, name)
        if key in orders:
            raise ImportRefused(
                f"{where}: {order.number} appears twice (also {orders[key].where})", file=name
            )
        orders[key] = order
    return list(orders.values())


_ORDER_KEYS = {"number", "supplier", "date", "currency", "supplier_vat_id", "lines"}
_LINE_KEYS = {"description", "quantity", "unit_price", "tax_rate"}


def _json_order(item: Any, where: str, name: str) -> Order:
    if not isinstance(item, dict):
        raise ImportRefused(f"{where}: an order must be an object", file=name)
    _known(item, _ORDER_KEYS, where, name)
    lines = item.get("lines")
    if not isinstance(lines, list) or not lines:
        raise ImportRefused(f"{where}.lines: an order needs a non-empty list of lines", file=name)
    order = Order(
        number=_text(_scalar(item.get("number"), f"{where}.number", name), "number", where, name),
        supplier=_text(
            _scalar(item.get("supplier"), f"{where}.supplier", name), "supplier", where, name
        ),
        order_date=_date(_scalar(item.get("date"), f"{where}.date", name), where, name),
        currency=_currency(_scalar(item.get("currency"), f"{where}.currency", name), where, name),
        supplier_vat_id=_scalar(item.get("supplier_vat_id"), f"{where}.supplier_vat_id", name)
        or None,
        where=where,
    )
    for n, line in enumerate(lines):
        at = f"{where}.lines[{n}]"
        if not isinstance(line, dict):
            raise ImportRefused(f"{at}: a line must be an object", file=name)
        _known(line, _LINE_KEYS, at, name)
        rate = _scalar(line.get("tax_rate"), f"{at}.tax_rate", name)
        order.lines.append(
            OrderLine(
                description=_text(
                    _scalar(line.get("description"), f"{at}.description", name),
                    "description",
                    at,
                    name,
                ),
                quantity=_number(_scalar(line.get("quantity"), at, name), "quantity", at, name),
                unit_price=_number(
                    _scalar(line.get("unit_price"), at, name), "unit_price", at, name
                ),
                tax_rate=_number(rate, "tax_rate", at, name) if rate else None,
            )
        )
    return order


def _known(item: dict[str, Any], allowed: set[str], where: str, name: str) -> None:
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise ImportRefused(
            f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(allowed))})",
            file=name,
        )


def _scalar(value: Any, where: str, name: str) -> str:
    """A JSON string or number as text ("" for null); objects and lists are refused."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ImportRefused(f"{where}: expected a string or number", file=name)
    return str(value).strip()


def _text(value: str, column: str, where: str, name: str) -> str:
    if not value:
        raise ImportRefused(f"{where}: {column} is empty", file=name)
    if len(value) > _MAX_TEXT and column != "description":
        raise ImportRefused(f"{where}: {column} is longer than {_MAX_TEXT} characters", file=name)
    return value[:2000]


def _number_key(number: str, where: str, name: str) -> str:
    key = number_key(number)
    if key is None:
        raise ImportRefused(f"{where}: po number {number!r} has no letters or digits", file=name)
    return key


def _number(value: str, column: str, where: str, name: str) -> Decimal:
    try:
        number = Decimal(value.replace(" ", ""))
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or abs(number) >= _MAX_AMOUNT:
        raise ImportRefused(f"{where}: {column} {value!r} is not a number", file=name)
    if number < 0:
        raise ImportRefused(f"{where}: {column} {value} is negative", file=name)
    return number


def _date(value: str, where: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ImportRefused(
            f"{where}: date {value!r} is not an ISO date (YYYY-MM-DD)", file=name
        ) from exc


def _currency(value: str | None, where: str, name: str) -> str | None:
    if not value:
        return None
    if len(value) != 3 or not value.isalpha():
        raise ImportRefused(f"{where}: currency {value!r} is not an ISO 4217 code", file=name)
    return value.upper()


def supplier_of(order: Order) -> str:
    return supplier_key(order.supplier) or order.supplier.lower()
