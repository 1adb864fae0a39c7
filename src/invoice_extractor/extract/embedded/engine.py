"""The embedded engine: general rules over words and geometry, offline, no key.

Registered as ``embedded``, the default backend. The stages, one document context each:
``candidates`` (every rule proposes values), ``features`` + ``ranker`` (a learned probability
per candidate), then the joint choices (totals by arithmetic, seller and buyer as a pair) and
calibrated confidences; ids by pattern and checksum, tax lines and the items table by rules.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

from ...ingest.document import Document, Word
from ...model import DocumentType, Evidence, Invoice, LineItem, TaxLine
from .adjustments import settle_adjustments
from .amounts import detect_currency, may_hold_currency
from .candidates import FieldCandidates, collect_candidates
from .code_cache import compile_regex
from .context import DocumentContext
from .derived import derive_subtotal, evidence_of, reconcile_subtotal
from .features import document_features
from .fields import Candidate, best
from .item_lists import listed_items
from .items import extract_items
from .lexicon import CREDIT_TITLES, alternation
from .patterns import find_bics, find_ibans, find_vat_ids, labelled_iban
from .ranker import RankerModel, active_model
from .repair import apply_repairs, unread_amounts, warning
from .seller_memory import Recalled, recall
from .taxes import adding_up, find_tax_lines
from .text import fold
from .totals import AMOUNT_FIELDS, choose, collect_payments, paid_totals

_CREDIT = compile_regex(rf"(?i)\b{alternation(CREDIT_TITLES)}")


_CENT = Decimal("0.01")
MIN_NAME_PROBABILITY = 0.15
_PARTY_NAMES = ("seller.name", "buyer.name")
_NAME_PAIRS = 6  # seller and buyer are chosen jointly among each one's best candidates
# The fields the best candidate decides (amounts are chosen by the arithmetic instead).
_AGREEING = (*_PARTY_NAMES, "invoice_number", "issue_date", "due_date", "po_number")


class EmbeddedExtractor:
    """Offline extraction from the PDF text layer (and OCR words): rules propose candidates,
    the learned ranker scores them, arithmetic and the party pairing choose jointly."""

    name = "embedded"

    def score(self, document: Document) -> int | None:
        return 10 if any(page.words for page in document.pages) else None

    def extract(self, document: Document, pages: list[int]) -> Invoice:
        ctx = DocumentContext.build([document.pages[n - 1] for n in pages])
        invoice = Invoice(file=document.name, pages=pages, extractor=self.name)
        evidence: dict[str, Evidence] = {}
        found = collect_candidates(ctx)
        model = active_model()
        recalled = rank_candidates(ctx, found, model)

        def confidence(
            path: str, cand: Candidate[Any], rivals: list[Candidate[Any]] | None = None
        ) -> float:
            # A value the seller's memory placed has no rival: the clerk settled it.
            if path in recalled.learned:
                return cand.score
            return contested(cand, found.get(path, []) if rivals is None else rivals)

        def put(path: str, cand: Candidate[Any] | None) -> None:
            if cand is None or not cand.words:
                return
            _set(invoice, path, cand.value)
            evidence[path] = evidence_of(cand.words, confidence(path, cand))

        number = best(found["invoice_number"])
        put("invoice_number", number)
        issue = best(found["issue_date"])
        due = best(found["due_date"])
        put("issue_date", issue)
        put("due_date", due)
        put("po_number", best(found["po_number"]))
        currency = self._currency(ctx)
        put("currency", currency)
        seller, buyer = _pair_parties(found["seller.name"], found["buyer.name"])
        for path, party, other in (("seller.name", seller, buyer), ("buyer.name", buyer, seller)):
            if party is None:
                continue
            _set_path(invoice, path, party.value)
            rivals = party_rivals(party, found[path], other)
            evidence[path] = evidence_of(party.words, confidence(path, party, rivals))
        self._identifiers(ctx, invoice, evidence)
        recalled.identify(ctx, invoice, evidence)
        amounts = {f: found[f] for f in AMOUNT_FIELDS}
        payments = collect_payments(ctx.indexes, ctx.decimal_sep)
        amounts["total"] = [*amounts["total"], *paid_totals(ctx.indexes, payments, ctx.decimal_sep)]
        ocr = any(page.source == "ocr" for page in ctx.pages)
        unread = unread_amounts(ctx.indexes, ctx.decimal_sep, AMOUNT_FIELDS) if ocr else {}
        totals = choose({f: [*c, *unread.get(f, [])] for f, c in amounts.items()}, payments)
        if ocr:
            invoice.warnings += [
                warning(r) for r in apply_repairs(totals, unread, payments, ctx.indexes)
            ]
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
        if not table.items and not table.adjustments:
            sums = (invoice.subtotal, invoice.tax_exclusive_total, invoice.total)
            table = listed_items(ctx.indexes, ctx.decimal_sep, {t for t in sums if t})
        reconcile_subtotal(invoice, table, evidence)
        derive_subtotal(invoice, table, ctx.indexes, ctx.decimal_sep, evidence)
        settle_adjustments(invoice, ctx.indexes, ctx.decimal_sep, evidence)
        for n, item in enumerate(table.items):
            invoice.line_items.append(
                LineItem(
                    description=item.description,
                    quantity=item.quantity,
                    unit_price=item.unit_price,
                    amount=item.amount,
                )
            )
            evidence[f"line_items.{n}.amount"] = evidence_of(item.amount_words, 0.7)
            if item.words:
                evidence[f"line_items.{n}.description"] = evidence_of(item.words, 0.6)
        first_text = ctx.pages[0].text if ctx.pages else ""
        if _CREDIT.search(first_text[:600]):
            invoice.document_type = DocumentType.CREDIT_NOTE
        elif ctx.receipt:
            invoice.document_type = DocumentType.RECEIPT
        invoice.evidence = evidence
        invoice.learned_from = {p: how for p, how in recalled.learned.items() if p in evidence}
        if model is not None:
            model.calibrate(invoice)
        return invoice

    def _tax_lines(
        self, ctx: DocumentContext, invoice: Invoice, evidence: dict[str, Evidence]
    ) -> None:
        net = invoice.tax_exclusive_total
        net = net if net is not None else invoice.subtotal
        taxes = adding_up(find_tax_lines(ctx.indexes, ctx.decimal_sep), invoice.tax_total, net)
        for n, tax in enumerate(taxes):
            category = "S" if tax.rate > 0 else None
            invoice.tax_lines.append(
                TaxLine(rate=tax.rate, base=tax.base, amount=tax.amount, category=category)
            )
            evidence[f"tax_lines.{n}.amount"] = evidence_of(tax.words, 0.8)
        if invoice.tax_total is None and taxes:
            # BT-110 is the sum of the BT-117 amounts, each proved by base x rate on the page.
            invoice.tax_total = sum((t.amount for t in taxes), Decimal(0))

    def _currency(self, ctx: DocumentContext) -> Candidate[str] | None:
        counts: Counter[str] = Counter()
        first: dict[str, list[Word]] = {}
        for page in ctx.pages:
            for line in page.lines:
                if not may_hold_currency(line.text):
                    continue  # no word of it holds a marker: not read word by word
                for word in line.words:
                    code = detect_currency(word.text)
                    if code is not None:
                        counts[code] += 1
                        first.setdefault(code, [word])
        if not counts:
            return None
        code, n = counts.most_common(1)[0]
        return Candidate(code, first[code], min(0.5 + 0.1 * n, 0.95), "currency", "pattern")

    def _identifiers(
        self,
        ctx: DocumentContext,
        invoice: Invoice,
        evidence: dict[str, Evidence],
    ) -> None:
        """VAT ids, IBAN and BIC: found by pattern and proved by checksum (their rule scores
        are calibrated like the ranker's probabilities)."""

        def put(path: str, value: str, words: list[Word], rule: float) -> None:
            _set_path(invoice, path, value)
            evidence[path] = evidence_of(words, rule)

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
            put("seller.vat_id", seller_vat.value, seller_vat.words, 0.9)
        if buyer_vat is not None:
            put("buyer.vat_id", buyer_vat.value, buyer_vat.words, 0.85)
        for index in ctx.indexes:
            hits = labelled_iban(index)
            valid = [h for h in hits if h.checked] or find_ibans(index) or hits
            if valid:
                hit = valid[0]
                put("payment.iban", hit.value, hit.words, 0.95 if hit.checked else 0.5)
                break
        for index in ctx.indexes:
            bics = find_bics(index)
            if bics:
                put("payment.bic", bics[0].value, bics[0].words, 0.9)
                break


def rank_candidates(
    ctx: DocumentContext, found: FieldCandidates, model: RankerModel | None
) -> Recalled:
    """Replace each candidate's rule score by the ranker's probability that it is right, then
    let a known seller's memory decide (field path -> the lesson applied)."""
    if model is None:
        return recall(ctx, found)
    rows = document_features(ctx, found, model.columns(ctx.receipt))
    for name, cands in found.items():
        for cand, p in zip(cands, model.probabilities(rows[name], ctx.receipt), strict=True):
            cand.score = p
        if name in _AGREEING:
            agree(cands)
    recalled = recall(ctx, found)
    for name, cands in found.items():
        if name in _PARTY_NAMES:
            # Any line may pass for a name; one the ranker all but rules out is no answer, and
            # null says "not found" honestly (measured: no loss under cross-validation).
            found[name] = [c for c in cands if c.score >= MIN_NAME_PROBABILITY]
    return recalled


def agree(cands: list[Candidate[Any]]) -> None:
    """Rules that read the same value independently (a letterhead and an address window, a
    label and a title) each back it: its probability becomes that not all of them are wrong.
    A rule that reads it twice (a header repeated on every page) backs it once. Calibration,
    fitted on these scores, keeps the result honest."""
    keys = [_value_key(c.value) for c in cands]
    best: dict[object, dict[str, float]] = {}
    for c, key in zip(cands, keys, strict=True):
        by_source = best.setdefault(key, {})
        by_source[c.source] = max(by_source.get(c.source, 0.0), c.score)
    for c, key in zip(cands, keys, strict=True):
        wrong = 1.0
        for p in best[key].values():
            wrong *= 1.0 - p
        c.score = max(c.score, 1.0 - wrong)


def contested(chosen: Candidate[Any], candidates: list[Candidate[Any]]) -> float:
    """The chosen candidate's probability, discounted by the best candidate of another value.
    Two readings the ranker both believes (a labelled PO number and another in a sentence, a
    due date in a column and one in the payment terms) call for a look, which the winner's
    probability alone cannot show."""
    key = _value_key(chosen.value)
    rival = max((c.score for c in candidates if _value_key(c.value) != key), default=0.0)
    return chosen.score * (1.0 - rival)


def party_rivals(
    chosen: Candidate[Any], candidates: list[Candidate[Any]], other: Candidate[Any] | None
) -> list[Candidate[Any]]:
    """The candidates that contest a chosen party name. Not the other party's name: the pairing
    gave that block to the other party. Not a name that holds the chosen one or is held in it
    ("LOGO ACME GmbH", "ACME"): the same party read with more or fewer words."""
    taken = _value_key(other.value) if other is not None else None
    mine = f" {_value_key(chosen.value)} "
    return [
        c
        for c in candidates
        if _value_key(c.value) != taken
        and f" {_value_key(c.value)} " not in mine
        and mine not in f" {_value_key(c.value)} "
    ]


def _value_key(value: object) -> object:
    return fold(" ".join(value.split())) if isinstance(value, str) else value


def _pair_parties(
    sellers: list[Candidate[Any]], buyers: list[Candidate[Any]]
) -> tuple[Candidate[Any] | None, Candidate[Any] | None]:
    """Seller and buyer together: one block cannot be both, so the best pair of different
    names wins (either may be missing)."""
    top_s = sorted(sellers, key=lambda c: c.score, reverse=True)[:_NAME_PAIRS]
    top_b = sorted(buyers, key=lambda c: c.score, reverse=True)[:_NAME_PAIRS]
    pairs: list[tuple[float, Candidate[Any] | None, Candidate[Any] | None]] = []
    for s in [*top_s, None]:
        for b in [*top_b, None]:
            if s is not None and b is not None and fold(s.value) == fold(b.value):
                continue
            pairs.append(((s.score if s else 0.0) + (b.score if b else 0.0), s, b))
    if not pairs:
        return None, None
    _, seller, buyer = max(pairs, key=lambda p: p[0])
    return seller, buyer


def _set(invoice: Invoice, path: str, value: object) -> None:
    if isinstance(value, Decimal | str | date):
        setattr(invoice, path, value)


def _set_path(invoice: Invoice, path: str, value: str) -> None:
    owner, name = path.split(".")
    setattr(getattr(invoice, owner), name, value)
