"""Measure the extraction engine on the corpus: accuracy per field, line items, speed and memory.

``find_cases`` lists the documents that have a truth file, ``run_eval`` runs the one pipeline on
each in this process and scores it (rules in ``scoring``), ``format_report`` prints what engineers
tune the engine with; ``EvalReport.to_dict`` is the same as JSON, for comparing runs.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .corpus import Case as Case
from .corpus import find_cases as find_cases
from .corpus import load_truth as load_truth
from .model import Invoice
from .progress import Progress
from .scoring import CaseScore, ItemCounts, field_order, score_case
from .settings import Settings

# --- report -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldStats:
    field: str
    n: int
    correct: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0


@dataclass(frozen=True, slots=True)
class EvalReport:
    """Scores of every document plus the run's cost; every figure is derived from these."""

    cases: list[CaseScore]
    extractor: str
    pages: int
    seconds: float
    peak_rss_mb: float

    @property
    def documents(self) -> int:
        return len(self.cases)

    @property
    def failed(self) -> list[CaseScore]:
        return [case for case in self.cases if case.error is not None]

    @property
    def fields(self) -> list[FieldStats]:
        counts: dict[str, list[int]] = {}
        for case in self.cases:
            for result in case.fields:
                n_correct = counts.setdefault(result.field, [0, 0])
                n_correct[0] += 1
                n_correct[1] += result.correct
        return [FieldStats(name, *counts[name]) for name in sorted(counts, key=field_order)]

    @property
    def header_accuracy(self) -> float | None:
        """Macro accuracy: the mean of the per-field accuracies (each field weighs the same)."""
        scored = [stats.accuracy for stats in self.fields if stats.n]
        return sum(scored) / len(scored) if scored else None

    @property
    def line_item_documents(self) -> int:
        return sum(case.items is not None for case in self.cases)

    @property
    def line_items(self) -> ItemCounts:
        return sum((case.items for case in self.cases if case.items), ItemCounts())

    @property
    def documents_per_second(self) -> float:
        return self.documents / self.seconds if self.seconds > 0 else 0.0

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        items = self.line_items
        return {
            "extractor": self.extractor,
            "documents": self.documents,
            "pages": self.pages,
            "failed": len(self.failed),
            "seconds": round(self.seconds, 3),
            "documents_per_second": round(self.documents_per_second, 3),
            "pages_per_second": round(self.pages_per_second, 3),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "header_accuracy": _round(self.header_accuracy),
            "fields": [
                {"field": s.field, "n": s.n, "correct": s.correct, "accuracy": _round(s.accuracy)}
                for s in self.fields
            ],
            "line_items": {
                "documents": self.line_item_documents,
                "expected": items.expected,
                "predicted": items.predicted,
                "matched": items.matched,
                "precision": _round(items.precision),
                "recall": _round(items.recall),
                "f1": _round(items.f1),
            },
            "cases": [_case_dict(case) for case in self.cases],
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _case_dict(case: CaseScore) -> dict[str, Any]:
    return {
        "id": case.case_id,
        "error": case.error,
        "fields": [
            {"field": r.field, "expected": r.expected, "got": r.got, "correct": r.correct}
            for r in case.fields
        ],
        "line_items": None
        if case.items is None
        else {
            "expected": case.items.expected,
            "predicted": case.items.predicted,
            "matched": case.items.matched,
            "missed": case.missed_items,
            "extra": case.extra_items,
        },
    }


# --- run --------------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes vs KB


def run_eval(
    cases: Sequence[Case],
    extractor: str | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> EvalReport:
    """Extract every case with the pipeline, in this process, and score it.

    Raises ``UnknownExtractor`` (from the pipeline, before any work) for a bad extractor name.
    """
    # Imported here so that discovery, scoring and reports work without the extraction stack.
    from . import pipeline

    settings = settings or Settings.model_validate({})
    truths = [load_truth(case.truth) for case in cases]  # read first: the clock times extraction
    results: list[list[Invoice]] = []
    start = time.perf_counter()
    for position, case in enumerate(cases, start=1):
        if progress is not None:
            progress(position, len(cases), case.id)
        results.append(pipeline.extract_file(case.input, settings=settings, extractor=extractor))
    seconds = time.perf_counter() - start
    return EvalReport(
        cases=[
            score_case(case.id, truth, invoices, all_fields=case.exact)
            for case, truth, invoices in zip(cases, truths, results, strict=True)
        ],
        extractor=extractor or settings.extractor,
        # A file counts at least one page, so a failed file still weighs in pages/s.
        pages=sum(max(1, sum(len(inv.pages) for inv in invoices)) for invoices in results),
        seconds=seconds,
        peak_rss_mb=peak_rss_mb(),
    )


# --- text -------------------------------------------------------------------------------------


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Aligned columns: the first left-aligned, the others (numbers) right-aligned."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [
            row[0].ljust(widths[0]),
            *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)),
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def format_report(report: EvalReport, *, verbose: bool = False) -> str:
    """The report as aligned text; ``verbose`` adds every wrong value, by document."""
    rows = [[s.field, str(s.n), str(s.correct), _percent(s.accuracy)] for s in report.fields]
    rows.append(["header (macro)", "", "", _percent(report.header_accuracy)])
    lines = _table(["field", "n", "correct", "accuracy"], rows)
    lines += [
        "",
        *_line_item_table(report),
        "",
        f"extractor {report.extractor}: {report.documents} documents, {report.pages} pages, "
        f"{len(report.failed)} failed",
        f"{report.seconds:.2f} s, {report.documents_per_second:.2f} documents/s, "
        f"{report.pages_per_second:.2f} pages/s, peak RSS {report.peak_rss_mb:.0f} MB",
    ]
    if verbose:
        lines += _wrong_values(report.cases)
    return "\n".join(lines)


def _line_item_table(report: EvalReport) -> list[str]:
    if not report.line_item_documents:
        return ["line items: none in the truth files of these documents"]
    items = report.line_items
    row = [
        "",
        str(report.line_item_documents),
        str(items.expected),
        str(items.predicted),
        str(items.matched),
        # "-" where nothing was predicted: 0% would read as "all wrong"
        _percent(items.precision if items.predicted else None),
        _percent(items.recall),
        _percent(items.f1),
    ]
    return _table(["line items", "docs", "expected", "predicted", "matched", "P", "R", "F1"], [row])


def _show(value: str | None) -> str:
    return "None" if value is None else repr(value)  # quotes make stray spaces and \n visible


def _wrong_values(cases: Sequence[CaseScore]) -> list[str]:
    lines: list[str] = []
    for case in cases:
        rows = [
            [r.field, "expected " + _show(r.expected), "got " + _show(r.got)]
            for r in case.fields
            if not r.correct
        ]
        rows += [["line_items", "missed " + item, ""] for item in case.missed_items]
        rows += [["line_items", "extra " + item, ""] for item in case.extra_items]
        if not rows and case.error is None:
            continue
        lines += ["", case.case_id]
        if case.error is not None:
            lines.append(f"  FAILED: {case.error}")
        width = [max(len(row[i]) for row in rows) for i in range(2)] if rows else [0, 0]
        lines += [f"  {f.ljust(width[0])}  {e.ljust(width[1])}  {g}".rstrip() for f, e, g in rows]
    if lines:
        lines[0:0] = ["", "wrong values, by document:"]
    return lines
