"""What one corrected invoice teaches: header accuracy on a seller's other documents before and
after the seller memory learned from its first one, per field; and first-seen sellers (groups of
one document) with the memory on and off, which must not change.

    python benchmarks/learning.py [CORPUS] [--subset einvoice|plain|...]

A seller group is the truth's ``_meta.seller_group``, else its normalised seller name (as in
cross-validation). The first document of each group (sorted by path) is taught as a reviewed
invoice (every printed truth field confirmed); the others are read with only that lesson known.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from invoice_extractor.evaluation import find_cases
from invoice_extractor.learning import measure

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=CORPUS.resolve())
    parser.add_argument("--subset", default=None, help="a subset of eval (default: eval's)")
    args = parser.parse_args()
    report = measure(find_cases(args.corpus, args.subset))
    for line in report.lines():
        print(line)
    for case_id in report.first_seen_changed:
        print(f"  first-seen output changed: {case_id}")


if __name__ == "__main__":
    main()
