"""Where a corrected value stands on the page: the review highlight follows the value a person
typed (found in the PDF's text layer with the engine's own readers), or there is none.

Scans and photos are not read again here (OCR takes seconds; a save must not): their corrected
fields simply lose the box of the old value.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from ..errors import InvoiceExtractorError
from ..extract.grounding import PageText
from ..ingest.pdf import is_pdf, read_pdf
from ..model import Evidence
from .local_values import field_kind

_IDENTIFIERS = frozenset({"invoice_number", "po_number", "buyer_reference", "vat_id", "tax_id"})
_IDENTIFIERS_TOO = frozenset({"iban", "bic", "country", "currency"})


def corrected_evidence(
    data: bytes, name: str, pages: list[int], values: dict[str, str | None], max_pages: int
) -> dict[str, dict[str, Any] | None]:
    """Evidence (confidence 1.0: a person confirmed the value) of each corrected value found on
    the invoice's pages; None where it is not found."""
    if not is_pdf(data):
        return {}
    try:
        document = read_pdf(data, name, max_pages=max_pages)
    except InvoiceExtractorError:
        return {}
    chosen = [page for page in document.pages if page.number in pages and page.words]
    if not chosen:
        return {}
    text = PageText(chosen)
    found: dict[str, dict[str, Any] | None] = {}
    for path, value in values.items():
        evidence = _lookup(text, path, value) if value else None
        if evidence is not None:
            evidence.confidence = 1.0
        found[path] = None if evidence is None else evidence.model_dump(mode="json")
    return found


def _lookup(text: PageText, path: str, value: str) -> Evidence | None:
    kind = field_kind(path)
    try:
        if kind == "amount":
            return text.amount(Decimal(value))
        if kind == "date":
            return text.date(date.fromisoformat(value))
    except (InvalidOperation, ValueError):
        return None
    key = path.rsplit(".", 1)[-1]
    if key in _IDENTIFIERS or key in _IDENTIFIERS_TOO:
        return text.identifier(value)
    return text.name(value)
