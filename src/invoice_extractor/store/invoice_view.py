"""An invoice as the user sees it: its stored JSON with the corrections applied and the checks
re-run on them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..model import Invoice
from ..validate import strip_check_warnings, validate
from .corrections import set_path
from .models import InvoiceRecord
from .review_facts import review_facts


@dataclass(frozen=True, slots=True)
class InvoiceView:
    """An invoice as the user sees it: corrected values applied, checks re-run."""

    id: int
    file_id: int
    reviewed: bool
    corrected: tuple[str, ...]
    invoice: Invoice
    reviewed_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        data = self.invoice.to_json_dict()
        data.update(id=self.id, file_id=self.file_id, reviewed=self.reviewed)
        data["corrected_fields"] = list(self.corrected)
        data.update(review_facts(self.invoice, self.reviewed, self.reviewed_at))
        return data


def corrected_data(record: InvoiceRecord) -> dict[str, Any]:
    data: dict[str, Any] = _deep_copy(record.data)
    evidence = data.get("evidence") or {}
    for row in record.fields:
        if row.is_corrected:
            set_path(data, row.path, row.corrected)
            if row.corrected != row.value:  # the new value's own box, if found, not the old one
                evidence.pop(row.path, None)
                if row.evidence:
                    evidence[row.path] = row.evidence
            elif isinstance(evidence.get(row.path), dict):
                evidence[row.path]["confidence"] = 1.0  # a person confirmed it
    if record.reviewed:  # marked reviewed: a person confirmed every value as it stands
        for item in evidence.values():
            if isinstance(item, dict):
                item["confidence"] = 1.0
    return data


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


def view(record: InvoiceRecord) -> InvoiceView:
    data = corrected_data(record)
    invoice = Invoice.model_validate(data)
    # A value entered as it was read is confirmed, not corrected.
    corrected = tuple(r.path for r in record.fields if r.is_corrected and r.corrected != r.value)
    if any(r.is_corrected for r in record.fields) or record.reviewed:
        # The checks speak about the values the user sees (and confirmed): rerun them, so a
        # reviewed invoice is no longer uncertain and its status says what the checks still find.
        invoice = validate(strip_check_warnings(invoice))
    return InvoiceView(
        record.id, record.file_id, record.reviewed, corrected, invoice, record.reviewed_at
    )
