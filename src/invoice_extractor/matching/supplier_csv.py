"""The supplier list as CSV: imported whole or not at all, edited one supplier at a time, and
written back out in the same columns (so an export can be edited and imported again).

Columns (a header line names them, in any order; only ``name`` is required):
``name, vat_id, iban, address, country, account``. Comma or semicolon separated, UTF-8 (a BOM is
allowed). A row matches an existing supplier by its VAT id, else by its name; matched suppliers
take the row's non-empty values, the others are added. Every problem is reported with its line
number, and a file with any problem imports nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InvalidSupplierCsv
from ..export.csv_export import neutralise
from ..ids import is_valid_iban
from ..store.models import Supplier, utcnow
from .suppliers import find, iban_key, listing, name_key, next_account, vat_key

COLUMNS: tuple[str, ...] = ("name", "vat_id", "iban", "address", "country", "account")
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
_MAX_REPORTED = 20
_VAT = re.compile(r"[A-Z]{2}[0-9A-Z]{2,38}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_LIMITS = {"name": 255, "address": 1000}


@dataclass(frozen=True, slots=True)
class ImportResult:
    added: int
    updated: int


def clean(values: Mapping[str, str | None]) -> dict[str, str | int | None]:
    """One supplier's values checked and normalised; ValueError names the first bad one."""
    out: dict[str, str | int | None] = {}
    for column, raw in values.items():
        if column not in COLUMNS:
            raise ValueError(f"unknown column {column!r} (known: {', '.join(COLUMNS)})")
        value = (raw or "").strip()
        if column in _LIMITS and len(value) > _LIMITS[column]:
            raise ValueError(f"{column} is longer than {_LIMITS[column]} characters")
        if not value:
            out[column] = None
        elif column == "vat_id":
            vat = vat_key(value)
            if vat is None or not _VAT.fullmatch(vat):
                raise ValueError(f"vat_id {value!r} is not a VAT id (country prefix and number)")
            out[column] = vat
        elif column == "iban":
            if not is_valid_iban(value):
                raise ValueError(f"iban {value!r} fails its checksum")
            out[column] = iban_key(value)
        elif column == "country":
            if not _COUNTRY.fullmatch(value.upper()):
                raise ValueError(f"country {value!r} is not an ISO 3166 two-letter code")
            out[column] = value.upper()
        elif column == "account":
            if not value.isdigit() or not 1 <= int(value) <= 999_999_999:
                raise ValueError(f"account {value!r} is not a number from 1 to 999999999")
            out[column] = int(value)
        else:
            out[column] = value
    if "name" in values and (out.get("name") is None or name_key(str(out["name"])) is None):
        raise ValueError("name is empty (or nothing but a legal form)")
    return out


def parse(data: bytes) -> list[tuple[int, dict[str, str | int | None]]]:
    """(line number, cleaned values) per row; InvalidSupplierCsv listing every bad line."""
    if len(data) > MAX_BYTES:
        raise InvalidSupplierCsv(f"the supplier CSV is larger than {MAX_BYTES // 1024 // 1024} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidSupplierCsv(f"line {line}: not UTF-8 text; nothing imported") from exc
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    problems: list[str] = []
    rows: list[tuple[int, dict[str, str | int | None]]] = []
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        unknown = [h for h in header if h not in COLUMNS]
        if not header or "name" not in header or unknown or len(set(header)) != len(header):
            raise InvalidSupplierCsv(
                f"line 1: the header must name the columns ({', '.join(COLUMNS)}; name is "
                f"required, each at most once); found {', '.join(header) or 'nothing'}; "
                "nothing imported"
            )
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise InvalidSupplierCsv(f"line {line}: more than {MAX_ROWS} suppliers")
            if len(cells) != len(header):
                problems.append(f"line {line}: {len(cells)} fields, the header has {len(header)}")
                continue
            try:
                rows.append((line, clean(dict(zip(header, cells, strict=True)))))
            except ValueError as exc:
                problems.append(f"line {line}: {exc}")
    except csv.Error as exc:
        problems.append(f"line {reader.line_num}: not valid CSV ({exc})")
    problems.extend(_repeats(rows))
    if problems:
        shown = "; ".join(problems[:_MAX_REPORTED])
        more = (
            f" (and {len(problems) - _MAX_REPORTED} more)" if len(problems) > _MAX_REPORTED else ""
        )
        raise InvalidSupplierCsv(f"supplier CSV refused, nothing imported: {shown}{more}")
    return rows


def _repeats(rows: list[tuple[int, dict[str, str | int | None]]]) -> list[str]:
    seen: dict[tuple[str, object], int] = {}
    problems = []
    for line, values in rows:
        for column in ("vat_id", "account"):
            value = values.get(column)
            if value is None:
                continue
            earlier = seen.setdefault((column, value), line)
            if earlier != line:
                problems.append(f"line {line}: {column} {value} is already on line {earlier}")
    return problems


def import_csv(db: Session, data: bytes) -> ImportResult:
    """Add or update the suppliers of a CSV in the caller's transaction (all or nothing)."""
    added = updated = 0
    problems = []
    for line, values in parse(data):
        name = str(values["name"])
        vat = values.get("vat_id")
        supplier = find(db, str(vat) if vat else None, name_key(name))
        try:
            if supplier is None:
                supplier = Supplier(name=name, source="import", account=0)
                _apply(db, supplier, values)
                db.add(supplier)
                added += 1
            else:
                _apply(db, supplier, {k: v for k, v in values.items() if v is not None})
                supplier.source = "import"
                updated += 1
            db.flush()
        except ValueError as exc:
            problems.append(f"line {line}: {exc}")
    if problems:  # raised inside the caller's transaction: it is rolled back
        raise InvalidSupplierCsv(f"supplier CSV refused, nothing imported: {'; '.join(problems)}")
    return ImportResult(added, updated)


def update(db: Session, supplier_id: int, values: Mapping[str, str | None]) -> Supplier:
    """One supplier edited by a clerk (ValueError names a bad value; LookupError: no such)."""
    supplier = db.get(Supplier, supplier_id)
    if supplier is None:
        raise LookupError(f"no supplier {supplier_id}")
    _apply(db, supplier, clean(values))
    supplier.source = "edit"
    db.flush()
    return supplier


def _apply(db: Session, supplier: Supplier, values: Mapping[str, str | int | None]) -> None:
    if "name" in values and values["name"] is not None:
        supplier.name = str(values["name"])
        supplier.name_key = name_key(supplier.name) or supplier.name_key
    vat = values.get("vat_id")
    taken_vat = select(Supplier.id).where(Supplier.vat_id == vat)
    if vat is not None and vat != supplier.vat_id and db.scalars(taken_vat).first() is not None:
        raise ValueError(f"vat_id {vat} belongs to another supplier")
    account = values.get("account")
    if account is not None and account != supplier.account:
        taken = db.scalars(select(Supplier.id).where(Supplier.account == account)).first()
        if taken is not None and taken != supplier.id:
            raise ValueError(f"account {account} belongs to another supplier")
    for column in ("vat_id", "iban", "address", "country", "account"):
        if column in values:
            setattr(supplier, column, values[column])
    if not supplier.account:
        supplier.account = next_account(db)
    supplier.updated_at = utcnow()


def export_csv(db: Session) -> str:
    """The supplier list in the import's columns, plus invoice_count and last_seen."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*COLUMNS, "invoice_count", "last_seen"])
    for row in listing(db):
        s = row.supplier
        cells = [s.name, s.vat_id, s.iban, s.address, s.country, s.account]
        last = row.last_seen.date().isoformat() if row.last_seen else ""
        writer.writerow([neutralise(c) for c in cells] + [row.invoice_count, last])
    return out.getvalue()
