"""An extraction's invoices written as rows: one ``invoices`` row per invoice and one ``fields`` row
per editable scalar, in two bulk INSERTs (not one ORM object per field: a result of a few hundred
fields costs two statements, not a few hundred flushed objects)."""

from __future__ import annotations

from collections.abc import Iterable
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
_INSERT_INVOICES = insert(_INVOICES).returning(_INVOICES.c.id, sort_by_parameter_order=True)
_INSERT_FIELDS = insert(cast(Table, FieldRecord.__table__))


def insert_invoices(db: Connection, job: Job, invoices: list[Invoice]) -> None:
    """The job's invoices and their fields, in order (``position``)."""
    if not invoices:
        return
    datas = [invoice.to_json_dict() for invoice in invoices]
    rows = [
        {
            "session_id": job.session_id,
            "file_id": job.file_id,
            "job_id": job.id,
            "position": position,
            "data": data,
            "status": invoice.status.value,
        }
        for position, (invoice, data) in enumerate(zip(invoices, datas, strict=True))
    ]
    ids = db.scalars(_INSERT_INVOICES, rows).all()
    fields = [
        {
            "invoice_id": invoice_id,
            "path": path,
            "value": value,
            "confidence": _confidence(invoice, path),
        }
        for invoice_id, invoice, data in zip(ids, invoices, datas, strict=True)
        for path, value in scalar_paths(data)
    ]
    if fields:
        db.execute(_INSERT_FIELDS, fields)


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
