"""The learned ranker: gradient-boosted trees over candidate features, and its calibration.

The model file (``ranker_model.json`` beside this module) is data: written by
``invoice-extractor train`` (``training/train.py``) from labelled documents, read here with no
machine-learning library at all, once per process. A tree is a nested list ``[feature,
threshold, left, right]`` whose leaves are numbers (LightGBM's ``<=`` splits); the probability
is the logistic of the summed leaves. Calibration maps a raw probability to the share of values
that were right at that probability on sellers held out in training (isotonic, per kind).
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any

from ...model import HEADER_FIELDS, Invoice
from .features import FEATURES

MODEL_FILE = "ranker_model.json"
Tree = list[Any] | float


@dataclass(frozen=True, slots=True)
class Calibration:
    """A monotone step map from raw score to probability (pool adjacent violators)."""

    xs: tuple[float, ...]
    ys: tuple[float, ...]

    def __call__(self, raw: float) -> float:
        if not self.xs:
            return raw
        at = bisect.bisect_right(self.xs, raw) - 1
        return self.ys[max(at, 0)]

    def to_json(self) -> list[list[float]]:
        return [list(self.xs), list(self.ys)]


@dataclass(frozen=True, slots=True)
class RankerModel:
    features: tuple[str, ...]
    trees: tuple[Tree, ...]
    calibration: dict[str, Calibration] = field(default_factory=dict)
    # Invoices whose key fields all clear this confidence are fully right >= 97% of the time
    # (chosen under cross-validation by seller when the model was trained).
    ok_threshold: float = 0.9
    info: dict[str, Any] = field(default_factory=dict)

    def probability(self, row: Sequence[float]) -> float:
        raw = sum(_leaf(tree, row) for tree in self.trees)
        return 1.0 / (1.0 + math.exp(-max(min(raw, 35.0), -35.0)))

    def calibrated(self, key: str, raw: float) -> float:
        cal = self.calibration.get(key) or self.calibration.get(POOLED)
        return round(cal(raw) if cal is not None else raw, 4)

    def calibrate(self, invoice: Invoice) -> None:
        """Turn every header field's raw score (the ranker's probability, or a rule's own
        score) into the share of such values that were right on held-out sellers."""
        for path, ev in invoice.evidence.items():
            if path in HEADER_FIELDS:
                key = calibration_key(path, invoice)
                ev.confidence = round(min(max(self.calibrated(key, ev.confidence), 0.0), 1.0), 2)

    def uncertain(self, invoice: Invoice) -> list[tuple[str, float]]:
        """The header fields found whose confidence is below the ``ok`` threshold."""
        return [
            (path, ev.confidence)
            for path, ev in invoice.evidence.items()
            if path in HEADER_FIELDS
            and invoice.get_path(path) is not None
            and ev.confidence < self.ok_threshold
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": 1,
            "features": list(self.features),
            "trees": list(self.trees),
            "calibration": {k: c.to_json() for k, c in sorted(self.calibration.items())},
            "ok_threshold": self.ok_threshold,
            "info": self.info,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RankerModel:
        features = tuple(data["features"])
        if features != FEATURES:
            raise ValueError(
                "ranker model was trained on other features: run invoice-extractor train"
            )
        return cls(
            features,
            tuple(data["trees"]),
            {k: Calibration(tuple(v[0]), tuple(v[1])) for k, v in data["calibration"].items()},
            float(data["ok_threshold"]),
            dict(data.get("info", {})),
        )


POOLED = "*"  # the calibration of keys with too few examples of their own
_SUMS = frozenset({"subtotal", "tax_exclusive_total", "tax_total", "total"})


def calibration_key(path: str, invoice: Invoice) -> str:
    """Totals that add up (net + tax = total) are right far more often: calibrated apart."""
    if path in _SUMS:
        net = invoice.tax_exclusive_total if invoice.tax_exclusive_total is not None else None
        net = net if net is not None else invoice.subtotal
        tax, total = invoice.tax_total, invoice.total
        if net is not None and tax is not None and total is not None:
            return path + ("+" if abs(net + tax - total) <= Decimal("0.01") else "-")
    return path


def _leaf(tree: Tree, row: Sequence[float]) -> float:
    node = tree
    while isinstance(node, list):
        feature, threshold, left, right = node
        node = left if row[feature] <= threshold else right
    return float(node)


def isotonic(points: Sequence[tuple[float, bool]]) -> Calibration:
    """Pool adjacent violators over (raw score, was right) pairs: a monotone step function."""
    blocks: list[list[float]] = []  # [first x, sum of y, count]
    for x, right in sorted(points):
        blocks.append([x, float(right), 1.0])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
            _, s1, n1 = blocks.pop()
            blocks[-1][1] += s1
            blocks[-1][2] += n1
    xs = tuple(round(b[0], 6) for b in blocks)
    ys = tuple(round(b[1] / b[2], 4) for b in blocks)
    return Calibration(xs, ys)


_override: list[RankerModel | None] = []


@lru_cache(maxsize=1)
def _packaged() -> RankerModel | None:
    path = resources.files(__package__).joinpath(MODEL_FILE)
    if not path.is_file():
        return None
    return RankerModel.from_json(json.loads(path.read_text(encoding="utf-8")))


def active_model() -> RankerModel | None:
    """The model in use: one set by ``using_model`` (training, cross-validation), else the
    packaged one, else none (the rules' own scores decide)."""
    return _override[-1] if _override else _packaged()


@contextmanager
def using_model(model: RankerModel | None) -> Iterator[None]:
    _override.append(model)
    try:
        yield
    finally:
        _override.pop()
