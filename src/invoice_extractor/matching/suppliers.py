"""The supplier list: built from extracted and corrected invoices, edited, imported from CSV.

A seller is the supplier with its VAT id, else the one with its name (legal form, case, accents
and punctuation ignored). The checks compare an invoice with the supplier it is linked to:
``SUPPLIER-IBAN`` (a known supplier asks to be paid into another account: the classic payment
fraud), ``SUPPLIER-VAT`` (another VAT id than the supplier's, or one failing its checksum) and
``SUPPLIER-NEW`` (a VAT id the list did not know).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, exists, func, insert, select, update
from sqlalchemy.orm import Session

from ..ids import check_vat_id, normalize_iban, normalize_vat_id
from ..model import Invoice
from ..store.models import InvoiceRecord, StoredFile, Supplier, utcnow

FIRST_ACCOUNT = 70001
"""DATEV creditor accounts (SKR03 / SKR04: 70000-99999) are handed out from here; 70000
itself is the collective account of invoices without a supplier (DATEV export)."""

_LEGAL_FORMS = frozenset(
    [
        "gmbh",
        "mbh",
        "ag",
        "kg",
        "ohg",
        "ug",
        "gbr",
        "ek",
        "ev",
        "co",
        "kgaa",
        "se",
        "ltd",
        "limited",
        "plc",
        "llp",
        "llc",
        "inc",
        "corp",
        "corporation",
        "company",
        "sa",
        "sas",
        "sarl",
        "sasu",
        "eurl",
        "snc",
        "sl",
        "slu",
        "srl",
        "spa",
        "sapa",
        "bv",
        "nv",
        "vof",
        "ab",
        "as",
        "oy",
        "aps",
    ]
)
_WORD = re.compile(r"[a-z0-9]+")
_NAME_KEY_MAX = 128


def name_key(name: str | None) -> str | None:
    """``ACME GmbH`` and ``Acme, GmbH.`` -> ``acme``; None when nothing but a legal form is left."""
    if not name:
        return None
    folded = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    plain = plain.replace("&", " ").replace("+", " ")
    words = [w for w in _WORD.findall(plain.replace(".", "")) if w not in _LEGAL_FORMS]
    return "".join(words)[:_NAME_KEY_MAX] or None


def vat_key(vat_id: str | None) -> str | None:
    return normalize_vat_id(vat_id)[:40] or None if vat_id else None


def iban_key(iban: str | None) -> str | None:
    return normalize_iban(iban)[:40] or None if iban else None


@dataclass(frozen=True, slots=True)
class SupplierRow:
    """A supplier as listed: its record and what its invoices say about it."""

    supplier: Supplier
    invoice_count: int
    last_seen: datetime | None

    @property
    def vat_ok(self) -> bool | None:
        """False when the VAT id fails its country's checksum (flagged in the list)."""
        return check_vat_id(self.supplier.vat_id) if self.supplier.vat_id else None

    def to_json(self) -> dict[str, object]:
        s = self.supplier
        return {
            "id": s.id,
            "name": s.name,
            "vat_id": s.vat_id,
            "vat_id_valid": self.vat_ok,
            "iban": s.iban,
            "address": s.address,
            "country": s.country,
            "account": s.account,
            "source": s.source,
            "invoice_count": self.invoice_count,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
        }


# Built once: every new invoice's check runs them.
_BY_VAT = select(Supplier).where(Supplier.vat_id == bindparam("vat"))
_BY_NAME = select(Supplier).where(Supplier.name_key == bindparam("key")).order_by(Supplier.id)
_HIGHEST_ACCOUNT = select(func.max(Supplier.account))


def find(db: Session, vat: str | None, key: str | None) -> Supplier | None:
    """The supplier with this VAT id, else the only one with this name key and no other VAT id."""
    found: Supplier | None = _first(db.scalars, _BY_VAT, _BY_NAME, vat, key)
    return found


def _first(run: Any, by_vat: Any, by_name: Any, vat: str | None, key: str | None) -> Any:
    """The first result of ``by_vat`` for the VAT id, else of ``by_name`` for the name key."""
    if vat:
        found = run(by_vat, {"vat": vat}).first()
        if found is not None:
            return found
    if key:
        return run(by_name, {"key": key}).first()
    return None


def next_account(db: Session | Connection) -> int:
    highest = db.scalar(_HIGHEST_ACCOUNT)
    return max(FIRST_ACCOUNT, (highest or FIRST_ACCOUNT - 1) + 1)


@dataclass(frozen=True, slots=True)
class Linked:
    """The supplier an invoice is linked to, as its checks read it (a row, not an ORM object)."""

    id: int
    name: str
    vat_id: str | None
    iban: str | None
    account: int
    source: str
    invoiced: bool = False  # some stored invoice was linked to it before this one


# The link as Core statements, built once: every new invoice runs them, no ORM object is built.
_TABLE = cast(Table, Supplier.__table__)
_LINKED = select(
    Supplier.id,
    Supplier.name,
    Supplier.vat_id,
    Supplier.iban,
    Supplier.address,
    Supplier.country,
    Supplier.account,
    Supplier.source,
    # Read with the row: whether an invoice is new to the list needs no query of its own.
    exists(select(InvoiceRecord.id).where(InvoiceRecord.supplier_id == Supplier.id)).label(
        "invoiced"
    ),
)
_LINKED_BY_VAT = _LINKED.where(Supplier.vat_id == bindparam("vat"))
_LINKED_BY_NAME = _LINKED.where(Supplier.name_key == bindparam("key")).order_by(Supplier.id)
_INSERT = insert(_TABLE).returning(_TABLE.c.id)


def _linked_row(db: Session | Connection, vat: str | None, key: str | None) -> Any:
    """``find`` as a row of ``_LINKED``'s columns."""
    return _first(db.execute, _LINKED_BY_VAT, _LINKED_BY_NAME, vat, key)


def link(db: Session | Connection, invoice: Invoice) -> tuple[Linked | None, bool]:
    """The invoice's supplier, created from its seller when new; (supplier, created).

    A known supplier only gains what it lacked (VAT id, IBAN, address, country): a different
    IBAN on an invoice never replaces the one on file, it is warned about.
    """
    seller = invoice.seller
    vat, key = vat_key(seller.vat_id), name_key(seller.name)
    row = _linked_row(db, vat, key)
    iban = iban_key(invoice.payment.iban)
    if row is None:
        if not key or not seller.name:
            return None, False
        values: dict[str, Any] = {
            "name": seller.name[:255],
            "name_key": key,
            "vat_id": vat,
            "iban": iban,
            "address": seller.address,
            "country": (seller.country or "")[:2] or None,
            "account": next_account(db),
            "source": "invoice",
        }
        supplier_id = db.execute(_INSERT, values).scalar_one()
        return Linked(supplier_id, values["name"], vat, iban, values["account"], "invoice"), True
    changes: dict[str, Any] = {}
    if row.vat_id is None and vat and _linked_row(db, vat, None) is None:
        changes["vat_id"] = vat
    if row.iban is None and iban:
        changes["iban"] = iban
    if row.address is None and seller.address:
        changes["address"] = seller.address
    if row.country is None and seller.country:
        changes["country"] = seller.country[:2]
    if changes:
        db.execute(
            update(_TABLE).where(_TABLE.c.id == row.id).values(**changes, updated_at=utcnow())
        )
    now = {**row._asdict(), **changes}
    linked = Linked(
        row.id, row.name, now["vat_id"], now["iban"], row.account, row.source, bool(row.invoiced)
    )
    return linked, False


def checks(
    supplier: Linked, invoice: Invoice, created: bool, *, flag_new: bool = True
) -> Iterator[str]:
    """The supplier warnings of one invoice linked to ``supplier`` (``created``: its first)."""
    vat, iban = vat_key(invoice.seller.vat_id), iban_key(invoice.payment.iban)
    if created:
        if vat and flag_new:
            yield (
                f"SUPPLIER-NEW: seller.vat_id {vat}: not in the supplier list; "
                f"added as supplier {supplier.account} {supplier.name}"
            )
    elif iban and supplier.iban and iban != supplier.iban:
        yield (
            f"SUPPLIER-IBAN: payment.iban {iban} is not the IBAN {supplier.iban} on file for "
            f"supplier {supplier.account} {supplier.name}: confirm the change with the supplier "
            "before paying"
        )
    if not created and vat and supplier.vat_id and vat != supplier.vat_id:
        yield (
            f"SUPPLIER-VAT: seller.vat_id {vat} is not the VAT id {supplier.vat_id} on file for "
            f"supplier {supplier.account} {supplier.name}"
        )
    if supplier.vat_id and check_vat_id(supplier.vat_id) is False:
        yield (
            f"SUPPLIER-VAT: seller.vat_id: supplier {supplier.account} {supplier.name} has the "
            f"VAT id {supplier.vat_id}, which fails its checksum"
        )


def listing(db: Session, supplier_id: int | None = None) -> list[SupplierRow]:
    """Every supplier (or one) with its invoice count and when its last invoice came in."""
    stats = (
        select(
            InvoiceRecord.supplier_id,
            func.count(InvoiceRecord.id).label("n"),
            func.max(StoredFile.uploaded_at).label("last"),
        )
        .join(StoredFile, StoredFile.id == InvoiceRecord.file_id)
        .where(InvoiceRecord.supplier_id.is_not(None))
        .group_by(InvoiceRecord.supplier_id)
        .subquery()
    )
    query = (
        select(Supplier, stats.c.n, stats.c.last)
        .outerjoin(stats, stats.c.supplier_id == Supplier.id)
        .order_by(Supplier.name_key, Supplier.id)
    )
    if supplier_id is not None:
        query = query.where(Supplier.id == supplier_id)
    return [SupplierRow(s, n or 0, _utc(last)) for s, n, last in db.execute(query)]


def _utc(value: datetime | None) -> datetime | None:
    from datetime import UTC

    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
