"""What the review page and the API add to a stored invoice: its warnings as findings (code,
fields, sentence), the fields below the engine's review threshold, and its review state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..findings import explain
from ..model import Invoice
from ..validate import review_threshold, uncertain_fields

_TOP_LEVEL = frozenset(Invoice.model_fields)


def review_facts(invoice: Invoice, reviewed: bool, reviewed_at: datetime | None) -> dict[str, Any]:
    return {
        "reviewed_at": reviewed_at.isoformat() if reviewed_at is not None else None,
        # SCHEMA.md's status stays ok | needs_review | failed; this says what a clerk sees.
        "review_state": "reviewed" if reviewed else invoice.status.value,
        "review_threshold": review_threshold(),
        "to_check": [{"path": p, "confidence": c} for p, c in uncertain_fields(invoice)],
        "checks": [explain(w, _TOP_LEVEL).to_json() for w in invoice.warnings],
    }
