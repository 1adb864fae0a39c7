"""The ``auto`` backend: exact data first, the offline engine next, an LLM only where needed.

- A document with invoice XML: the ``einvoice`` reading, cross-checked against the printed page.
- Otherwise the ``embedded`` engine reads the pages. Only when a key field is missing
  (``KEY_FIELDS``) or the EN 16931 checks fail is the configured LLM asked (``gemini`` when
  ``GEMINI_API_KEY`` is set, else ``openai`` when configured; none: the engine's reading stands).
- The two readings are merged: the one that fails fewer checks is the base, the other fills the
  fields the base lacks. The result's ``extractor`` names both (``embedded+gemini``) and
  ``extract_with_sources`` says which backend gave each field (``{"total": "gemini", ...}``).
- An LLM that fails leaves the engine's reading, with a warning naming the reason.
"""

from __future__ import annotations

from collections.abc import Callable

from ...errors import ConfigurationError, ExtractionError
from ...ingest.document import Document
from ...model import HEADER_FIELDS, Invoice
from ...validate import validate
from .. import registry
from ..base import Extractor
from ..einvoice.backend import invoice_xml
from ..einvoice.crosscheck import crosscheck
from .backend import LlmExtractor
from .grounding import WARNING_PREFIX
from .redact import redact

KEY_FIELDS = ("invoice_number", "issue_date", "seller.name", "total")
LLM_BACKENDS = ("gemini", "openai")  # asked in this order; the first configured one is used
_LISTS = ("tax_lines", "line_items")

Sources = dict[str, str]
"""Field path (a ``HEADER_FIELDS`` entry, ``tax_lines`` or ``line_items``) -> backend name."""


class AutoExtractor:
    name = "auto"

    def __init__(
        self,
        llm: LlmExtractor | None = None,
        *,
        backends: Callable[[str], Extractor] = registry.get,
    ) -> None:
        self._llm = llm
        self._backends = backends

    def score(self, document: Document) -> int | None:
        return 15 if document.pages or document.attachments else None

    def extract(self, document: Document, pages: list[int]) -> Invoice:
        invoice, sources = self.extract_with_sources(document, pages)
        invoice.sources = dict(sources)
        return invoice

    def extract_with_sources(self, document: Document, pages: list[int]) -> tuple[Invoice, Sources]:
        page_objects = [document.pages[n - 1] for n in pages if 0 < n <= len(document.pages)]
        if invoice_xml(document) is not None:
            xml = self._backends("einvoice").extract(document, pages)
            printed = None
            if any(page.words for page in page_objects):
                printed = self._backends("embedded").extract(document, pages)
            invoice = crosscheck(xml, printed, page_objects)
            return invoice, sources_of(invoice)
        embedded = self._backends("embedded").extract(document, pages)
        if not needs_llm(embedded):
            return embedded, sources_of(embedded)
        llm = self._llm or self._configured_llm()
        if llm is None:
            return embedded, sources_of(embedded)
        try:
            answer = llm.read(document, pages)
        except (ExtractionError, ConfigurationError) as exc:
            out = embedded.model_copy(deep=True)
            out.warnings.append(f"auto: {llm.name} not used: {redact(str(exc))}")
            return out, sources_of(out)
        return merge(embedded, answer)

    def _configured_llm(self) -> LlmExtractor | None:
        for name in LLM_BACKENDS:
            backend = self._backends(name)
            if isinstance(backend, LlmExtractor) and backend.configured():
                return backend
        return None


def needs_llm(invoice: Invoice) -> list[str]:
    """Why the reading is not enough: the key fields it lacks and the checks it fails."""
    missing = [f"missing {path}" for path in KEY_FIELDS if invoice.get_path(path) is None]
    return missing + check_failures(invoice)


def check_failures(invoice: Invoice) -> list[str]:
    """The warnings of the EN 16931 checks alone (the reading's own warnings left out)."""
    return validate(invoice.model_copy(update={"warnings": []})).warnings


def sources_of(invoice: Invoice) -> Sources:
    """Every field the invoice holds, attributed to the backend that read it."""
    sources = {
        path: invoice.extractor for path in HEADER_FIELDS if invoice.get_path(path) is not None
    }
    sources.update({name: invoice.extractor for name in _LISTS if getattr(invoice, name)})
    return sources


def merge(embedded: Invoice, llm: Invoice) -> tuple[Invoice, Sources]:
    """One invoice from two readings of the same pages, and the source of each field.

    The reading that fails fewer checks is the base (the engine's on a tie); the other one fills
    the fields the base lacks, bringing their evidence and their "not found on page" warnings.
    """
    base, other = embedded, llm
    failures = len(check_failures(embedded))
    if failures and len(check_failures(llm)) < failures:
        base, other = llm, embedded
    out = base.model_copy(deep=True)
    sources = sources_of(base)
    taken: list[str] = []
    for path in HEADER_FIELDS:
        value = other.get_path(path)
        if out.get_path(path) is None and value is not None:
            parent, _, leaf = path.rpartition(".")
            setattr(out.get_path(parent) if parent else out, leaf, value)
            taken.append(path)
    for name in _LISTS:
        if not getattr(out, name) and getattr(other, name):
            setattr(out, name, [item.model_copy() for item in getattr(other, name)])
            taken.append(name)
    for path in taken:
        sources[path] = other.extractor
        for key, evidence in other.evidence.items():
            if key == path or key.startswith(f"{path}."):
                out.evidence[key] = evidence
        for warning in other.warnings:
            concerns = warning.startswith((f"{WARNING_PREFIX}{path} ", f"{WARNING_PREFIX}{path}."))
            if concerns and warning not in out.warnings:
                out.warnings.append(warning)
    if taken:
        out.extractor = f"{base.extractor}+{other.extractor}"
    return out, sources
