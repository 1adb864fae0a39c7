"""Invoices as the SCHEMA.md JSON array (the CLI's stdout and the API's body are the same text)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..model import Invoice
from .csv_export import Review
from .json_text import dumps_indented


def invoices_to_json(invoices: Sequence[Invoice], reviews: Sequence[Review] | None = None) -> str:
    """A JSON array of the invoices, indented by 2, non-ASCII kept as is (names, €).

    With ``reviews`` (one per invoice), each object also carries ``reviewed``, ``reviewed_at``
    (ISO 8601 or null) and ``corrected_fields`` (the corrected field paths), and the matcher's
    ``po_match``, ``po_matched``, ``payment_status`` and ``paid_on``.
    """
    objects: list[dict[str, Any]] = [inv.to_json_dict() for inv in invoices]
    if reviews is not None:
        for data, review in zip(objects, reviews, strict=True):
            data["reviewed"] = review.reviewed
            data["reviewed_at"] = review.reviewed_at.isoformat() if review.reviewed_at else None
            data["corrected_fields"] = list(review.corrected)
            data["po_match"], data["po_matched"] = review.po_match, review.po_matched
            data["payment_status"], data["paid_on"] = review.payment_status, review.paid_on
    return dumps_indented(objects, indent=2)
