"""Fitting the ranker's trees: LightGBM, one thread, a fixed seed, deterministic.

LightGBM is used only here (the ``train`` extra); its dump is converted to the nested lists the
engine reads without it (``extract/embedded/ranker.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..extract.embedded.features import FEATURES
from ..extract.embedded.ranker import RankerModel, Tree

SEED = 20261201
PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.03,
    "num_leaves": 15,
    "min_data_in_leaf": 30,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.9,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "seed": SEED,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 1,
    "verbose": -1,
}
ROUNDS = 200


def fit_trees(rows: Sequence[Sequence[float]], labels: Sequence[bool]) -> tuple[Tree, ...]:
    try:
        import lightgbm as lgb
        import numpy as np
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise RuntimeError("training needs LightGBM: pip install -e '.[train]'") from exc
    data = lgb.Dataset(
        np.asarray(rows, dtype=np.float64),
        label=np.asarray(labels, dtype=np.float64),
        feature_name=[f"f{i}" for i in range(len(FEATURES))],
        free_raw_data=True,
    )
    booster = lgb.train(PARAMS, data, num_boost_round=ROUNDS)
    dump = booster.dump_model()
    return tuple(_tree(t["tree_structure"]) for t in dump["tree_info"])


def _tree(node: dict[str, Any]) -> Tree:
    if "leaf_value" in node:
        return round(float(node["leaf_value"]), 6)
    if node.get("decision_type", "<=") != "<=":
        raise ValueError(f"unsupported split {node.get('decision_type')!r}")
    # Features are never missing (every row has every column), so default_left never applies.
    return [
        int(node["split_feature"]),
        float(node["threshold"]),
        _tree(node["left_child"]),
        _tree(node["right_child"]),
    ]


MIN_SLIP_ROWS = 200  # fewer till-slip candidates than this: slips share the invoices' trees
_SLIP = FEATURES.index("receipt")


def fit_model(rows: Sequence[Sequence[float]], labels: Sequence[bool]) -> RankerModel:
    """Trees for invoices, and trees of their own for till slips when there are enough."""
    pages = [(r, y) for r, y in zip(rows, labels, strict=True) if r[_SLIP] <= 0.5]
    slips = [(r, y) for r, y in zip(rows, labels, strict=True) if r[_SLIP] > 0.5]
    trees = fit_trees([r for r, _ in pages], [y for _, y in pages])
    slip_trees: tuple[Tree, ...] = ()
    if len(slips) >= MIN_SLIP_ROWS:
        slip_trees = fit_trees([r for r, _ in slips], [y for _, y in slips])
    return RankerModel(FEATURES, trees, slip_trees=slip_trees)
