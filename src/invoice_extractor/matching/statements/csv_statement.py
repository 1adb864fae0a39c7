"""Bank statements as CSV, read through a column mapping (JSON; docs/matching.md).

The mapping names the header's columns for ``date`` and ``amount`` (required) and ``currency``,
``reference`` (one column or a list, joined), ``iban``, ``name`` and ``direction`` (optional),
and may set ``delimiter``, ``decimal``, ``thousands``, ``date_format`` (strptime), ``currency``
(when no column has it), ``debit_values`` (the ``direction`` cells meaning money out) and
``skip_rows`` (lines before the header). Without a ``direction`` column a negative amount is money
out. Without a mapping the header must use the key names themselves.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ...errors import ImportRefused
from ..keys import creditor_reference, iban_key
from ..po_import import decode, load_json
from . import CREDIT, DEBIT, Statement, Transaction

_COLUMNS = ("date", "amount", "currency", "reference", "iban", "name", "direction")
_REQUIRED = ("date", "amount")
_OPTIONS = {
    "columns",
    "delimiter",
    "decimal",
    "thousands",
    "date_format",
    "currency",
    "debit_values",
    "skip_rows",
}
_MAX_MAPPING = 64 * 1024


@dataclass(slots=True)
class Mapping:
    columns: dict[str, list[str]]
    delimiter: str | None = None
    decimal: str = "."
    thousands: str = ""
    date_format: str | None = None
    currency: str | None = None
    debit_values: set[str] = field(default_factory=lambda: {"D", "DBIT", "DEBIT", "S", "SOLL"})
    skip_rows: int = 0
    implicit: bool = False  # no mapping given: the fields' own names, those present


def parse_mapping(raw: bytes | None) -> Mapping:
    """The mapping file, checked: every fault is named (``mapping: ...``)."""
    if raw is None:
        return Mapping(columns={name: [name] for name in _COLUMNS}, implicit=True)
    if len(raw) > _MAX_MAPPING:
        raise ImportRefused("mapping: larger than 64 KB")
    body: Any = load_json(decode(raw, "mapping"), "mapping")
    if not isinstance(body, dict):
        raise ImportRefused('mapping: expected a JSON object {"columns": {...}, ...}')
    unknown = sorted(set(body) - _OPTIONS)
    if unknown:
        raise ImportRefused(
            f"mapping: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_OPTIONS))})"
        )
    columns = body.get("columns")
    if not isinstance(columns, dict):
        raise ImportRefused("mapping: columns must be an object naming the header's columns")
    bad = sorted(set(columns) - set(_COLUMNS))
    if bad:
        raise ImportRefused(
            f"mapping: columns.{bad[0]} is not a known field (known: {', '.join(_COLUMNS)})"
        )
    named: dict[str, list[str]] = {}
    for key, value in columns.items():
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise ImportRefused(f"mapping: columns.{key} must be a column name or a list of them")
        named[key] = names
    missing = [k for k in _REQUIRED if k not in named]
    if missing:
        raise ImportRefused(f"mapping: columns lacks {', '.join(missing)} (required)")
    mapping = Mapping(columns=named)
    for key in ("delimiter", "decimal", "thousands"):
        value = body.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > 1):
            raise ImportRefused(f"mapping: {key} must be one character")
        if value is not None:
            setattr(mapping, key, value)
    for key in ("date_format", "currency"):
        value = body.get(key)
        if value is not None and not isinstance(value, str):
            raise ImportRefused(f"mapping: {key} must be a string")
        setattr(mapping, key, value)
    if mapping.currency is not None and len(mapping.currency) != 3:
        raise ImportRefused(f"mapping: currency {mapping.currency!r} is not an ISO 4217 code")
    debit = body.get("debit_values")
    if debit is not None:
        if not isinstance(debit, list) or not all(isinstance(v, str) for v in debit):
            raise ImportRefused("mapping: debit_values must be a list of strings")
        mapping.debit_values = {v.strip().upper() for v in debit}
    skip = body.get("skip_rows", 0)
    if not isinstance(skip, int) or isinstance(skip, bool) or not 0 <= skip <= 100:
        raise ImportRefused("mapping: skip_rows must be a whole number from 0 to 100")
    mapping.skip_rows = skip
    return mapping


def parse_csv(data: bytes, name: str, max_rows: int, raw_mapping: bytes | None) -> Statement:
    mapping = parse_mapping(raw_mapping)
    lines = decode(data, name).splitlines(keepends=True)
    body = "".join(lines[mapping.skip_rows :])
    delimiter = mapping.delimiter or _guess_delimiter(
        lines[mapping.skip_rows : mapping.skip_rows + 1]
    )
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
    offset = mapping.skip_rows
    try:
        header = [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error) as exc:
        raise ImportRefused(f"{name}: line {offset + 1}: no CSV header", file=name) from exc
    index = _column_index(header, mapping, f"{name}: line {offset + 1}")
    transactions: list[Transaction] = []
    try:
        for row in reader:
            line = offset + reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(transactions) >= max_rows:
                raise ImportRefused(f"{name}: line {line}: more than {max_rows} transactions")
            if len(row) < len(header):
                raise ImportRefused(
                    f"{name}: line {line}: {len(row)} cells where the header has {len(header)}"
                )
            transactions.append(_row(row, index, mapping, line, f"{name}: line {line}"))
    except csv.Error as exc:
        raise ImportRefused(f"{name}: line {offset + reader.line_num}: {exc}") from exc
    return Statement("csv", None, transactions)


def _guess_delimiter(first: list[str]) -> str:
    head = first[0] if first else ""
    return max((";", ",", "\t", "|"), key=head.count)


def _column_index(header: list[str], mapping: Mapping, where: str) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    folded = {h.lower(): i for i, h in enumerate(header)}
    for key, names in mapping.columns.items():
        found = []
        for column in names:
            at = folded.get(column.strip().lower())
            if at is None and mapping.implicit and key not in _REQUIRED:
                continue
            if at is None:
                raise ImportRefused(
                    f"{where}: mapping column {column!r} ({key}) is not in the header "
                    f"({', '.join(header)})"
                )
            found.append(at)
        if found:
            index[key] = found
    return index


def _row(
    row: list[str], index: dict[str, list[int]], mapping: Mapping, line: int, where: str
) -> Transaction:
    def cell(key: str) -> str:
        return " ".join(row[i].strip() for i in index.get(key, []) if row[i].strip())

    amount = _amount(cell("amount"), mapping, where)
    direction = DEBIT if amount < 0 else CREDIT
    if "direction" in index:
        mark = cell("direction").upper()
        direction = DEBIT if mark in mapping.debit_values else CREDIT
    currency = (cell("currency") or mapping.currency or "").upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ImportRefused(
            f"{where}: currency {currency!r} is not an ISO 4217 code (map a currency column or "
            "set the mapping's currency)"
        )
    reference = cell("reference") or None
    return Transaction(
        line=line,
        booking_date=_date(cell("date"), mapping, where),
        amount=abs(amount),
        currency=currency,
        direction=direction,
        counterparty=cell("name")[:255] or None,
        counterparty_iban=iban_key(cell("iban")),
        reference=reference[:2000] if reference else None,
        creditor_reference=creditor_reference(reference),
    )


def _amount(raw: str, mapping: Mapping, where: str) -> Decimal:
    text = raw.replace(" ", "").replace("\u00a0", "")
    if mapping.thousands:
        text = text.replace(mapping.thousands, "")
    if mapping.decimal != ".":
        text = text.replace(".", "").replace(mapping.decimal, ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or abs(value) >= Decimal("1e13"):
        raise ImportRefused(f"{where}: amount {raw!r} is not a number")
    return value


def _date(raw: str, mapping: Mapping, where: str) -> date:
    try:
        if mapping.date_format:
            return datetime.strptime(raw, mapping.date_format).date()
        return date.fromisoformat(raw)
    except ValueError as exc:
        expected = mapping.date_format or "YYYY-MM-DD"
        raise ImportRefused(f"{where}: date {raw!r} does not match {expected}") from exc
