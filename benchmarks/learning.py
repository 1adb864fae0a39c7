"""What one corrected invoice teaches: header accuracy on a seller's other documents before and
after the seller memory learned from its first one, per field; and first-seen sellers (groups of
one document) with the memory on and off, which must not change.

    python benchmarks/learning.py [CORPUS] [--subset einvoice|plain|...] [--held-out]

A seller group is the truth's ``_meta.seller_group``, else its normalised seller name (as in
cross-validation). The first document of each group (sorted by path) is taught as a reviewed
invoice (every printed truth field confirmed); the others are read with only that lesson known.
With ``--held-out`` each group is read by a ranker trained without it (the 5 folds of
``eval --cross-validate``; receipts left out of training): the engine meets the seller for the
first time, as on sealed sets. ``benchmarks/learning_web.py`` does the same through the web API.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from invoice_extractor.evaluation import Case, find_cases
from invoice_extractor.extract.embedded.ranker import RankerModel
from invoice_extractor.learning import measure
from invoice_extractor.training.crossval import assign_folds, training_rows
from invoice_extractor.training.dataset import label_documents, training_cases
from invoice_extractor.training.fit import fit_model

FOLDS = 5
CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=CORPUS.resolve())
    parser.add_argument("--subset", default=None, help="a subset of eval (default: eval's)")
    parser.add_argument("--held-out", action="store_true", help="rankers that never saw the group")
    args = parser.parse_args()
    cases = find_cases(args.corpus, args.subset)
    report = measure(cases, models=fold_models(args.corpus, cases) if args.held_out else None)
    for line in report.lines():
        print(line)
    for case_id in report.first_seen_changed:
        print(f"  first-seen read differently: {case_id}")


def fold_models(corpus: Path, cases: list[Case]) -> dict[str, RankerModel]:
    """Seller group -> the ranker trained on every other fold (and the training pool)."""
    corpus_docs = label_documents(cases, "corpus")
    pool = label_documents(training_cases(corpus.parent / "train"), "train")
    folds = assign_folds(corpus_docs, FOLDS)
    models: dict[str, RankerModel] = {}
    for fold in range(FOLDS):
        train = [d for d in [*corpus_docs, *pool] if folds.get(d.group) != fold]
        model = fit_model(*training_rows(train))
        models.update({group: model for group, f in folds.items() if f == fold})
    return models


if __name__ == "__main__":
    main()
