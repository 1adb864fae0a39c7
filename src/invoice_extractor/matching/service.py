"""The matcher's hook: run the duplicate and supplier checks on every new invoice, after the
EN 16931 checks, once the job runner has stored it; and again when a reviewer corrects it or
confirms it is not a duplicate.

The warnings are written into the stored invoice (``data.warnings``, status ``needs_review``), so
every page, API answer and export shows them as it shows the other checks'. A duplicate warning
sits on the later invoice of a pair and names the earlier one. The checks of the installation run
one at a time (a PostgreSQL advisory lock; SQLite's write lock), so two copies of one invoice
processed at the same moment by two workers still find each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, text
from sqlalchemy.orm import Session

from ..errors import BadRequest, NotFound
from ..model import Invoice, Status
from ..store.invoice_rows import NewInvoice
from ..store.models import (
    DuplicateConfirmation,
    FieldRecord,
    InvoiceRecord,
    ReviewSession,
    StoredFile,
    Supplier,
)
from ..store.repository import Store
from ..validate import MATCH_RULES
from . import duplicates, suppliers
from .duplicates import Keys, Match
from .suppliers import Linked

# The matcher's advisory lock (the migrations use key 774411).
_LOCK = text("SELECT pg_advisory_xact_lock(774412)")
_ALL_PREFIXES = tuple(f"{code}:" for code, _ in MATCH_RULES)
_DUPLICATE = "DUPLICATE:"


def lock(db: Session | Connection, store: Store) -> None:
    """The checks of the installation run one at a time (held to the transaction's end)."""
    if not store.db.is_sqlite:
        db.execute(_LOCK)


def check_new(db: Connection, store: Store, session_id: str, sha256: str, new: NewInvoice) -> None:
    """The checks of an invoice about to be stored (after ``lock``), as Core statements: its
    keys and supplier go into its row, its warnings into its data. Every stored invoice is
    earlier than it: only the warning on this one is written, none other changes."""
    invoice = new.invoice
    if invoice.status is Status.FAILED:
        return
    supplier, created = suppliers.link(db, invoice)
    keys = Keys.of(invoice)
    new.columns.update(keys.columns(), supplier_id=supplier.id if supplier else None)
    found: list[str] = []
    if supplier is not None:
        first = created or _is_first(db, supplier, None)
        flag_new = store.settings.match_new_suppliers
        found.extend(suppliers.checks(supplier, invoice, first, flag_new=flag_new))
    matches = duplicates.find_new(db, new.position, keys, sha256)
    found.extend(_warning(db, match, session_id) for match in matches)
    _replace(new, _ALL_PREFIXES, found)


def recheck(store: Store, session_id: str, invoice_id: int) -> None:
    """The checks again, on the values the user now sees (after a correction)."""
    view = store.invoice(session_id, invoice_id)
    with store.db.session() as db:
        record = db.get(InvoiceRecord, view.id)
        if record is not None:
            _check(db, store, [(record, view.invoice)])


def _check(db: Session, store: Store, stored: Sequence[tuple[InvoiceRecord, Invoice]]) -> None:
    lock(db, store)
    for record, invoice in stored:
        if invoice.status is not Status.FAILED:
            _check_one(db, record, invoice, store.settings.match_new_suppliers)


def _check_one(db: Session, record: InvoiceRecord, invoice: Invoice, flag_new: bool) -> None:
    sha256 = _sha256(db, record)
    old_keys = Keys.of_record(record)
    # A recheck: the later invoices that matched the old values may match no more.
    before = (
        {m.other_id for m in duplicates.find(db, record, old_keys, sha256)}
        if any((old_keys.number, old_keys.date, old_keys.name, old_keys.vat))
        else set()
    )
    previous = record.supplier_id
    supplier, created = suppliers.link(db, invoice)
    # The keys and the supplier after the supplier lookup: one UPDATE of the invoice, not an
    # autoflush of the keys by that lookup and a second UPDATE for the supplier.
    keys = Keys.of(invoice)
    keys.write(record)
    record.supplier_id = supplier.id if supplier is not None else None
    db.flush()
    found: list[str] = []
    if supplier is not None:
        first = created or _is_first(db, supplier, record.id)
        found.extend(suppliers.checks(supplier, invoice, first, flag_new=flag_new))
    matches = duplicates.find(db, record, keys, sha256)
    found.extend(_warning(db, m, record.session_id) for m in matches if m.other_id < record.id)
    _replace(record, _ALL_PREFIXES, found)
    # The later invoice of a pair carries the warning: refresh those this one's keys concern.
    after = {m.other_id for m in matches}
    for other_id in sorted(i for i in before | after if i > record.id):
        other = db.get(InvoiceRecord, other_id)
        if other is not None:
            _replace(other, (_DUPLICATE,), _duplicate_warnings(db, other, _sha256(db, other)))
    if previous is not None and previous != record.supplier_id:
        _drop_if_unused(db, previous)


def _duplicate_warnings(db: Session, record: InvoiceRecord, sha256: str) -> list[str]:
    keys = Keys.of_record(record)
    return [
        _warning(db, match, record.session_id)
        for match in duplicates.find(db, record, keys, sha256)
        if match.other_id < record.id
    ]


def _warning(db: Session | Connection, match: Match, session_id: str) -> str:
    """The warning names the earlier invoice; one of another session (maybe another owner's) only
    by its id, its date and its session's date: the text is stored, whoever reads it later."""
    other = _described(db, match.other_id)
    if other.session_id == session_id:
        label, where = other.label, "in this session"
    else:
        label = f"of {other.issue_date.isoformat()}" if other.issue_date else "undated"
        where = f"in another session (created {other.session_created:%Y-%m-%d})"
    return (
        f"DUPLICATE: {', '.join(match.fields)}: {match.description} as invoice "
        f"#{match.other_id} ({label}, uploaded {other.uploaded:%Y-%m-%d} {where})"
    )


@dataclass(frozen=True, slots=True)
class _Other:
    session_id: str
    session_created: datetime
    uploaded: datetime
    number: str | None
    issue_date: date | None
    total: str | None
    seller: str | None

    @property
    def label(self) -> str:
        number = self.number or "no number"
        return f"{number} of {self.issue_date.isoformat()}" if self.issue_date else number


# The statements every check runs, built once (building one costs more CPU than running it).
_DESCRIBED = (
    select(
        InvoiceRecord.session_id,
        InvoiceRecord.match_date,
        InvoiceRecord.match_total,
        StoredFile.uploaded_at,
        ReviewSession.created_at,
        # As extracted (the database reads them out of the JSON); a correction's row overrides.
        InvoiceRecord.data["invoice_number"].as_string().label("invoice_number"),
        InvoiceRecord.data[("seller", "name")].as_string().label("seller_name"),
    )
    .join(StoredFile, StoredFile.id == InvoiceRecord.file_id)
    .join(ReviewSession, ReviewSession.id == InvoiceRecord.session_id)
    .where(InvoiceRecord.id == bindparam("invoice_id"))
)
_CORRECTED_ROWS = select(FieldRecord.path, FieldRecord.corrected).where(
    FieldRecord.invoice_id == bindparam("invoice_id"),
    FieldRecord.path.in_(bindparam("paths", expanding=True)),
    FieldRecord.is_corrected,
)
_FILE_SHA256 = select(StoredFile.sha256).where(StoredFile.id == bindparam("file_id"))
_FIRST_INVOICE = select(func.min(InvoiceRecord.id)).where(
    InvoiceRecord.supplier_id == bindparam("supplier_id")
)


def _described(db: Session | Connection, invoice_id: int) -> _Other:
    row = db.execute(_DESCRIBED, {"invoice_id": invoice_id}).one()
    values = {"invoice_number": row.invoice_number, "seller.name": row.seller_name}
    values.update(_corrected(db, invoice_id, *values))
    return _Other(
        row.session_id,
        row.created_at,
        row.uploaded_at,
        values.get("invoice_number"),
        row.match_date,
        row.match_total,
        values.get("seller.name"),
    )


def _corrected(db: Session | Connection, invoice_id: int, *paths: str) -> dict[str, str | None]:
    """The corrected values among these fields (a field has a row once corrected or confirmed;
    a confirmed one holds the value as extracted), in one query."""
    rows = db.execute(_CORRECTED_ROWS, {"invoice_id": invoice_id, "paths": list(paths)})
    return {row.path: row.corrected for row in rows}


def _replace(
    record: InvoiceRecord | NewInvoice, prefixes: tuple[str, ...], new: Iterable[str]
) -> None:
    """Swap the warnings starting with ``prefixes`` for ``new``; the status follows."""
    data: dict[str, Any] = dict(record.data)
    kept = [w for w in data.get("warnings") or [] if not str(w).startswith(prefixes)]
    warnings = kept + [w for w in dict.fromkeys(new) if w not in kept]
    if warnings == data.get("warnings"):
        return
    data["warnings"] = warnings
    if data.get("status") != Status.FAILED.value:
        data["status"] = (Status.NEEDS_REVIEW if warnings else Status.OK).value
    record.data = data
    record.status = str(data["status"])


def _sha256(db: Session, record: InvoiceRecord) -> str:
    return db.scalar(_FILE_SHA256, {"file_id": record.file_id}) or ""


def _is_first(db: Session | Connection, supplier: Linked, invoice_id: int | None) -> bool:
    """Whether this invoice (``invoice_id``; None: about to be stored, so later than every
    stored one) brought the supplier into the list (its first invoice)."""
    if supplier.source != "invoice":
        return False
    if invoice_id is None:  # later than every stored one: first if none was linked before
        return not supplier.invoiced
    first = db.scalar(_FIRST_INVOICE, {"supplier_id": supplier.id})
    return first is None or first >= invoice_id


def _drop_if_unused(db: Session, supplier_id: int) -> None:
    """A supplier made from a misread seller goes once its only invoice is corrected away."""
    supplier = db.get(Supplier, supplier_id)
    if supplier is None or supplier.source != "invoice":
        return
    used = db.scalar(select(func.count()).where(InvoiceRecord.supplier_id == supplier_id))
    if not used:
        db.delete(supplier)


# -- what the web app and the CLI ask ---------------------------------------------------------


def confirm_not_duplicate(
    store: Store, session_id: str, invoice_id: int, author: str, other_id: int | None = None
) -> None:
    """The clerk's "not a duplicate": of ``other_id``, or of every invoice it now matches."""
    view = store.invoice(session_id, invoice_id)
    with store.db.session() as db:
        record = db.get(InvoiceRecord, invoice_id)
        assert record is not None
        matches = duplicates.find(db, record, Keys.of_record(record), _sha256(db, record))
        others = [m.other_id for m in matches]
        if other_id is not None:
            if other_id not in others:
                raise BadRequest(
                    f"invoice {invoice_id} is not flagged as a duplicate of {other_id}"
                )
            others = [other_id]
        for other in others:
            db.add(DuplicateConfirmation(invoice_id=invoice_id, other_id=other, author=author))
        db.flush()
        _check(db, store, [(record, view.invoice)])
    for other in others:
        _refresh_other(store, other)


def _refresh_other(store: Store, invoice_id: int) -> None:
    with store.db.session() as db:
        record = db.get(InvoiceRecord, invoice_id)
        if record is not None:
            _replace(record, (_DUPLICATE,), _duplicate_warnings(db, record, _sha256(db, record)))


def matches(
    store: Store, session_id: str, invoice_id: int, owns: Iterable[str]
) -> list[dict[str, Any]]:
    """The invoices this one duplicates or is duplicated by, for the viewer: a link where the
    viewer owns the other session (``owns``: the session ids it owns), else its date only."""
    store.invoice(session_id, invoice_id)  # NotFound unless the viewer's
    owned = set(owns)
    with store.db.session() as db:
        record = db.get(InvoiceRecord, invoice_id)
        if record is None:
            raise NotFound("no such invoice")
        found = duplicates.find(db, record, Keys.of_record(record), _sha256(db, record))
        result = []
        for match in found:
            other = _described(db, match.other_id)
            mine = other.session_id in owned or other.session_id == session_id
            result.append(
                {
                    "invoice_id": match.other_id,
                    "relation": "earlier" if match.other_id < invoice_id else "later",
                    "reason": match.reason,
                    "fields": list(match.fields),
                    # Another owner's invoice: its dates only, never its contents.
                    "invoice_number": other.number if mine else None,
                    "issue_date": other.issue_date.isoformat() if other.issue_date else None,
                    "total": other.total if mine else None,
                    "seller": other.seller if mine else None,
                    "uploaded_at": other.uploaded.isoformat(),
                    "session_created_at": other.session_created.isoformat(),
                    "same_session": other.session_id == session_id,
                    "session_id": other.session_id if mine else None,
                }
            )
        return result


def supplier_accounts(store: Store, invoice_ids: Sequence[int]) -> list[int | None]:
    """The DATEV creditor account of each invoice's supplier (None: not linked to one)."""
    with store.db.session() as db:
        rows = db.execute(
            select(InvoiceRecord.id, Supplier.account)
            .join(Supplier, Supplier.id == InvoiceRecord.supplier_id)
            .where(InvoiceRecord.id.in_(invoice_ids))
        )
        accounts: dict[int, int] = {invoice_id: account for invoice_id, account in rows}
    return [accounts.get(i) for i in invoice_ids]
