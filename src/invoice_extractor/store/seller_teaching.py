"""A reviewer's edit taught to the seller memory: corrected fields, and on "reviewed" every
remaining value as confirmed.

The stored upload is read again and the engine's candidates generated on its pages; what the
edit confirmed is then located on the page (``extract/embedded/seller_teach.py``). A value the
page does not print teaches nothing, and withdraws what the same invoice taught before.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from ..errors import InvoiceExtractorError
from ..extract.embedded.seller_teach import IDENTITY_FIELDS, TAUGHT_FIELDS, lesson_from
from ..ingest.loader import load_bytes
from ..model import Invoice
from .invoice_view import InvoiceView
from .models import InvoiceRecord
from .repository import Store

log = logging.getLogger(__name__)


def edit_and_learn(
    store: Store,
    session_id: str,
    invoice_id: int,
    changes: dict[str, str | None],
    author: str,
    reviewed: bool | None = None,
) -> tuple[InvoiceView, list[str]]:
    """``Store.edit``, then the seller memory taught what it confirmed: the fields learned."""
    view = store.edit(session_id, invoice_id, changes, author, reviewed)
    if not store.settings.seller_memory:
        return view, []
    confirmed = {p: view.invoice.get_path(p) for p in changes if p in TAUGHT_FIELDS}
    if reviewed:
        confirmed.update({p: view.invoice.get_path(p) for p in TAUGHT_FIELDS if p not in changes})
    if not confirmed:
        return view, []
    try:
        return view, teach(store, session_id, view, confirmed, corrected=set(changes))
    except Exception:  # the edit is saved: a memory that cannot learn must not fail it
        log.exception("seller memory: could not learn from invoice %s", invoice_id)
        return view, []


def teach(
    store: Store,
    session_id: str,
    view: InvoiceView,
    confirmed: dict[str, Any],
    *,
    corrected: set[str],
) -> list[str]:
    with store.db.session() as db:
        record = db.get(InvoiceRecord, view.id)
        extracted = Invoice.model_validate(record.data) if record is not None else None
    if extracted is None or extracted.status.value == "failed":
        return []
    stored = store.file(session_id, view.file_id)
    settings = store.settings
    try:
        document = load_bytes(
            store.blobs.get(stored.sha256),
            stored.name,
            max_pages=settings.max_pages,
            max_bytes=settings.max_file_mb * 1024 * 1024,
            ocr_engine=settings.ocr_engine,
        )
    except InvoiceExtractorError:
        return []  # the upload no longer reads (or never did): nothing to learn from
    pages = [n for n in view.invoice.pages if 1 <= n <= len(document.pages)]
    if not pages:
        return []
    lesson = lesson_from(
        document,
        pages,
        confirmed,
        origin="review",
        taught_at=datetime.now(UTC).date().isoformat(),
        taught_by=f"invoice:{view.id}",
        chosen=extracted,
        # Who the seller is, as the clerk sees it: its name and ids, corrected or not.
        identity={p: view.invoice.get_path(p) for p in IDENTITY_FIELDS},
    )
    fields = {
        p: replace(f, origin="correction") if p in corrected else f
        for p, f in lesson.fields.items()
    }
    store.sellers.remember(replace(lesson, fields=fields))
    return sorted(fields)
