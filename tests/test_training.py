"""Training and cross-validation: folds by seller, reproducible fits, labelled candidates, and a
small cross-validation on real corpus documents (skipped without ../shared/corpus)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from invoice_extractor.evaluation import Case, find_cases
from invoice_extractor.extract.embedded.features import FEATURES
from invoice_extractor.training.crossval import assign_folds, cross_validate
from invoice_extractor.training.dataset import LabelledDocument, label_documents, seller_group
from invoice_extractor.training.fit import fit_model

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason="../shared/corpus is not beside the checkout"
)


def _doc(group: str, n: int) -> LabelledDocument:
    return LabelledDocument(Case(Path(f"{group}-{n}.pdf"), Path("t.json")), group, {}, "corpus")


def test_folds_keep_each_seller_whole_and_are_reproducible() -> None:
    docs = [_doc(f"g{g}", n) for g in range(12) for n in range(1 + g % 4)]
    folds = assign_folds(docs, 5)
    assert folds == assign_folds(list(reversed(docs)), 5)
    assert set(folds.values()) == set(range(5))
    sizes = [sum(1 for d in docs if folds[d.group] == k) for k in range(5)]
    assert max(sizes) - min(sizes) <= 4  # balanced by documents, not by groups


def test_seller_group_from_the_name_else_the_source() -> None:
    assert seller_group({"seller_name": "ACME GmbH"}) == seller_group({"seller_name": "acme gmbh "})
    assert seller_group({"_meta": {"source_repo": "x/y"}}) == "source:x/y"


def _rows(seed: int) -> tuple[list[list[float]], list[bool]]:
    rng = random.Random(seed)
    rule = FEATURES.index("rule_score")
    rows, labels = [], []
    for _ in range(400):
        row = [0.0] * len(FEATURES)
        row[rule] = rng.random()
        row[FEATURES.index("y")] = rng.random()
        rows.append(row)
        labels.append(row[rule] + 0.2 * rng.random() > 0.7)
    return rows, labels


def test_fits_are_reproducible_and_learn_the_signal() -> None:
    first, second = fit_model(*_rows(1)), fit_model(*_rows(1))
    assert first.trees == second.trees and first.trees
    rule = FEATURES.index("rule_score")
    high, low = [0.0] * len(FEATURES), [0.0] * len(FEATURES)
    high[rule], low[rule] = 0.95, 0.2
    assert first.probability(high) > 0.8 > 0.2 > first.probability(low)


@needs_corpus
def test_corpus_documents_are_labelled_and_cross_validated_by_seller() -> None:
    cases = find_cases(CORPUS, "parsee")[:8]
    docs = label_documents(cases, "corpus")
    assert all(d.rows for d in docs)
    # Every labelled field has one right candidate at most per value, and some are right.
    assert any(label for d in docs for rows in d.rows.values() for _, label in rows)
    cv = cross_validate(docs, (), k=2)
    assert sorted(h.score.case_id for h in cv.held_out) == sorted(c.id for c in cases)
    folds = assign_folds(docs, 2)
    # A document was scored by the fold that held its seller out.
    assert all(
        h.fold == folds[d.group]
        for h, d in zip(cv.held_out, sorted(docs, key=lambda d: folds[d.group]), strict=True)
    )
    table = cv.calibration_table()
    assert sum(n for _, n, _, _ in table) > 0


def test_train_command_writes_the_same_model_twice(tmp_path: Path) -> None:
    """`invoice-extractor train` on a small synthetic corpus: a model file the engine loads,
    byte for byte the same on a second run (fixed seed, one thread, sorted keys)."""
    from invoice_extractor.cli import main
    from invoice_extractor.extract.embedded.ranker import RankerModel
    from invoice_extractor.training.synth import write_synthetic

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_synthetic(corpus, 15, seed=3)
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    for out in (first, second):
        assert main(["train", str(corpus), "--folds", "3", "--out", str(out)]) == 0
    assert first.read_bytes() == second.read_bytes()
    model = RankerModel.from_json(json.loads(first.read_text(encoding="utf-8")))
    assert model.trees and model.calibration and model.info["documents"]["corpus"] == 15
