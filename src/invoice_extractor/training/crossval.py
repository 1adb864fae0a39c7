"""Grouped cross-validation by seller: train on every seller group but one fold's, run the whole
pipeline on that fold's documents with that model, and score them. The figure to improve.

Besides accuracy it measures what a confidence promises: the calibration table (of values given
about 0.9, how many were right) and the ``ok`` status (how many invoices it marks ``ok``, and how
many of those are fully right), both with calibrations fitted on the other folds only.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..evaluation import EvalReport, peak_rss_mb
from ..extract.embedded.ranker import (
    POOLED,
    Calibration,
    RankerModel,
    calibration_for,
    calibration_key,
    field_of,
    platt,
)
from ..model import HEADER_FIELDS, Invoice
from ..scoring import CaseScore, model_path, pick_invoice, score_case
from ..settings import Settings
from .dataset import LabelledDocument
from .fit import fit_model

MIN_OWN_CALIBRATION = 20  # fewer examples than this: the key uses the pooled calibration
OK_PRECISION = 0.97
BINS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0001)
ID_CHECKS = ("VAT:", "IBAN:", "BIC:")


@dataclass(slots=True)
class HeldOut:
    """One scored document of a held-out fold, with the raw confidences of its fields."""

    fold: int
    score: CaseScore
    raw: dict[str, tuple[str, float]]  # header path -> (calibration key, raw confidence)
    warnings: list[str]
    scored_right: dict[str, bool]  # header path -> right (the fields its truth scores)


@dataclass(slots=True)
class CrossValidation:
    folds: int
    held_out: list[HeldOut] = field(default_factory=list)
    seconds: float = 0.0
    # The cross-fitted confidences, computed once when first asked (after every fold ran).
    _calibrated: list[tuple[HeldOut, dict[str, float]]] | None = field(default=None, repr=False)

    def report(self, extractor: str = "embedded") -> EvalReport:
        return EvalReport(
            [h.score for h in self.held_out],
            extractor,
            len(self.held_out),
            self.seconds,
            peak_rss_mb(),
        )

    def points(self, folds: set[int] | None = None) -> dict[str, list[tuple[float, bool]]]:
        """(raw confidence, right) per calibration key, over the given folds (default all)."""
        out: dict[str, list[tuple[float, bool]]] = {}
        for h in self.held_out:
            if folds is not None and h.fold not in folds:
                continue
            for path, right in h.scored_right.items():
                if path in h.raw:
                    key, raw = h.raw[path]
                    for name in {key, field_of(key), POOLED}:
                        out.setdefault(name, []).append((raw, right))
        return out

    def calibrated(self) -> list[tuple[HeldOut, dict[str, float]]]:
        """Each document's confidences, calibrated on the other folds only (cross-fitted)."""
        if self._calibrated is not None:
            return self._calibrated
        out = []
        cals = {
            k: fit_calibration(self.points(set(range(self.folds)) - {k})) for k in range(self.folds)
        }
        for h in self.held_out:
            cal = cals[h.fold]
            conf = {
                path: found(raw) if (found := calibration_for(cal, key)) else raw
                for path, (key, raw) in h.raw.items()
            }
            out.append((h, conf))
        self._calibrated = out
        return out

    def calibration_table(self) -> list[tuple[str, int, float, float]]:
        """Rows (confidence bin, values, mean confidence, share right) over scored fields."""
        buckets: list[list[tuple[float, bool]]] = [[] for _ in BINS[:-1]]
        for h, conf in self.calibrated():
            for path, right in h.scored_right.items():
                if path in conf:
                    c = conf[path]
                    at = next(i for i in range(len(BINS) - 1) if c < BINS[i + 1])
                    buckets[at].append((c, right))
        rows: list[tuple[str, int, float, float]] = []
        for i, bucket in enumerate(buckets):
            if bucket:
                mean = sum(c for c, _ in bucket) / len(bucket)
                share = sum(r for _, r in bucket) / len(bucket)
                label = f"{BINS[i]:.2f}-{min(BINS[i + 1], 1.0):.2f}"
                rows.append((label, len(bucket), mean, share))
        return rows

    def ok_curve(self, *, printed_ids: bool = True) -> list[tuple[float, int, int, int]]:
        """For each threshold: (threshold, invoices ok, of them fully right, invoices).

        With ``printed_ids=False`` the identifier checksums (VAT, IBAN, BIC) are set aside: they
        judge the ids the document prints (sample documents print placeholders), not the
        reading, so the threshold is chosen on every document whose reading could be ``ok``."""
        docs = []
        for h, conf in self.calibrated():
            fully = all(h.scored_right.values()) and h.score.error is None
            failed = [w for w in h.warnings if not w.startswith("UNCERTAIN")]
            if not printed_ids:
                failed = [w for w in failed if not w.startswith(ID_CHECKS)]
            lowest = min(conf.values(), default=0.0)
            docs.append((not failed, lowest, fully))
        curve = []
        for t in sorted({round(x / 100, 2) for x in range(50, 100)}):
            ok = [fully for passes, lowest, fully in docs if passes and lowest >= t]
            curve.append((t, len(ok), sum(ok), len(docs)))
        return curve

    def ok_threshold(self) -> float:
        """The lowest threshold whose ``ok`` readings are fully right >= 97% of the time (the
        identifier checksums set aside, see ``ok_curve``), else 0.99."""
        for t, n_ok, n_right, _ in self.ok_curve(printed_ids=False):
            if n_ok and n_right / n_ok >= OK_PRECISION:
                return t
        return 0.99


def fit_calibration(points: dict[str, list[tuple[float, bool]]]) -> dict[str, Calibration]:
    return {k: platt(v) for k, v in points.items() if k == POOLED or len(v) >= MIN_OWN_CALIBRATION}


def assign_folds(docs: Sequence[LabelledDocument], k: int) -> dict[str, int]:
    """Seller groups to folds: largest groups first, each to the fold with fewest documents
    (ties by group name), so folds are balanced and the split is reproducible."""
    sizes: dict[str, int] = {}
    for doc in docs:
        sizes[doc.group] = sizes.get(doc.group, 0) + 1
    load = [0] * k
    out: dict[str, int] = {}
    for group in sorted(sizes, key=lambda g: (-sizes[g], g)):
        fold = min(range(k), key=lambda i: (load[i], i))
        out[group] = fold
        load[fold] += sizes[group]
    return out


def training_rows(docs: Sequence[LabelledDocument]) -> tuple[list[list[float]], list[bool]]:
    rows: list[list[float]] = []
    labels: list[bool] = []
    for doc in docs:
        for field_rows in doc.rows.values():
            for row, label in field_rows:
                rows.append(row)
                labels.append(label)
    return rows, labels


def cross_validate(
    corpus: Sequence[LabelledDocument],
    pool: Sequence[LabelledDocument] = (),
    k: int = 5,
    settings: Settings | None = None,
) -> CrossValidation:
    """Every corpus document scored by a model that never saw its seller group; the training
    pool is used for training only (minus documents of the held-out sellers)."""
    from .. import pipeline
    from ..extract.embedded.ranker import using_model

    settings = settings or Settings.model_validate({})
    folds = assign_folds(corpus, k)
    result = CrossValidation(k)
    start = time.perf_counter()
    for fold in range(k):
        held = [d for d in corpus if folds[d.group] == fold]
        if not held:
            continue
        train = [d for d in [*corpus, *pool] if folds.get(d.group) != fold]
        model = fit_model(*training_rows(train))
        # No threshold while measuring: the ok status is computed from the raw confidences.
        fold_model = RankerModel(
            model.features, model.trees, ok_threshold=0.0, slip_trees=model.slip_trees
        )
        with using_model(fold_model):
            for doc in held:
                invoices = pipeline.extract_file(
                    doc.case.input, settings=settings, extractor="embedded"
                )
                score = score_case(doc.id, doc.truth, invoices, all_fields=doc.case.exact)
                result.held_out.append(_held_out(fold, score, pick_invoice(invoices)))
    result.seconds = time.perf_counter() - start
    return result


def _held_out(fold: int, score: CaseScore, invoice: Invoice | None) -> HeldOut:
    raw: dict[str, tuple[str, float]] = {}
    warnings: list[str] = []
    if invoice is not None:
        warnings = list(invoice.warnings)
        for path, ev in invoice.evidence.items():
            if path in HEADER_FIELDS and invoice.get_path(path) is not None:
                raw[path] = (calibration_key(path, invoice), ev.confidence)
    right = {model_path(r.field): r.correct for r in score.fields}
    return HeldOut(fold, score, raw, warnings, right)
