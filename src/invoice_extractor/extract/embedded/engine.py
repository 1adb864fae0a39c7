"""The embedded engine: general rules over words and geometry, offline, no key.

Registered as ``embedded``, the default backend. Each field comes from its own small module
(fields, totals, parties, patterns, items); this module puts them together with evidence.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ...ingest.document import Document, Page, Word
from ...model import DocumentType, Evidence, Invoice, LineItem, TaxLine
from .amounts import detect_currency, guess_decimal_separator
from .dates import DateOrder, guess_date_order
from .fields import Candidate, PageIndex, best, find_labelled
from .items import Table, extract_items
from .language import detect_language
from .lexicon import CREDIT_TITLES, alternation
from .numbers import labelled_number, titled_number
from .parties import NameHit, _is_label, _name_like, address_window, labelled_party, letterhead
from .patterns import find_bics, find_ibans, find_vat_ids, labelled_iban
from .receipts import is_receipt, merchant, transaction_date
from .taxes import find_tax_lines
from .text import fold, union_bbox
from .totals import choose, collect
from .values import parse_date_words, parse_id

_CREDIT = re.compile(rf"(?i)\b{alternation(CREDIT_TITLES)}")


_CENT = Decimal("0.01")


@dataclass(slots=True)
class Context:
    pages: list[Page]
    indexes: list[PageIndex]
    language: str | None
    decimal_sep: str | None
    date_order: DateOrder

    @classmethod
    def build(cls, pages: list[Page]) -> Context:
        indexes = [PageIndex.build(p) for p in pages]
        texts = [line.text for p in pages for line in p.lines]
        words = [w.text for p in pages for w in p.words]
        language = detect_language(words)
        return cls(
            pages,
            indexes,
            language,
            guess_decimal_separator(texts),
            guess_date_order(texts, language),
        )


def _evidence(words: list[Word], confidence: float) -> Evidence:
    return Evidence(
        page=words[0].page,
        bbox=union_bbox(words),
        text=" ".join(w.text for w in words),
        confidence=round(max(0.0, min(confidence, 1.0)), 2),
    )


class EmbeddedExtractor:
    """Offline extraction from the PDF text layer (and OCR words) by general layout rules."""

    name = "embedded"

    def score(self, document: Document) -> int | None:
        return 10 if any(page.words for page in document.pages) else None

    def extract(self, document: Document, pages: list[int]) -> Invoice:
        ctx = Context.build([document.pages[n - 1] for n in pages])
        invoice = Invoice(file=document.name, pages=pages, extractor=self.name)
        evidence: dict[str, Evidence] = {}

        def put(path: str, cand: Candidate[Any] | None, value: object = None) -> None:
            if cand is None or not cand.words:
                return
            _set(invoice, path, cand.value if value is None else value)
            evidence[path] = _evidence(cand.words, cand.score)

        number = self._invoice_number(ctx)
        put("invoice_number", number)
        issue = self._date(ctx, "issue_date")
        dated = self._date_after_number(ctx, number)
        if dated is not None and (issue is None or issue.score < dated.score):
            issue = dated
        if issue is None:
            issue = transaction_date(ctx.indexes, ctx.date_order)
        due = self._date(ctx, "due_date")
        if (
            issue is not None
            and due is not None
            and issue.value == due.value
            and "due" not in fold(due.label)
        ):
            due = None
        put("issue_date", issue)
        put("due_date", due)
        put("po_number", self._labelled_id(ctx, "po_number"))
        put("currency", self._currency(ctx))
        self._parties(ctx, invoice, evidence)
        self._payment(ctx, invoice, evidence)
        totals = choose(collect(ctx.indexes, ctx.decimal_sep))
        for name, cand in totals.chosen.items():
            put(name, cand)
        if invoice.prepaid is not None and invoice.prepaid < 0:
            invoice.prepaid = -invoice.prepaid  # BT-113 is the amount paid: printed "(144.00)"
        if invoice.total is None and invoice.amount_due is not None and invoice.prepaid is None:
            # Receipts print "Amt Due" alone: with nothing prepaid, what is due is the total.
            invoice.total = invoice.amount_due
            evidence["total"] = evidence["amount_due"].model_copy(
                update={"confidence": round(evidence["amount_due"].confidence * 0.8, 2)}
            )
        elif invoice.amount_due is None and invoice.total is not None and invoice.prepaid is None:
            # BT-115 = BT-112 - BT-113: with nothing prepaid on the page the total is due.
            invoice.amount_due = invoice.total
            evidence["amount_due"] = evidence["total"].model_copy(
                update={"confidence": round(evidence["total"].confidence * 0.8, 2)}
            )
        self._tax_lines(ctx, invoice, evidence)
        table = extract_items(ctx.indexes, ctx.decimal_sep)
        _reconcile_subtotal(invoice, table, evidence)
        for n, item in enumerate(table.items):
            invoice.line_items.append(
                LineItem(
                    description=item.description,
                    quantity=item.quantity,
                    unit_price=item.unit_price,
                    amount=item.amount,
                )
            )
            evidence[f"line_items.{n}.amount"] = _evidence(item.amount_words, 0.7)
            if item.words:
                evidence[f"line_items.{n}.description"] = _evidence(item.words, 0.6)
        first_text = ctx.pages[0].text if ctx.pages else ""
        if _CREDIT.search(first_text[:600]):
            invoice.document_type = DocumentType.CREDIT_NOTE
        invoice.evidence = evidence
        return invoice

    def _tax_lines(self, ctx: Context, invoice: Invoice, evidence: dict[str, Evidence]) -> None:
        taxes = find_tax_lines(ctx.indexes, ctx.decimal_sep)
        for n, tax in enumerate(taxes):
            category = "S" if tax.rate > 0 else None
            invoice.tax_lines.append(
                TaxLine(rate=tax.rate, base=tax.base, amount=tax.amount, category=category)
            )
            evidence[f"tax_lines.{n}.amount"] = _evidence(tax.words, 0.8)
        if invoice.tax_total is None and taxes:
            # BT-110 is the sum of the BT-117 amounts, each proved by base x rate on the page.
            invoice.tax_total = sum((t.amount for t in taxes), Decimal(0))

    # -- header fields ---------------------------------------------------------------------

    def _invoice_number(self, ctx: Context) -> Candidate[str] | None:
        for index in ctx.indexes:
            found = labelled_number(index)
            if found is not None:
                return found
        return titled_number(ctx.indexes[0]) if ctx.indexes else None

    def _date_after_number(
        self, ctx: Context, number: Candidate[str] | None
    ) -> Candidate[date] | None:
        """ "Rechnung Nr. 471102 vom 05.06.2018", "Invoice 12 of 31 March 2024": a date printed
        right after the invoice number is its issue date."""
        if number is None or not number.words:
            return None
        word = number.words[-1]
        index = ctx.indexes[[p.number for p in ctx.pages].index(word.page)]
        for line in index.lines:
            # The number may be a synthetic word (glued to its label): find it by position.
            at = next(
                (k for k, w in enumerate(line.words) if w.x1 == word.x1 and w.y0 == word.y0), None
            )
            if at is not None:
                rest = line.words[at + 1 :]
                parsed = parse_date_words(rest[:6], ctx.date_order)
                if parsed is not None:
                    return Candidate(parsed[0], parsed[1], 0.85, "after number", "right")
        return None

    def _labelled_id(self, ctx: Context, field_name: str) -> Candidate[str] | None:
        found: list[Candidate[str]] = []
        for index in ctx.indexes:
            found += find_labelled(index, field_name, parse_id)
        return best(found)

    def _date(self, ctx: Context, field_name: str) -> Candidate[date] | None:
        order = ctx.date_order

        def parse(words: list[Word]) -> tuple[date, list[Word]] | None:
            return parse_date_words(words, order)

        found: list[Candidate[date]] = []
        for page_no, index in enumerate(ctx.indexes):
            rivals = ("due_date",) if field_name == "issue_date" else ()
            height = max(index.page.height, 1.0)
            for cand in find_labelled(index, field_name, parse, rivals=rivals):
                # Issue and due dates sit in the head of the first page; later ones are periods.
                cand.score -= 0.1 * page_no + 0.15 * cand.words[0].y0 / height
                found.append(cand)
        return best(found)

    def _currency(self, ctx: Context) -> Candidate[str] | None:
        counts: Counter[str] = Counter()
        first: dict[str, list[Word]] = {}
        for page in ctx.pages:
            for line in page.lines:
                for word in line.words:
                    code = detect_currency(word.text)
                    if code is not None:
                        counts[code] += 1
                        first.setdefault(code, [word])
        if not counts:
            return None
        code, n = counts.most_common(1)[0]
        return Candidate(code, first[code], min(0.5 + 0.1 * n, 0.95), "currency", "pattern")

    def _parties(self, ctx: Context, invoice: Invoice, evidence: dict[str, Evidence]) -> None:
        # The first page with text: a scanned batch may start with a blank page.
        index = next((i for i in ctx.indexes if i.page.words), ctx.indexes[0])
        buyer = labelled_party(index, "buyer_block")
        seller = labelled_party(index, "seller_block")
        exclude = {fold(buyer.name)} if buyer else set()
        if seller is None and is_receipt(index):
            found = merchant(index, lambda text: _name_like(text) and not _is_label(text))
            if found is not None:
                seller = NameHit(found[0], found[1], 0.7)
        if seller is None:
            seller = letterhead(index, exclude)
        if buyer is None:
            buyer = address_window(index, {fold(seller.name)} if seller else set())
        if seller is not None:
            invoice.seller.name = seller.name
            evidence["seller.name"] = _evidence(seller.words, min(seller.score, 0.95))
        if buyer is not None:
            invoice.buyer.name = buyer.name
            evidence["buyer.name"] = _evidence(buyer.words, min(buyer.score, 0.95))
        vat_hits = [h for idx in ctx.indexes for h in find_vat_ids(idx)]
        seller_vat = next((h for h in vat_hits if not h.buyer_hint), None)
        buyer_vat = next(
            (
                h
                for h in vat_hits
                if h.buyer_hint and (seller_vat is None or h.value != seller_vat.value)
            ),
            None,
        )
        if seller_vat is not None:
            invoice.seller.vat_id = seller_vat.value
            evidence["seller.vat_id"] = _evidence(seller_vat.words, 0.9)
        if buyer_vat is not None:
            invoice.buyer.vat_id = buyer_vat.value
            evidence["buyer.vat_id"] = _evidence(buyer_vat.words, 0.85)

    def _payment(self, ctx: Context, invoice: Invoice, evidence: dict[str, Evidence]) -> None:
        for index in ctx.indexes:
            hits = labelled_iban(index)
            valid = [h for h in hits if h.checked] or find_ibans(index) or hits
            if valid:
                hit = valid[0]
                invoice.payment.iban = hit.value
                evidence["payment.iban"] = _evidence(hit.words, 0.95 if hit.checked else 0.5)
                break
        for index in ctx.indexes:
            bics = find_bics(index)
            if bics:
                invoice.payment.bic = bics[0].value
                evidence["payment.bic"] = _evidence(bics[0].words, 0.9)
                break


def _reconcile_subtotal(invoice: Invoice, table: Table, evidence: dict[str, Evidence]) -> None:
    """BT-106 is the sum of the line net amounts. When the table also lists document-level
    allowances and charges and the printed net total equals lines - allowances + charges, that
    printed total is BT-109 (tax exclusive), not BT-106: assign both, and the adjustments."""
    printed = invoice.subtotal
    if printed is None or not table.items or not table.adjustments:
        return
    lines = sum((i.amount for i in table.items), Decimal(0))
    kinds = {
        kind: [a for a in table.adjustments if a.kind == kind] for kind in ("allowance", "charge")
    }
    sums = {kind: sum((abs(a.amount) for a in rows), Decimal(0)) for kind, rows in kinds.items()}
    signed = sum((a.amount for a in table.adjustments), Decimal(0))
    fits = (
        abs(lines - sums["allowance"] + sums["charge"] - printed) <= _CENT
        # Adjustments carry their printed sign (a credit note negates everything).
        or abs(lines + signed - printed) <= _CENT
    )
    if lines == printed or not fits:
        return
    if invoice.tax_exclusive_total is None:
        invoice.tax_exclusive_total = printed
        evidence["tax_exclusive_total"] = evidence.pop("subtotal")
    invoice.subtotal = lines
    evidence["subtotal"] = _sum_evidence([i.amount_words for i in table.items])
    for kind, field_name in (("allowance", "allowances"), ("charge", "charges")):
        if kinds[kind]:  # null, not 0, when none is printed
            setattr(invoice, field_name, sums[kind])
            evidence[field_name] = _sum_evidence([a.amount_words for a in kinds[kind]])


def _sum_evidence(groups: list[list[Word]]) -> Evidence:
    """Evidence of a sum: the box around its printed terms on the page that holds the first."""
    page = groups[0][0].page
    words = [w for group in groups for w in group if w.page == page]
    return _evidence(words, 0.7)


def _set(invoice: Invoice, path: str, value: object) -> None:
    if isinstance(value, Decimal | str | date):
        setattr(invoice, path, value)
