"""The learned ranker: gradient-boosted trees over candidate features, and its calibration.

The model file (``ranker_model.json`` beside this module) is data: written by
``invoice-extractor train`` (``training/train.py``) from labelled documents, read here with no
machine-learning library at all, once per process. A tree is a nested list ``[feature,
threshold, left, right]`` whose leaves are numbers (LightGBM's ``<=`` splits); the probability
is the logistic of the summed leaves. Calibration maps a raw probability to the share of values
that were right at that probability on sellers held out in training (Platt, per field).
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ...model import HEADER_FIELDS, Evidence, Invoice
from .code_cache import compile_made, data_made
from .features import FEATURES

MODEL_FILE = "ranker_model.json"
Tree = list[Any] | float


@dataclass(frozen=True, slots=True)
class Calibration:
    """A monotone step map from raw score to probability."""

    xs: tuple[float, ...]
    ys: tuple[float, ...]

    def __call__(self, raw: float) -> float:
        if not self.xs:
            return raw
        at = bisect.bisect_right(self.xs, raw) - 1
        return self.ys[max(at, 0)]

    def to_json(self) -> list[list[float]]:
        return [list(self.xs), list(self.ys)]


@dataclass(frozen=True)
class RankerModel:
    features: tuple[str, ...]
    trees: tuple[Tree, ...]
    calibration: dict[str, Calibration] = field(default_factory=dict)
    # Invoices whose key fields all clear this confidence are fully right >= 97% of the time
    # (chosen under cross-validation by seller when the model was trained).
    ok_threshold: float = 0.9
    info: dict[str, Any] = field(default_factory=dict)
    # Till slips are another world (merchant on top, payment lines): trees of their own.
    slip_trees: tuple[Tree, ...] = ()
    # The digest of the model file the trees were read from: it names their compiled code in
    # the cache, so a process need not write the trees out again as a key ("" for a model made
    # in memory, whose trees are their own key).
    source: str = field(default="", compare=False, repr=False)

    def probability(self, row: Sequence[float]) -> float:
        return self.probabilities([row], row[_SLIP] > 0.5)[0]

    def probabilities(self, rows: Sequence[Sequence[float]], receipt: bool) -> list[float]:
        """``probability`` of each of a document's rows (``receipt``: the document is a till
        slip, as each row's ``receipt`` column says)."""
        leaf_sum = (self._slip_sum if self.slip_trees and receipt else self._sum)[0]
        exp = math.exp
        return [1.0 / (1.0 + exp(-max(min(leaf_sum(row), 35.0), -35.0))) for row in rows]

    def columns(self, receipt: bool) -> frozenset[int]:
        """The feature columns the trees that score a document's rows read (the slip trees for
        a till slip): features it need not measure are the others."""
        return (self._slip_sum if self.slip_trees and receipt else self._sum)[1]

    @cached_property
    def _sum(self) -> CompiledTrees:
        return compiled_trees(self.trees, len(self.features), self._named("trees"))

    @cached_property
    def _slip_sum(self) -> CompiledTrees:
        return compiled_trees(self.slip_trees, len(self.features), self._named("slip_trees"))

    def _named(self, part: str) -> str | None:
        return f"{self.source}:{part}" if self.source else None

    def calibrated(self, key: str, raw: float) -> float:
        cal = calibration_for(self.calibration, key)
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
            "slip_trees": list(self.slip_trees),
            "calibration": {k: c.to_json() for k, c in sorted(self.calibration.items())},
            "ok_threshold": self.ok_threshold,
            "info": self.info,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], source: str = "") -> RankerModel:
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
            tuple(data.get("slip_trees", ())),
            source,
        )


_SLIP = FEATURES.index("receipt")
POOLED = "*"  # the calibration of keys with too few examples of their own
_SUMS = frozenset({"subtotal", "tax_exclusive_total", "tax_total", "total"})


def calibration_key(path: str, invoice: Invoice) -> str:
    """Totals that add up (net + tax = total) are right far more often: calibrated apart."""
    if path in _SUMS:
        net = invoice.tax_exclusive_total
        net = net if net is not None else invoice.subtotal
        tax, total = invoice.tax_total, invoice.total
        if net is not None and tax is not None and total is not None:
            return path + ("+" if abs(net + tax - total) <= Decimal("0.01") else "-")
    if path in _PARTY_IDS:
        name, ident = invoice.evidence.get(path), invoice.evidence.get(_PARTY_IDS[path])
        return path + ("+" if name and ident and _in_block(name, ident) else "-")
    return path


def field_of(key: str) -> str:
    """The field a calibration key belongs to ("total+" -> "total")."""
    return key.rstrip("+-")


def calibration_for(calibrations: dict[str, Calibration], key: str) -> Calibration | None:
    """The key's own calibration, else its field's (every value of the field), else the pooled
    one: a split key with few examples falls back to its own field before all fields."""
    return calibrations.get(key) or calibrations.get(field_of(key)) or calibrations.get(POOLED)


# A party's name is right far more often when its own VAT id stands in the block it heads.
_PARTY_IDS = {"seller.name": "seller.vat_id", "buyer.name": "buyer.vat_id"}
_BLOCK_HEIGHTS = 12  # how far below the name (in its line heights) its block may reach


def _in_block(name: Evidence, ident: Evidence) -> bool:
    """Whether ``ident`` stands in the block under ``name``: below it on its page, within a
    few lines, starting in the name's column (a label such as "VAT:" may stand before it)."""
    x0, _, x1, y1 = name.bbox
    height = max(name.bbox[3] - name.bbox[1], 4.0)
    ix0, iy0, _, _ = ident.bbox
    return (
        ident.page == name.page
        and 0.0 <= iy0 - y1 <= _BLOCK_HEIGHTS * height
        and x0 - 2 * height <= ix0 <= max(x1, x0 + 15 * height)
    )


def leaf_sum(trees: Sequence[Tree], row: Sequence[float]) -> float:
    """The trees' summed leaves for one row, by walking them (the reference for compile_trees)."""
    total = 0.0
    for node in trees:
        while isinstance(node, list):
            feature, threshold, left, right = node
            node = left if row[feature] <= threshold else right
        total += float(node)
    return total


def compile_trees(
    trees: Sequence[Tree], width: int = len(FEATURES)
) -> Callable[[Sequence[float]], float]:
    """The trees as one Python function of nested comparisons over rows of ``width`` columns:
    ten times faster than walking them, and the ranker scores thousands of candidates per
    corpus run."""
    return compiled_trees(trees, width)[0]


# The function summing the trees' leaves for a row, and the columns the trees read.
CompiledTrees = tuple[Callable[[Sequence[float]], float], frozenset[int]]


def compiled_trees(trees: Sequence[Tree], width: int, name: str | None = None) -> CompiledTrees:
    """``compile_trees``'s function and the columns the trees read. The compiled code is cached
    (``code_cache``) under the trees (or ``name``, which stands for them: the digest of the
    file they were read from) and the code that writes the source, so a process that finds it
    there neither writes nor compiles the source (tens of milliseconds of every CLI run), nor
    walks the trees for their columns (the code holds them)."""
    writer = _writer()
    trees_key = ""
    try:
        # JSON is exact for these ints and floats (repr), and C-fast to write.
        trees_key = name or json.dumps(trees, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):  # not a model file's values: not cached
        writer = None
    if writer is None:
        code = compile(_trees_source(trees, width), "<ranker trees>", "exec")
    else:
        key = f"<ranker trees>\0{writer}\0{width}\0{trees_key}"
        code = compile_made(key, "<ranker trees>", lambda: _trees_source(trees, width))
    namespace: dict[str, Any] = {"inf": math.inf, "nan": math.nan}
    exec(code, namespace)
    return namespace["leaf_sum"], frozenset(namespace["COLUMNS"])


@lru_cache(maxsize=1)
def _writer() -> str | None:
    """The digest of this module's source, which holds the code writing the trees' source: an
    edited writer is another cache entry. None where the file cannot be read (a zipped
    install): the trees are then compiled in every process."""
    try:
        return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    except OSError:
        return None


_TERMS = 50  # trees summed per statement: a longer expression nests deeper when compiled


def _trees_source(trees: Sequence[Tree], width: int) -> str:
    """The source of ``COLUMNS`` (the columns the trees read) and ``leaf_sum(r)``: the row
    unpacked into local variables at once (cheaper to test than ``r[i]``), each tree a nested
    conditional expression (``a if f3 <= 0.5 else b``) whose value is its leaf, the leaves
    added in the trees' order from 0.0 (``s + t1 + t2`` adds left to right), so the sum is the
    same float as ``leaf_sum``'s. The source is made only of ints and floats from the model
    file (each checked by type), never of its text."""
    columns = sorted({int(node[0]) for tree in trees for node in _splits(tree)})
    lines = [f"COLUMNS = {tuple(columns)!r}", "", "def leaf_sum(r):"]
    if width:  # the trailing comma makes a one-column row unpack too
        lines.append(f"    {', '.join(f'f{i}' for i in range(width))}, = r")
    lines.append("    s = 0.0")
    for start in range(0, len(trees), _TERMS):
        terms = " + ".join(_expression(tree) for tree in trees[start : start + _TERMS])
        lines.append(f"    s = s + {terms}")
    lines.append("    return s")
    return "\n".join(lines)


def _expression(node: Tree) -> str:
    """A tree as a conditional expression: its splits are LightGBM's ``<=``, NaN goes right."""
    if not isinstance(node, list):
        return _literal(float(node))
    feature, threshold = int(node[0]), _literal(float(node[1]))
    left, right = _expression(node[2]), _expression(node[3])
    return f"({left} if f{feature} <= {threshold} else {right})"


def _literal(value: float) -> str:
    """The float's exact source: its repr, or a name the function's namespace binds."""
    return repr(value) if math.isfinite(value) else repr(value).replace("inf", "(inf)")


def _splits(node: Tree) -> Iterator[list[Any]]:
    """Every split node of a tree."""
    pending = [node]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            yield node
            pending += (node[2], node[3])


def platt(points: Sequence[tuple[float, bool]]) -> Calibration:
    """A logistic map of the raw score's log-odds, fitted to (raw score, was right) pairs, as a
    step table over raw scores 0.00 .. 1.00. Smooth and monotone: few examples cannot bend it
    the way isotonic steps bend (one prior pseudo-example each way keeps it finite)."""
    data = [(_logit(x), 1.0 if y else 0.0) for x, y in points]
    data += [(0.0, 1.0), (0.0, 0.0)]
    a, b = 1.0, 0.0
    current = _platt_loss(data, a, b)
    for _ in range(100):  # Newton steps on the log-loss, with a small ridge on a and b
        ga, gb, haa, hab, hbb = _RIDGE * (a - 1.0), _RIDGE * b, _RIDGE, 0.0, _RIDGE
        for z, y in data:
            p = _sigmoid(a * z + b)
            ga += (p - y) * z
            gb += p - y
            w = p * (1.0 - p)
            haa += w * z * z
            hab += w * z
            hbb += w
        det = haa * hbb - hab * hab
        if det <= 1e-12:
            break
        da, db = (hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det
        # Halved until the loss falls: a full Newton step from a flat start can overshoot into a
        # near step function (a seller name at raw 0.5 "certain") whose loss is higher.
        step = 1.0
        while step > 1e-6 and (new := _platt_loss(data, a - step * da, b - step * db)) > current:
            step /= 2
        if step <= 1e-6:
            break
        a, b = a - step * da, b - step * db
        converged, current = current - new < 1e-10, new
        if converged:
            break
    xs = tuple(i / 100 for i in range(101))
    return Calibration(xs, tuple(round(_sigmoid(a * _logit(x) + b), 4) for x in xs))


_RIDGE = 0.01


def _sigmoid(t: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(t, 35.0), -35.0)))


def _platt_loss(data: Sequence[tuple[float, float]], a: float, b: float) -> float:
    """The ridge-penalised log-loss, computed without overflow (log(1 + e^t) - y t)."""
    total = 0.5 * _RIDGE * ((a - 1.0) ** 2 + b * b)
    for z, y in data:
        t = a * z + b
        total += max(t, 0.0) + math.log1p(math.exp(-abs(t))) - y * t
    return total


def _logit(x: float) -> float:
    x = min(max(x, 0.001), 0.999)
    return math.log(x / (1.0 - x))


_override: list[RankerModel | None] = []


@lru_cache(maxsize=1)
def packaged_model() -> RankerModel | None:
    path = resources.files(__package__).joinpath(MODEL_FILE)
    if not path.is_file():
        return None
    return model_from_file(path.read_bytes())


def model_from_file(data: bytes) -> RankerModel:
    """The model in a model file's bytes. The file's digest names its compiled trees (writing
    170 kB of trees out again as the key cost more than reading them) and its values, parsed
    once per machine (``data_made``: JSON's float parsing was most of reading the model)."""
    source = "sha256:" + hashlib.sha256(data).hexdigest()
    try:
        return RankerModel.from_json(
            data_made(f"<ranker model>\0{source}", lambda: json.loads(data)), source
        )
    except (KeyError, TypeError, AttributeError, IndexError, ValueError):  # a damaged entry
        return RankerModel.from_json(json.loads(data), source)


def active_model() -> RankerModel | None:
    """The model in use: one set by ``using_model`` (training, cross-validation), else the
    packaged one, else none (the rules' own scores decide)."""
    return _override[-1] if _override else packaged_model()


@contextmanager
def using_model(model: RankerModel | None) -> Iterator[None]:
    _override.append(model)
    try:
        yield
    finally:
        _override.pop()
