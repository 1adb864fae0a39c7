"""``invoice-extractor train``: rebuild the ranker's model file from labelled documents.

Reproducible: the documents are read in sorted order, the folds are assigned deterministically,
LightGBM runs on one thread with a fixed seed, and the file is written with sorted keys, so the
same inputs give the same file byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from ..evaluation import EvalReport, format_report
from ..extract.embedded.features import FEATURES
from ..extract.embedded.ranker import MODEL_FILE, RankerModel
from .crossval import CrossValidation, cross_validate, fit_calibration, training_rows
from .dataset import LabelledDocument
from .fit import PARAMS, ROUNDS, fit_model


def default_model_path() -> Path:
    from ..extract import embedded

    return Path(embedded.__file__).parent / MODEL_FILE


def train_model(
    corpus: Sequence[LabelledDocument], pool: Sequence[LabelledDocument], folds: int = 5
) -> tuple[RankerModel, CrossValidation]:
    """Cross-validate by seller (for calibration and the ``ok`` threshold), then fit the final
    trees on every document."""
    cv = cross_validate(corpus, pool, folds)
    fitted = fit_model(*training_rows([*corpus, *pool]))
    report = cv.report()
    model = RankerModel(
        trees=fitted.trees,
        slip_trees=fitted.slip_trees,
        features=FEATURES,
        calibration=fit_calibration(cv.points()),
        ok_threshold=cv.ok_threshold(),
        info={
            "documents": {"corpus": len(corpus), "train": len(pool)},
            "seller_groups": len({d.group for d in [*corpus, *pool]}),
            "folds": folds,
            "rounds": ROUNDS,
            "params": PARAMS,
            "cross_validated_header_macro": round(report.header_accuracy or 0.0, 4),
        },
    )
    return model, cv


def write_model(model: RankerModel, path: Path) -> None:
    text = json.dumps(model.to_json(), sort_keys=True, separators=(",", ":"))
    path.write_text(text + "\n", encoding="utf-8")


def _by_kind(cv: CrossValidation) -> list[str]:
    """Header macro and line items per kind of document: e-invoice layouts (``.visual.pdf``)
    and plain PDFs, as the targets are set per kind."""
    lines = []
    for kind, test in (
        ("e-invoice layouts", lambda i: i.endswith(".visual.pdf")),
        ("plain documents", lambda i: not i.endswith(".visual.pdf")),
    ):
        cases = [h.score for h in cv.held_out if test(h.score.case_id)]
        if not cases:
            continue
        report = EvalReport(cases, "embedded", len(cases), 0.0, 0.0)
        fully = sum(all(r.correct for r in c.fields) and c.error is None for c in cases)
        lines.append(
            f"  {kind}: {len(cases)} documents, header macro {report.header_accuracy or 0:.1%}, "
            f"line items F1 {report.line_items.f1:.1%}, every field right {fully}/{len(cases)}"
        )
    return lines


def format_cross_validation(cv: CrossValidation, *, verbose: bool = False) -> str:
    report = cv.report()
    fully = sum(
        all(r.correct for r in h.score.fields) and h.score.error is None for h in cv.held_out
    )
    lines = [
        f"cross-validated by seller ({cv.folds} folds): every document scored by a model "
        "that never saw its seller",
        "",
        format_report(report, verbose=verbose),
        "",
        f"documents with every field right: {fully}/{len(cv.held_out)} "
        f"({fully / max(len(cv.held_out), 1):.1%})",
        *_by_kind(cv),
        "",
        "calibration (confidences fitted on the other folds):",
        "  confidence   values   mean conf   right",
    ]
    for label, n, mean, right in cv.calibration_table():
        lines.append(f"  {label:<11} {n:>7}   {mean:9.3f}   {right:6.1%}")
    threshold = cv.ok_threshold()
    lines.append("")
    if threshold >= 0.99:
        lines.append("status ok: no threshold reaches 97% precision")
    lines.append("status ok by threshold (all checks | identifier checksums set aside):")
    lines.append("  threshold   ok   right  precision |   ok   right  precision")
    readings = {p[0]: p for p in cv.ok_curve(printed_ids=False)}
    for t, n_ok, n_right, _ in cv.ok_curve():
        if t in (0.5, 0.7, 0.8, 0.9, 0.95, 0.99) or t == threshold:
            _, r_ok, r_right, _ = readings[t]
            mark = "  <- chosen" if t == threshold else ""
            lines.append(
                f"  {t:9.2f} {n_ok:4} {n_right:7} {n_right / max(n_ok, 1):9.1%}  |"
                f" {r_ok:4} {r_right:7} {r_right / max(r_ok, 1):9.1%}{mark}"
            )
    lines.append(f"  ({len(cv.held_out)} invoices)")
    return "\n".join(lines)
