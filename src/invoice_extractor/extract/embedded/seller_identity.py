"""A known seller's own identifiers, where the page prints them: its VAT id and IBAN are the
same on every invoice, so a confirmed one found on the page is the seller's where the pattern
rules found none (a checksum that fails, no label announcing it)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ...ingest.document import Word
from ...model import Evidence, Invoice
from .context import DocumentContext
from .seller_layout import SellerLayout
from .text import union_bbox

KNOWN = "known"  # what learned_from says of the seller's own name and identifiers
_MAX_WORDS = 9  # an IBAN printed in groups of four: up to 9 words
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")


def apply_known_identifiers(
    ctx: DocumentContext, invoice: Invoice, evidence: dict[str, Evidence], layout: SellerLayout
) -> dict[str, str]:
    """Fill ``seller.vat_id`` and ``payment.iban``, where the rules found none, with the seller's
    known ones printed on the page: field path -> ``KNOWN``."""
    applied: dict[str, str] = {}
    for path, known in (("seller.vat_id", layout.vat_ids), ("payment.iban", layout.ibans)):
        owner, name = path.split(".")
        current = getattr(getattr(invoice, owner), name)
        if not known or current is not None:
            continue  # only what the rules missed: a reading of the page is never overruled
        found = _printed(ctx, known)
        if found is None:
            continue
        value, words = found
        setattr(getattr(invoice, owner), name, value)
        evidence[path] = Evidence(
            page=words[0].page,
            bbox=union_bbox(words),
            text=" ".join(w.text for w in words),
            confidence=1.0,
        )
        applied[path] = KNOWN
    return applied


def _printed(ctx: DocumentContext, known: Iterable[str]) -> tuple[str, list[Word]] | None:
    wanted = set(known)
    for page in ctx.pages:
        for line in page.lines:
            words = line.words
            for start in range(len(words)):
                text = ""
                for end in range(start, min(start + _MAX_WORDS, len(words))):
                    text += _NOT_ALNUM.sub("", words[end].text.upper())
                    if text in wanted:
                        return text, words[start : end + 1]
                    if not any(k.startswith(text) for k in wanted):
                        break
    return None
