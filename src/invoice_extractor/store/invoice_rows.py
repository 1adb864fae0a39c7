"""An extraction's invoices written as rows: one ``invoices`` row per invoice and one ``fields`` row
per editable scalar, the fields of a job in one bulk INSERT (not one ORM object per field: a result
of a few hundred fields costs one statement, not a few hundred flushed objects)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Table, insert

from ..model import Invoice
from .models import FieldRecord, InvoiceRecord, Job

# What the extraction says about itself, not about the invoice: never edited by a reviewer.
NOT_EDITABLE = frozenset(
    {"evidence", "sources", "warnings", "file", "pages", "status", "extractor", "error"}
    | {"learned_from"}
)


# Core statements on the tables, built once: the ORM's per-row bookkeeping (and building a
# statement per call) is what this module avoids.
_INVOICES = cast(Table, InvoiceRecord.__table__)
_INSERT_INVOICE = insert(_INVOICES).returning(_INVOICES.c.id)
_INSERT_FIELDS = insert(cast(Table, FieldRecord.__table__))
_FIELD_KEYS = ("invoice_id", "path", "value", "confidence")
# On SQLite the same rows go straight to the driver's executemany as tuples: the Core statement
# builds each row's parameters one by one (with the columns' defaults), which cost more than
# the rows' INSERT itself. The defaults are written out here: never corrected, no evidence.
_SQLITE_INSERT_FIELDS = (
    "INSERT INTO fields (invoice_id, path, value, confidence, corrected, is_corrected, evidence) "
    "VALUES (?, ?, ?, ?, NULL, 0, NULL)"
)


@dataclass(slots=True)
class NewInvoice:
    """One invoice of a job about to be stored: what its row will hold, completed by the checks
    that run before its INSERT (``columns``: match keys and supplier; warnings in ``data``), and
    its id once inserted."""

    invoice: Invoice
    position: int
    data: dict[str, Any]
    status: str
    columns: dict[str, Any] = field(default_factory=dict)
    id: int = 0

    @classmethod
    def of(cls, invoices: list[Invoice]) -> list[NewInvoice]:
        return [
            cls(invoice, position, data, invoice.status.value)
            for position, (invoice, data) in enumerate(
                (invoice, invoice.to_json_dict()) for invoice in invoices
            )
        ]


def insert_invoice(db: Connection, job: Job, new: NewInvoice) -> None:
    """The invoice's row (its id set on ``new``)."""
    row = {
        "session_id": job.session_id,
        "file_id": job.file_id,
        "job_id": job.id,
        "position": new.position,
        "data": new.data,
        "status": new.status,
        **new.columns,
    }
    new.id = db.execute(_INSERT_INVOICE, row).scalar_one()


def insert_fields(db: Connection, stored: list[NewInvoice]) -> None:
    """The fields of these inserted invoices, every editable scalar a row, in one statement."""
    rows = [
        (new.id, path, value, _confidence(new.invoice, path))
        for new in stored
        for path, value in scalar_paths(new.data)
    ]
    if not rows:
        return
    if db.dialect.name == "sqlite":
        db.exec_driver_sql(_SQLITE_INSERT_FIELDS, rows)
    else:  # PostgreSQL: SQLAlchemy sends them as one multi-row INSERT
        db.execute(_INSERT_FIELDS, [dict(zip(_FIELD_KEYS, row, strict=True)) for row in rows])


def _confidence(invoice: Invoice, path: str) -> float | None:
    evidence = invoice.evidence.get(path)
    return evidence.confidence if evidence is not None else None


def scalar_paths(data: dict[str, Any], prefix: str = "") -> Iterable[tuple[str, str | None]]:
    """Every editable scalar of the SCHEMA object as (field path, value as printed in JSON)."""
    for key, value in data.items():
        if not prefix and key in NOT_EDITABLE:
            continue
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from scalar_paths(value, path + ".")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    yield from scalar_paths(item, f"{path}.{i}.")
        else:
            yield path, None if value is None else str(value)
