"""The one interface every extraction backend answers (embedded, einvoice, gemini, openai, ...)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..ingest.document import Document
from ..model import Invoice


@runtime_checkable
class Extractor(Protocol):
    """A backend that turns (some pages of) a document into an invoice.

    ``score`` says how well the backend fits a document: the highest score wins in automatic
    mode and ``None`` declines (paperless-ngx's parser ``score``). ``extract`` gets the 1-based
    page numbers of one invoice and returns it unvalidated; the pipeline runs the checks.
    """

    name: str

    def score(self, document: Document) -> int | None: ...

    def extract(self, document: Document, pages: list[int]) -> Invoice: ...
