"""What the LLM is asked: one instruction, then each page of the invoice (its text layer and its
image), all pages of one invoice in one request.

``Prompt`` is provider-neutral; ``gemini.py`` and ``openai_compat.py`` turn it into their SDK's
message parts. Page images come from ``page_images``: pages rendered from the original PDF bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ...ingest.document import Document, DocumentKind
from ...ingest.image import frame_png
from ...ingest.pdf import render_page
from ..embedded.seller_hints import seller_hints
from .limiter import estimate_tokens

INSTRUCTION = """\
You extract data from one invoice (or credit note) for bookkeeping. You get its pages as images \
and, where the PDF has one, the text layer of each page. Answer with one JSON object that \
follows the response schema.

Rules:
- Copy every value from the document. When a field is not printed, answer null: never guess, \
never compute a value that is not printed (do not add up lines to get a missing total).
- Amounts and quantities: plain decimal numbers with "." as decimal separator, no thousands \
separators, no currency signs, the precision printed ("1.234,50 EUR" -> "1234.50"). Amounts \
shown negative (credits, discounts) keep a leading "-".
- Dates: ISO 8601, YYYY-MM-DD. Read day and month in the order the document's country uses.
- invoice_number, po_number, VAT ids, IBAN, BIC: exactly the characters printed (spaces may be \
dropped).
- seller is the party that issued the invoice; buyer is the party billed.
- total is the grand total including tax; amount_due is what is left to pay.
- line_items in printed order, one per invoice line; tax_lines one per VAT rate.
- The text layer is exact where present; the image shows the layout. When they disagree on a \
character, trust the text layer.
"""

PageImages = Callable[[Document, list[int], int], list[bytes]]
"""``(document, page numbers, dpi) -> one PNG per page`` (an empty list: no images)."""


@dataclass(frozen=True)
class PageInput:
    number: int  # 1-based page number in the file
    text: str  # the text layer, "" when the page has none
    image: bytes | None  # PNG


@dataclass(frozen=True)
class Prompt:
    instruction: str
    pages: tuple[PageInput, ...]

    def page_text(self, page: PageInput) -> str:
        """The text part sent for one page."""
        head = f"Page {page.number} of the invoice ({len(self.pages)} page(s) in all)."
        if not page.text.strip():
            return f"{head}\nThis page has no text layer: read it from the image."
        return f"{head}\nText layer of page {page.number}:\n{page.text}"

    @property
    def estimated_tokens(self) -> int:
        chars = len(self.instruction) + sum(len(self.page_text(p)) for p in self.pages)
        return estimate_tokens(chars, sum(1 for p in self.pages if p.image is not None))


def build_prompt(document: Document, pages: list[int], images: list[bytes]) -> Prompt:
    """The prompt for the invoice on ``pages`` (1-based); ``images`` one PNG per page, or []."""
    inputs = tuple(
        PageInput(
            number=number,
            text=document.pages[number - 1].text,
            image=images[i] if i < len(images) else None,
        )
        for i, number in enumerate(pages)
    )
    hints = seller_hints([document.pages[n - 1] for n in pages])
    return Prompt(INSTRUCTION + hints, inputs)


def page_images(document: Document, pages: list[int], dpi: int) -> list[bytes]:
    """Each page as PNG from the original bytes the document carries (PDF pages rendered, image
    frames converted); none for XML or a document built without its bytes."""
    data = document.data
    if not data:
        return []
    if document.kind is DocumentKind.PDF:
        return [render_page(data, document.name, number, dpi) for number in pages]
    if document.kind is DocumentKind.IMAGE:
        return [frame_png(data, document.name, number, dpi) for number in pages]
    return []
