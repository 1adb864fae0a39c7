"""Duplicate invoices across every session of the installation.

An invoice is a duplicate of an earlier one when it comes from the same file (same bytes, same
place in it), or from the same seller with the same invoice number (normalised: case, spaces and
punctuation ignored), or from the same seller on the same date for the same total. A re-saved or
re-scanned copy has other bytes but the same number, or the same date and total, so it is still
found. Each lookup is one indexed query (``files.sha256``, ``invoices.match_number``,
``invoices (match_date, match_total)``); the few rows it returns are compared by seller here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from difflib import SequenceMatcher
from typing import Any

from sqlalchemy import Connection, Row, bindparam, literal, or_, select, union_all
from sqlalchemy.orm import Session

from ..model import Invoice
from ..store.models import DuplicateConfirmation, InvoiceRecord, StoredFile
from .suppliers import iban_key, name_key, vat_key

_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")
_NAME_SIMILARITY = 0.85  # OCR of a re-scan may misread a letter or two of the seller's name
_CENT = Decimal("0.01")


def number_key(number: str | None) -> str | None:
    """``INV 2024/001`` and ``inv-2024-001`` -> ``INV2024001``."""
    if not number:
        return None
    return _NOT_ALNUM.sub("", number.upper())[:64] or None


def total_key(total: Decimal | None) -> str | None:
    if total is None:
        return None
    try:
        return format(total.quantize(_CENT), "f")[:40]
    except InvalidOperation:  # absurd magnitudes: not a usable key
        return None


@dataclass(frozen=True, slots=True)
class Keys:
    """What an invoice is looked up by (its ``invoices.match_*`` columns)."""

    number: str | None
    date: date | None
    total: str | None
    vat: str | None
    name: str | None
    iban: str | None

    @classmethod
    def of(cls, invoice: Invoice) -> Keys:
        return cls(
            number_key(invoice.invoice_number),
            invoice.issue_date,
            total_key(invoice.total),
            vat_key(invoice.seller.vat_id),
            name_key(invoice.seller.name),
            iban_key(invoice.payment.iban),
        )

    @classmethod
    def of_record(cls, row: InvoiceRecord | Row[*tuple[Any, ...]]) -> Keys:
        """Of a stored invoice, or of a row of its ``match_*`` columns."""
        return cls(
            row.match_number,
            row.match_date,
            row.match_total,
            row.match_vat,
            row.match_name,
            row.match_iban,
        )

    def columns(self) -> dict[str, Any]:
        """The ``invoices.match_*`` column values."""
        return {
            "match_number": self.number,
            "match_date": self.date,
            "match_total": self.total,
            "match_vat": self.vat,
            "match_name": self.name,
            "match_iban": self.iban,
        }

    def write(self, row: InvoiceRecord) -> None:
        for column, value in self.columns().items():
            setattr(row, column, value)


def same_seller(a: Keys, b: Keys) -> bool:
    """Both VAT ids known: they decide. Else the IBAN, else the name (near enough for OCR)."""
    if a.vat and b.vat:
        return a.vat == b.vat
    if a.iban and b.iban and a.iban == b.iban:
        return True
    if a.name and b.name:
        return a.name == b.name or SequenceMatcher(None, a.name, b.name).ratio() >= (
            _NAME_SIMILARITY
        )
    return False


_OCR_FOLD = str.maketrans("OQDILSBZG", "001115828")


def numbers_agree(a: str | None, b: str | None) -> bool:
    """Whether two invoice numbers may be one read twice: either is missing, or they are equal
    once the letters OCR confuses with digits are folded (``1NV-2O24-00l`` = ``INV-2024-001``).
    Two clearly different numbers are two invoices, however alike their date and total."""
    return a is None or b is None or a.translate(_OCR_FOLD) == b.translate(_OCR_FOLD)


@dataclass(frozen=True, slots=True)
class Match:
    """Another invoice this one duplicates (or is duplicated by): why, and by which fields."""

    other_id: int
    reason: str  # file | number | date_total
    fields: tuple[str, ...]

    @property
    def description(self) -> str:
        return _REASONS[self.reason]


_REASONS = {
    "file": "the same file",
    "number": "the same seller and invoice number",
    "date_total": "the same seller, date and total",
}
_FIELDS = {
    "file": ("file",),
    "number": ("seller.name", "invoice_number"),
    "date_total": ("seller.name", "issue_date", "total"),
}


# Built once, with parameters (building a statement costs more CPU than running it): each job's
# check runs it. The candidates by each key come in one round trip (a UNION ALL of the three
# indexed lookups, each tagged with its reason); their keys are read as columns, not as whole
# invoices (no JSON parsed).
def _keyed(reason: str) -> Any:
    return select(
        literal(reason).label("reason"),
        InvoiceRecord.id,
        InvoiceRecord.match_number,
        InvoiceRecord.match_date,
        InvoiceRecord.match_total,
        InvoiceRecord.match_vat,
        InvoiceRecord.match_name,
        InvoiceRecord.match_iban,
    ).where(InvoiceRecord.id != bindparam("invoice_id"))


_CANDIDATES = union_all(
    _keyed("file")
    .join(StoredFile, StoredFile.id == InvoiceRecord.file_id)
    .where(
        StoredFile.sha256 == bindparam("sha256"),
        InvoiceRecord.position == bindparam("position"),
    ),
    _keyed("number").where(InvoiceRecord.match_number == bindparam("number")),
    _keyed("date_total").where(
        InvoiceRecord.match_date == bindparam("date"),
        InvoiceRecord.match_total == bindparam("total"),
    ),
)
_CONFIRMED = select(DuplicateConfirmation.invoice_id, DuplicateConfirmation.other_id).where(
    or_(
        DuplicateConfirmation.invoice_id == bindparam("invoice_id"),
        DuplicateConfirmation.other_id == bindparam("invoice_id"),
    )
)
_NOT_STORED = 0  # no invoice has this id: an invoice about to be stored excludes none


def find(db: Session, record: InvoiceRecord, keys: Keys, sha256: str) -> list[Match]:
    """Every other invoice of the installation ``record`` duplicates, by the first reason that
    holds for each, without the pairs a clerk confirmed are not duplicates."""
    found = _found(db, record.id, record.position, keys, sha256)
    confirmed = confirmed_pairs(db, record.id) if found else set()
    return [
        Match(other_id, reason, _FIELDS[reason])
        for other_id, reason in sorted(found.items())
        if other_id not in confirmed
    ]


def find_new(db: Connection, position: int, keys: Keys, sha256: str) -> list[Match]:
    """``find`` for an invoice about to be stored (at ``position`` of a file with ``sha256``):
    no clerk confirmed anything about it yet."""
    found = _found(db, _NOT_STORED, position, keys, sha256)
    return [Match(other_id, reason, _FIELDS[reason]) for other_id, reason in sorted(found.items())]


def _found(
    db: Session | Connection, invoice_id: int, position: int, keys: Keys, sha256: str
) -> dict[int, str]:
    """Other invoice id -> the first reason (file, number, date_total) that holds for it."""
    params = {
        "invoice_id": invoice_id,
        "sha256": sha256,
        "position": position,
        # A key the invoice lacks is NULL: it equals nothing, its lookup finds no row.
        "number": keys.number,
        "date": keys.date if keys.total else None,
        "total": keys.total if keys.date else None,
    }
    by_reason: dict[str, list[Any]] = {reason: [] for reason in _REASONS}
    for row in db.execute(_CANDIDATES, params):
        by_reason[row.reason].append(row)
    found = dict.fromkeys((row.id for row in by_reason["file"]), "file")
    for row in by_reason["number"]:
        if same_seller(keys, Keys.of_record(row)):
            found.setdefault(row.id, "number")
    for row in by_reason["date_total"]:
        theirs = Keys.of_record(row)
        if same_seller(keys, theirs) and numbers_agree(keys.number, theirs.number):
            found.setdefault(row.id, "date_total")
    return found


def confirmed_pairs(db: Session, invoice_id: int) -> set[int]:
    """The invoices a clerk said ``invoice_id`` does not duplicate (either way round)."""
    rows = db.execute(_CONFIRMED, {"invoice_id": invoice_id})
    return {b if a == invoice_id else a for a, b in rows}
