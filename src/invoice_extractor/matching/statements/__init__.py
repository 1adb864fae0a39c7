"""Bank statements: ISO 20022 CAMT.053 XML, SWIFT MT940 and CSV with a column mapping, read
into one list of ``Transaction`` rows. A file is refused whole (``ImportRefused`` naming the
line) when any entry cannot be read, so an import is all of the file or nothing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, AnyStr

from ...errors import ImportRefused
from ..po_import import check_size

CREDIT, DEBIT = "CRDT", "DBIT"
FORMATS = ("camt", "mt940", "csv")


@dataclass(frozen=True, slots=True)
class Transaction:
    line: int  # where the entry starts in the file (1-based)
    booking_date: date
    amount: Decimal  # positive; the direction says which way it went
    currency: str
    direction: str  # CREDIT (money in) | DEBIT (money out)
    counterparty: str | None = None
    counterparty_iban: str | None = None
    reference: str | None = None  # the remittance text (unstructured, or the structured ref)
    creditor_reference: str | None = None  # ISO 11649 RF reference, when the bank gave one


@dataclass(frozen=True, slots=True)
class Statement:
    format: str
    account_iban: str | None
    transactions: list[Transaction]


def line_numbers(text: AnyStr, offsets: Iterable[int]) -> list[int]:
    """The 1-based line of each offset (ascending) in one pass over ``text``."""
    newline: Any = b"\n" if isinstance(text, bytes) else "\n"
    lines, line, at = [], 1, 0
    for offset in offsets:
        line += text.count(newline, at, offset)
        at = offset
        lines.append(line)
    return lines


def sniff(data: bytes) -> str:
    """``camt`` for XML, ``mt940`` for SWIFT tags (:20:, :61:), else ``csv``."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "camt"
    if b":20:" in head and (b":60F:" in data or b":61:" in data):
        return "mt940"
    return "csv"


def parse_statement(
    data: bytes,
    name: str,
    *,
    max_mb: int,
    max_rows: int,
    mapping: bytes | None = None,
    fmt: str | None = None,
) -> Statement:
    check_size(data, name, max_mb)
    kind = fmt or sniff(data)
    if kind not in FORMATS:
        raise ImportRefused(f"unknown statement format {kind!r}; valid: {', '.join(FORMATS)}")
    if mapping is not None and kind != "csv":
        raise ImportRefused(f"{name}: a column mapping is for CSV statements; this is {kind}")
    if kind == "camt":
        from .camt import parse_camt

        statement = parse_camt(data, name, max_rows)
    elif kind == "mt940":
        from .mt940 import parse_mt940

        statement = parse_mt940(data, name, max_rows)
    else:
        from .csv_statement import parse_csv

        statement = parse_csv(data, name, max_rows, mapping)
    if not statement.transactions:
        raise ImportRefused(f"{name}: the statement holds no transactions", file=name)
    return statement
