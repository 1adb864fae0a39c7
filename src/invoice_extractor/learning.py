"""Teaching the seller memory from truth files, and measuring what one lesson is worth.

``invoice-extractor learn FILE --truth FILE.json`` teaches one document as if a clerk had
reviewed it; ``benchmarks/learning.py`` teaches one document of every seller group of the corpus
and scores the group's other documents before and after (``measure``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .evaluation import Case, load_truth
from .extract.embedded.ranker import RankerModel, using_model
from .extract.embedded.seller_layout import LayoutBook, SellerMemory
from .extract.embedded.seller_memory import using_seller_memory
from .extract.embedded.seller_teach import lesson_from
from .extract.split import split_invoices
from .ingest.loader import load_file
from .model import HEADER_FIELDS
from .pipeline import extract_file
from .scoring import is_known_field, model_path, recommended_fields, score_case
from .settings import Settings
from .training.dataset import seller_group


def confirmed_from_truth(truth: Mapping[str, Any]) -> dict[str, Any]:
    """The header values a truth file confirms (those printed on the page), by field path."""
    return {
        model_path(name): truth[name]
        for name in recommended_fields(truth)
        if is_known_field(name) and model_path(name) in HEADER_FIELDS and name in truth
    }


def teach_file(
    path: Path, truth: Mapping[str, Any], memory: SellerMemory, settings: Settings
) -> list[str]:
    """Teach ``memory`` the layout of the first invoice in ``path``; the fields it learned."""
    document = load_file(
        path,
        max_pages=settings.max_pages,
        max_bytes=settings.max_file_mb * 1024 * 1024,
        ocr_engine=settings.ocr_engine,
    )
    groups = split_invoices(document)
    pages = next((g for g in groups if 1 in g), groups[0] if groups else [])
    if not pages:
        return []
    lesson = lesson_from(
        document,
        pages,
        confirmed_from_truth(truth),
        origin="learn",
        taught_at=datetime.now(UTC).date().isoformat(),
        taught_by=path.name,
    )
    memory.remember(lesson)
    return sorted(lesson.fields)


@dataclass(slots=True)
class Tally:
    """Right / scored per truth field."""

    right: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    scored: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, case: Case, truth: Mapping[str, Any], memory: SellerMemory | None) -> str:
        with using_seller_memory(memory):
            invoices = extract_file(case.input)
        score = score_case(case.id, truth, invoices)
        for result in score.fields:
            self.scored[result.field] += 1
            self.right[result.field] += int(result.correct)
        # What was read, without what says how (learned_from): a first-seen seller must match.
        return "".join(i.model_dump_json(exclude={"learned_from"}) for i in invoices)

    @property
    def accuracy(self) -> float:
        total = sum(self.scored.values())
        return sum(self.right.values()) / total if total else 0.0

    def of(self, name: str) -> float:
        return self.right[name] / self.scored[name] if self.scored[name] else 0.0


@dataclass(slots=True)
class LearningReport:
    groups: int = 0
    before: Tally = field(default_factory=Tally)
    after: Tally = field(default_factory=Tally)
    first_seen_off: Tally = field(default_factory=Tally)
    first_seen_on: Tally = field(default_factory=Tally)
    first_seen: int = 0
    first_seen_changed: list[str] = field(default_factory=list)  # values read differently

    def lines(self) -> Iterable[str]:
        yield f"seller groups with 2+ documents: {self.groups}"
        yield f"{'field':<22} {'n':>4} {'before':>8} {'after':>8}"
        for name in sorted(self.before.scored):
            n = self.before.scored[name]
            yield (f"{name:<22} {n:>4} {self.before.of(name):>8.3f} {self.after.of(name):>8.3f}")
        yield (
            f"{'header (micro)':<22} {sum(self.before.scored.values()):>4} "
            f"{self.before.accuracy:>8.3f} {self.after.accuracy:>8.3f}"
        )
        yield (
            f"first-seen sellers: memory off {self.first_seen_off.accuracy:.3f}, "
            f"on {self.first_seen_on.accuracy:.3f}, documents read differently: "
            f"{len(self.first_seen_changed)} of {self.first_seen} documents"
        )


def measure(
    cases: Sequence[Case],
    settings: Settings | None = None,
    models: Mapping[str, RankerModel] | None = None,
) -> LearningReport:
    """Per seller group of 2+ documents: teach the first, score the others without and with the
    memory; then score every single-document seller with the whole memory on and off.

    ``models`` (seller group -> ranker) runs each group with its own model: one that never saw
    the group (cross-validation folds), as for a seller first met in production."""
    settings = settings or Settings.model_validate({})
    groups: dict[str, list[tuple[Case, dict[str, Any]]]] = defaultdict(list)
    for case in cases:
        truth = load_truth(case.truth)
        groups[seller_group(truth)].append((case, truth))
    report = LearningReport()
    everyone = LayoutBook()
    singles: list[tuple[Case, dict[str, Any]]] = []
    for _, members in sorted(groups.items()):
        if len(members) < 2:
            singles.extend(members)
            continue
        report.groups += 1
        book = LayoutBook()
        teacher, truth = members[0]
        with _ranker(models, truth):
            teach_file(teacher.input, truth, book, settings)
            teach_file(teacher.input, truth, everyone, settings)
            for case, case_truth in members[1:]:
                report.before.add(case, case_truth, None)
                report.after.add(case, case_truth, book)
    report.first_seen = len(singles)
    for case, truth in singles:
        with _ranker(models, truth):
            off = report.first_seen_off.add(case, truth, None)
            on = report.first_seen_on.add(case, truth, everyone)
        if off != on:
            report.first_seen_changed.append(case.id)
    return report


def _ranker(
    models: Mapping[str, RankerModel] | None, truth: Mapping[str, Any]
) -> AbstractContextManager[None]:
    return using_model(models[seller_group(truth)]) if models is not None else nullcontext()
