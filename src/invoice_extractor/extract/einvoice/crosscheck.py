"""The printed page against the XML: each value the XML holds is looked up on the pages.

Found: it gets the evidence box (so the review page can highlight XML values too). Not found, while
the visual engine read a different value for the field: a warning, e.g.
``CROSSCHECK: printed total 963,12 differs from XML 963.11``. A field the page does not print
(an XML rendering, a short layout) raises nothing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ...ingest.document import Page
from ...model import DATE_FIELDS, TOTAL_FIELDS, Evidence, Invoice
from ..grounding import PageText

_AMOUNTS = TOTAL_FIELDS
_DATES = DATE_FIELDS
_IDS = ("invoice_number", "po_number", "seller.vat_id", "buyer.vat_id", "payment.iban")
_NAMES = ("seller.name", "buyer.name")  # evidence only: names are printed too freely to warn


def crosscheck(xml: Invoice, visual: Invoice | None, pages: list[Page]) -> Invoice:
    out = xml.model_copy(deep=True)
    text = PageText(pages)
    for path in (*_AMOUNTS, *_DATES, *_IDS, *_NAMES):
        value = out.get_path(path)
        if value is None:
            continue
        evidence = _ground(text, path, value)
        if evidence is not None:
            out.evidence[path] = evidence
            continue
        if path in _NAMES or visual is None:
            continue
        printed = visual.get_path(path)
        if printed is not None and not _same(path, printed, value):
            seen = visual.evidence.get(path)
            shown = seen.text if seen is not None else str(printed)
            warning = f"CROSSCHECK: printed {path} {shown} differs from XML {_fmt(value)}"
            if warning not in out.warnings:
                out.warnings.append(warning)
    return out


def _ground(text: PageText, path: str, value: Any) -> Evidence | None:
    if path in _AMOUNTS and isinstance(value, Decimal):
        return text.amount(value)
    if path in _DATES and isinstance(value, date):
        return text.date(value)
    if path in _NAMES:
        return text.name(str(value))
    return text.identifier(str(value))


def _same(path: str, printed: Any, value: Any) -> bool:
    if path in _IDS:
        # Spaces, case and leading zeros of a number are print style, not a different id.
        def canon(v: Any) -> str:
            return "".join(str(v).split()).upper().lstrip("0")

        return canon(printed) == canon(value)
    return bool(printed == value)


def _fmt(value: Any) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)
