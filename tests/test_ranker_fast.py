"""The ranking stage's shortcuts give what the plain way gives: the feature rows of a document's
fields built sharing what their candidates share, and the trees compiled into one function
summing the very floats that walking them sums."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import pytest

from invoice_extractor.extract.embedded.candidates import collect_candidates
from invoice_extractor.extract.embedded.context import DocumentContext
from invoice_extractor.extract.embedded.features import (
    FEATURES,
    KINDS,
    document_features,
    field_features,
)
from invoice_extractor.extract.embedded.ranker import active_model, compile_trees, leaf_sum
from invoice_extractor.extract.embedded.text import fold
from test_ranker import INVOICE, page

# A page whose names are proposed for both parties, by several rules, one repeated in the footer;
# the total is also the amount due.
PARTIES = [
    *INVOICE,
    (50, 52, "Industriestraße 9"),
    (50, 64, "80331 München"),
    (50, 76, "USt-IdNr. DE123456789"),
    (50, 436, "Amount due 119.00"),
    (50, 780, "ACME Trading GmbH Registergericht München"),
]


def test_a_documents_rows_are_each_fields_own_rows() -> None:
    ctx = DocumentContext.build([page(PARTIES)])
    found = collect_candidates(ctx)
    shared = document_features(ctx, found)
    alone = {name: field_features(ctx, name, cands, found) for name, cands in found.items()}
    assert shared == alone
    # A value another field of the kind proposes (by a rule that reads a label), as defined.
    same = FEATURES.index("other_field_same")
    for name, cands in found.items():
        kind = KINDS.get(name, "amount")
        others = {
            fold(c.value) if isinstance(c.value, str) else str(c.value)
            for other, rivals in found.items()
            if other != name and KINDS.get(other, "amount") == kind
            for c in rivals
            if c.source not in ("letterhead", "window", "postcode_block")
        }
        key = [fold(c.value) if isinstance(c.value, str) else str(c.value) for c in cands]
        assert [row[same] for row in shared[name]] == [float(k in others) for k in key]
    assert any(row[same] for rows in shared.values() for row in rows)
    # Names both parties share were among them, and the costly party columns were measured.
    sellers = {c.value for c in found["seller.name"]}
    assert sellers & {c.value for c in found["buyer.name"]}
    footer, address = FEATURES.index("footer_repeat"), FEATURES.index("address_below")
    assert any(row[footer] == 1.0 and row[address] > 0 for row in shared["seller.name"])


def test_a_column_no_tree_reads_is_not_measured() -> None:
    ctx = DocumentContext.build([page(PARTIES)])
    found = collect_candidates(ctx)
    footer = FEATURES.index("footer_repeat")
    everything = document_features(ctx, found)
    read = document_features(ctx, found, frozenset(range(len(FEATURES))) - {footer})
    for name, rows in everything.items():
        expected = [[0.0 if i == footer else v for i, v in enumerate(row)] for row in rows]
        assert read[name] == expected


def _thresholds(trees: Any) -> dict[int, list[float]]:
    found: dict[int, list[float]] = {}
    pending = list(trees)
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            found.setdefault(node[0], []).append(node[1])
            pending += node[2:]
    return found


def _row(rng: random.Random, thresholds: dict[int, list[float]]) -> list[float]:
    """A row of exact ties with split thresholds, missing values (NaN), signed zeros, infinities
    and arbitrary numbers."""
    specials = (math.nan, -0.0, 0.0, math.inf, -math.inf, 1.0)
    return [
        rng.choice(thresholds.get(i, [0.5]))
        if rng.random() < 0.4
        else rng.choice(specials)
        if rng.random() < 0.3
        else rng.uniform(-3, 60)
        for i in range(len(FEATURES))
    ]


def test_the_model_names_the_columns_its_trees_read() -> None:
    model = active_model()
    assert model is not None
    read = set(_thresholds(model.trees))
    assert model.columns(receipt=False) == read and len(read) < len(FEATURES)
    slip = set(_thresholds(model.slip_trees)) if model.slip_trees else read
    assert model.columns(receipt=True) == slip


def test_a_documents_rows_are_scored_as_each_row_alone() -> None:
    model = active_model()
    assert model is not None
    ctx = DocumentContext.build([page(PARTIES)])
    found = collect_candidates(ctx)
    rows = document_features(ctx, found)["seller.name"]
    receipt = FEATURES.index("receipt")
    slips = [[1.0 if i == receipt else v for i, v in enumerate(row)] for row in rows]
    for slip, table in ((False, rows), (True, slips)):
        expected = [
            1 / (1 + math.exp(-leaf_sum(model.slip_trees if slip else model.trees, r)))
            for r in table
        ]
        assert model.probabilities(table, slip) == [model.probability(r) for r in table]
        assert model.probabilities(table, slip) == pytest.approx(expected, abs=1e-12)


def test_the_compiled_model_sums_the_walked_leaves_bit_for_bit() -> None:
    model = active_model()
    assert model is not None
    rng = random.Random(11)
    for trees in (model.trees, model.slip_trees):
        function, thresholds = compile_trees(trees), _thresholds(trees)
        for _ in range(300):
            row = _row(rng, thresholds)
            assert repr(function(row)) == repr(leaf_sum(trees, row))


def _tree(rng: random.Random, depth: int) -> Any:
    if depth == 0 or rng.random() < 0.2:
        return rng.choice((-0.0, 0.0, rng.uniform(-1, 1), 1e-17, -3.5))
    feature = rng.randrange(len(FEATURES))
    threshold = rng.choice((0.5, -0.0, rng.uniform(-2, 40), math.inf, -math.inf, math.nan))
    return [feature, threshold, _tree(rng, depth - 1), _tree(rng, depth - 1)]


@pytest.mark.parametrize("count", [0, 1, 49, 50, 51, 137])
def test_any_trees_compile_to_the_walked_sum(
    count: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Trees of every shape (a lone leaf, infinite and NaN thresholds, signed zero leaves), more
    of them than one statement sums: the same float as walking them, cached or not."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    rng = random.Random(count)
    trees = [_tree(rng, 6) for _ in range(count)]
    finite = [
        tree
        for tree in (_tree(rng, 6) for _ in range(count))
        if all(math.isfinite(x) for xs in _thresholds([tree]).values() for x in xs)
    ]
    for forest in (trees, finite, finite):  # the second compile of ``finite`` reads the cache
        function, thresholds = compile_trees(forest), _thresholds(forest)
        for _ in range(100):
            row = _row(rng, thresholds)
            assert repr(function(row)) == repr(leaf_sum(forest, row))
    assert list((tmp_path / "invoice-extractor").glob("*.marshal"))


def test_the_packaged_trees_are_cached_under_the_files_digest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The packaged model's compiled trees are named by the model file's digest: the trees are
    not written out again as the cache key, and they score as the same trees made in memory."""
    import dataclasses
    import hashlib
    from importlib import resources

    from invoice_extractor.extract.embedded import ranker

    ranker.packaged_model.cache_clear()
    model = ranker.packaged_model()
    assert model is not None
    data = resources.files(ranker.__package__).joinpath(ranker.MODEL_FILE).read_bytes()
    assert model.source == "sha256:" + hashlib.sha256(data).hexdigest()
    in_memory = dataclasses.replace(model, source="")
    assert in_memory == model and in_memory.source == ""

    def no_key_written(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("the trees were written out as a cache key")

    monkeypatch.setattr(ranker.json, "dumps", no_key_written)
    rows = [[random.Random(seed).uniform(-1, 2) for _ in FEATURES] for seed in range(20)]
    scored = model.probabilities(rows, receipt=False)
    monkeypatch.undo()
    assert scored == in_memory.probabilities(rows, receipt=False)
    ranker.packaged_model.cache_clear()
