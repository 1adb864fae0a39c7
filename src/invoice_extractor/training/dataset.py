"""Labelled candidates: each candidate of each ranked field of a document, with its features and
whether its value is the truth's.

A document is labelled by its truth file (the corpus, and e-invoices whose XML labels their own
pages). Its seller group (the seller's normalised name, else the source repository) keeps every
document of one seller in one cross-validation fold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..evaluation import Case, load_truth
from ..extract.embedded.candidates import collect_candidates
from ..extract.embedded.context import DocumentContext
from ..extract.embedded.features import field_features
from ..extract.split import split_invoices
from ..ingest.loader import load_file
from ..scoring import normalize_name, recommended_fields, values_match
from ..settings import Settings

# Ranked field -> (truth-file name, also read from "extra" under this name).
TRUTH_OF: Mapping[str, tuple[str, str | None]] = {
    "invoice_number": ("invoice_number", None),
    "issue_date": ("issue_date", None),
    "due_date": ("due_date", None),
    "po_number": ("po_number", None),
    "seller.name": ("seller_name", None),
    "buyer.name": ("buyer_name", None),
    "subtotal": ("subtotal", None),
    "tax_exclusive_total": ("tax_exclusive_total", "tax_basis_total"),
    "tax_total": ("tax_total", None),
    "total": ("total", None),
    "amount_due": ("amount_due", None),
    "prepaid": ("prepaid", "prepaid_amount"),
}


@dataclass(slots=True)
class LabelledDocument:
    case: Case
    group: str
    truth: dict[str, Any]
    pool: str  # "corpus" (scored in cross-validation) or "train" (training only)
    rows: dict[str, list[tuple[list[float], bool]]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.case.id


def seller_group(truth: Mapping[str, Any]) -> str:
    meta = truth.get("_meta", {})
    if meta.get("seller_group"):
        return "group:" + str(meta["seller_group"])  # stated by the source (synthetic layouts)
    name = truth.get("seller_name")
    if isinstance(name, str) and normalize_name(name):
        return "seller:" + normalize_name(name)
    return "source:" + str(meta.get("source_repo") or meta.get("source_path") or "unknown")


def expected_value(truth: Mapping[str, Any], ranked_field: str) -> tuple[str, Any] | None:
    """(truth-file name, value) of a ranked field, where the truth file gives it and it is
    printed."""
    name, extra = TRUTH_OF[ranked_field]
    printed = set(recommended_fields(truth))
    if name in printed and truth.get(name) is not None:
        return name, truth[name]
    if extra is not None and truth.get("extra", {}).get(extra) is not None:
        # Totals an e-invoice states beside the printed ones: labelled only if a rule found them.
        return extra, truth["extra"][extra]
    return None


def label_document(case: Case, pool: str, settings: Settings) -> LabelledDocument:
    truth = load_truth(case.truth)
    doc = LabelledDocument(case, seller_group(truth), truth, pool)
    document = load_file(
        case.input,
        max_pages=settings.max_pages,
        max_bytes=settings.max_file_mb * 1024 * 1024,
        ocr_engine=settings.ocr_engine,
    )
    groups = split_invoices(document)
    pages = next((g for g in groups if 1 in g), groups[0] if groups else [])
    if not pages:
        return doc
    ctx = DocumentContext.build([document.pages[n - 1] for n in pages])
    found = collect_candidates(ctx)
    for name, cands in found.items():
        expected = expected_value(truth, name)
        if expected is None or not cands:
            continue
        truth_name, value = expected
        rows = field_features(ctx, name, cands, found)
        doc.rows[name] = [
            (row, values_match(truth_name, value, cand.value))
            for cand, row in zip(cands, rows, strict=True)
        ]
    return doc


def label_documents(
    cases: Sequence[Case], pool: str, settings: Settings | None = None
) -> list[LabelledDocument]:
    settings = settings or Settings.model_validate({})
    return [label_document(case, pool, settings) for case in cases]


def training_cases(train_dir: Path | None) -> list[Case]:
    """A training pool: e-invoices read from their pages (``NAME.visual.pdf``), plain PDFs
    with truth files (synthetic invoices, a user's labelled documents) and images with truth
    files (synthetic receipts, read through OCR)."""
    from ..evaluation import find_cases

    if train_dir is None or not train_dir.is_dir():
        return []
    return find_cases(train_dir) + find_cases(train_dir, "images")
