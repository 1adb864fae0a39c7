"""Words no single language owns: codes, standards and the legal forms of countries without a
lexicon of their own, met on invoices in any language."""

from __future__ import annotations

LABELS: dict[str, tuple[str, ...]] = {
    # Stylesheet and version lines of generated PDFs print dates and ids that are no values.
    "not_a_value": (r"stylesheet.*", r"version.*"),
}
CREDIT_TITLES = (r"\(381\)",)  # UNTDID 1001 document type code of a credit note
LEGAL_FORMS = (r"ab", r"as", r"a/s", r"oy", r"sp\.\s?z\s?o\.o\.")
TABLE_HEADINGS: dict[str, tuple[str, ...]] = {"code": ("gtin", "ean")}
