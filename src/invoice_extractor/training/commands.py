"""The ``train`` and ``eval --cross-validate`` commands (output on stdout, progress on stderr)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from ..evaluation import Case, find_cases, run_eval
from ..settings import Settings
from .crossval import cross_validate
from .dataset import LabelledDocument, label_documents, training_cases
from .train import default_model_path, format_cross_validation, train_model, write_model


def _label(
    cases: Sequence[Case], pools: Sequence[Path], settings: Settings, corpus_dir: Path
) -> tuple[list[LabelledDocument], list[LabelledDocument]]:
    """The documents to score, and the training-only pool: the e-invoice pools, and the
    corpus's receipts when they are not the documents scored (the ranker reads both kinds)."""
    print(f"labelling {len(cases)} documents ...", file=sys.stderr)
    corpus = label_documents(cases, "corpus", settings)
    scored = {c.input for c in cases}
    pool_cases = [c for p in pools for c in training_cases(p)]
    pool_cases += [c for c in find_cases(corpus_dir, "sroie") if c.input not in scored]
    print(f"labelling {len(pool_cases)} training-only documents ...", file=sys.stderr)
    return corpus, label_documents(pool_cases, "train", settings)


def cross_validate_command(
    corpus_dir: Path,
    cases: Sequence[Case],
    pools: Sequence[Path],
    folds: int,
    verbose: bool,
    settings: Settings,
) -> int:
    corpus, pool = _label(cases, pools, settings, corpus_dir)
    in_sample = run_eval(cases, "embedded", settings)
    cv = cross_validate(corpus, pool, folds, settings)
    print(format_cross_validation(cv, verbose=verbose))
    print()
    print(
        f"in-sample (the packaged model, trained on these documents too): header macro "
        f"{(in_sample.header_accuracy or 0.0):.1%}, line items F1 {in_sample.line_items.f1:.1%}"
    )
    return 0


def train_command(
    corpus_dir: Path, pools: Sequence[Path], folds: int, out: Path | None, settings: Settings
) -> int:
    corpus, pool = _label(find_cases(corpus_dir), pools, settings, corpus_dir)
    model, cv = train_model(corpus, pool, folds)
    path = out or default_model_path()
    write_model(model, path)
    print(format_cross_validation(cv))
    print(f"\nwrote {path} ({len(model.trees)} trees)")
    return 0
