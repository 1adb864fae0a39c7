"""An extraction's invoices written as rows: one ``invoices`` row per invoice, its JSON object as
extracted. A ``fields`` row is written for a field only once a reviewer corrects or confirms it
(``FieldRecord``): the extracted value and its confidence are in the invoice's JSON already,
and a row per editable scalar (some forty on a one-page invoice, three index entries each) cost
every job about 0.3 ms of CPU on SQLite, their INSERT and the pages its commit writes, for values
rarely edited. Databases written before keep their rows; an uncorrected row holds the value of
the JSON, so both read alike."""

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


# The INSERT built once: the ORM's per-row bookkeeping (and building a statement per call) is
# what this module avoids.
_INVOICES = cast(Table, InvoiceRecord.__table__)
_INSERT_INVOICE = insert(_INVOICES).returning(_INVOICES.c.id)


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


def extracted_field(data: dict[str, Any], path: str) -> FieldRecord:
    """A new ``fields`` row for ``path`` of an invoice's JSON ``data`` as extracted: its value as
    printed in JSON (None when the invoice has no such scalar) and its confidence."""
    value = dict(scalar_paths(data)).get(path)
    evidence = (data.get("evidence") or {}).get(path)
    confidence = evidence.get("confidence") if isinstance(evidence, dict) else None
    return FieldRecord(path=path, value=value, confidence=confidence)


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
