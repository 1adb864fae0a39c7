"""Scoring one extraction against one corpus truth file.

Amounts compare as exact decimals, dates as ISO strings, identifiers without spaces and case, the
currency code upper-case, names leniently (a printed name often carries a legal form or a line break
the truth file leaves out). Line items are matched one to one by amount and description. Pure
functions only; ``evaluation`` runs the pipeline and adds up.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from .model import HEADER_FIELDS, Invoice, LineItem, Status

TRUTH_PATHS: Mapping[str, str] = {
    "seller_name": "seller.name",
    "seller_vat_id": "seller.vat_id",
    "buyer_name": "buyer.name",
    "iban": "payment.iban",
}
"""Truth-file names that differ from the model's field paths; any other name is the path itself."""

LINE_ITEMS = "line_items"
NAME_FIELDS = frozenset({"seller_name", "buyer_name"})
CODE_FIELDS = frozenset({"currency"})

NAME_CONTAINED_MIN_RATIO = 0.6
NAME_JACCARD_MIN = 0.75
DESCRIPTION_OVERLAP_MIN = 0.5

_SPACES = re.compile(r"\s+")
_TOKENS = re.compile(r"[^\W_]+")
# Dropped inside a word ("S.A.R.L." = "SARL", "McDonald's" = "McDonalds"); other punctuation splits.
_JOINING_PUNCTUATION = str.maketrans("", "", ".'’")


def model_path(truth_field: str) -> str:
    """The ``Invoice.get_path`` path of a truth-file field."""
    return TRUTH_PATHS.get(truth_field, truth_field)


def is_known_field(truth_field: str) -> bool:
    return model_path(truth_field) in HEADER_FIELDS


def field_order(truth_field: str) -> tuple[int, str]:
    """Sort key: the model's (SCHEMA.md) order, unknown fields last."""
    path = model_path(truth_field)
    rank = HEADER_FIELDS.index(path) if path in HEADER_FIELDS else len(HEADER_FIELDS)
    return (rank, truth_field)


# --- single values ----------------------------------------------------------------------------


def to_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None


def amounts_equal(expected: Any, got: Any) -> bool:
    """Equal as exact decimals (``"10.00"`` equals ``10``); anything unparsable is unequal."""
    a, b = to_decimal(expected), to_decimal(got)
    return a is not None and b is not None and a.is_finite() and a == b


def normalize_id(value: str) -> str:
    """Identifiers (invoice number, VAT id, IBAN) are printed with spaces and in either case."""
    return _SPACES.sub("", value).casefold()


def normalize_name(value: str) -> str:
    """NFKC, casefolded, without punctuation, single spaces."""
    text = unicodedata.normalize("NFKC", value).casefold().translate(_JOINING_PUNCTUATION)
    text = "".join(" " if unicodedata.category(ch)[0] in "PS" else ch for ch in text)
    return _SPACES.sub(" ", text).strip()


def names_match(expected: str, got: str) -> bool:
    """Equal after normalising; or one holds the other as whole words and is not much shorter; or
    most of the words are shared."""
    a, b = normalize_name(expected), normalize_name(got)
    if not a or not b:
        return a == b
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    if f" {short} " in f" {long} " and len(short) >= NAME_CONTAINED_MIN_RATIO * len(long):
        return True
    ta, tb = set(a.split()), set(b.split())
    return len(ta & tb) / len(ta | tb) >= NAME_JACCARD_MIN


def display(value: Any) -> str | None:
    """A predicted value as text, the way the JSON export writes it."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def values_match(truth_field: str, expected: Any, got: Any) -> bool:
    """Whether ``got`` (a model value) is right for ``expected`` (a truth-file value)."""
    if got is None:
        return False
    if truth_field in NAME_FIELDS:
        return names_match(str(expected), str(got))
    if truth_field in CODE_FIELDS:
        return str(expected).strip().upper() == str(got).strip().upper()
    if isinstance(got, Decimal):
        return amounts_equal(expected, got)
    if isinstance(got, date):
        return str(expected).strip() == got.isoformat()
    return normalize_id(str(expected)) == normalize_id(str(got))


# --- line items -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemCounts:
    """Line-item matches of one or more documents; micro P/R/F1 come from the sums."""

    matched: int = 0
    predicted: int = 0
    expected: int = 0

    def __add__(self, other: ItemCounts) -> ItemCounts:
        return ItemCounts(
            self.matched + other.matched,
            self.predicted + other.predicted,
            self.expected + other.expected,
        )

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.expected if self.expected else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


ItemLike = LineItem | Mapping[str, Any]


def _item_field(item: ItemLike, name: str) -> Any:
    return item.get(name) if isinstance(item, Mapping) else getattr(item, name)


def description_tokens(text: Any) -> frozenset[str]:
    if not text:
        return frozenset()
    return frozenset(_TOKENS.findall(unicodedata.normalize("NFKC", str(text)).casefold()))


def _prices_agree(predicted: ItemLike, expected: ItemLike) -> bool:
    """For a truth row without an amount (some truth files give only quantity and unit price):
    the numbers it does give agree with the predicted row's. A row without a quantity, or of one,
    costs its amount as its unit price."""
    truth_price = _item_field(expected, "unit_price")
    truth_qty = _item_field(expected, "quantity")
    if truth_price is None and truth_qty is None:
        return False
    got_qty = _item_field(predicted, "quantity")
    if truth_qty is not None and not amounts_equal(truth_qty, got_qty):
        return False
    if truth_price is None or amounts_equal(truth_price, _item_field(predicted, "unit_price")):
        return True
    single = got_qty is None or to_decimal(got_qty) == 1
    return single and amounts_equal(truth_price, _item_field(predicted, "amount"))


def items_match(predicted: ItemLike, expected: ItemLike) -> bool:
    """Same amount (or none on either side: some e-invoices carry lines without one; or none in
    the truth, whose quantity and unit price then agree), and descriptions sharing at least half
    the words of the shorter one."""
    truth_amount = _item_field(expected, "amount")
    got_amount = _item_field(predicted, "amount")
    if truth_amount is None:
        if got_amount is not None and not _prices_agree(predicted, expected):
            return False
    elif not amounts_equal(truth_amount, got_amount):
        return False
    a = description_tokens(_item_field(predicted, "description"))
    b = description_tokens(_item_field(expected, "description"))
    if not a or not b:
        return False
    return len(a & b) / min(len(a), len(b)) >= DESCRIPTION_OVERLAP_MIN


def match_line_items(
    predicted: Sequence[ItemLike], expected: Sequence[ItemLike]
) -> list[tuple[int, int]]:
    """Greedy one-to-one pairs ``(predicted index, expected index)``, both lists taken in order."""
    pairs: list[tuple[int, int]] = []
    taken: set[int] = set()
    for i, item in enumerate(predicted):
        for j, truth in enumerate(expected):
            if j not in taken and items_match(item, truth):
                pairs.append((i, j))
                taken.add(j)
                break
    return pairs


def score_line_items(predicted: Sequence[ItemLike], expected: Sequence[ItemLike]) -> ItemCounts:
    return ItemCounts(len(match_line_items(predicted, expected)), len(predicted), len(expected))


def describe_item(item: ItemLike) -> str:
    """``'Widget' = 100.00``: what a reader needs to find the row on the page."""
    amount = display(to_decimal(_item_field(item, "amount")))
    return f"{_item_field(item, 'description')!r} = {amount}"


# --- one document -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldResult:
    field: str  # truth-file name, e.g. seller_name
    expected: str
    got: str | None
    correct: bool


@dataclass(slots=True)
class CaseScore:
    """Everything scored on one corpus document."""

    case_id: str
    fields: list[FieldResult] = field(default_factory=list)
    items: ItemCounts | None = None  # None: line items are not scored on this document
    missed_items: list[str] = field(default_factory=list)  # truth rows not found
    extra_items: list[str] = field(default_factory=list)  # predicted rows matching nothing
    error: str | None = None  # the extraction failed


def recommended_fields(truth: Mapping[str, Any]) -> list[str]:
    """The fields a truth file says are printed on the page (the only ones to score)."""
    fields = truth.get("_qc", {}).get("recommended_fields_for_visual_eval", [])
    return [str(name) for name in fields]


def pick_invoice(invoices: Sequence[Invoice]) -> Invoice | None:
    """The invoice starting on page 1 (truth describes the file's first invoice), else the first."""
    return next((inv for inv in invoices if 1 in inv.pages), invoices[0] if invoices else None)


def truth_fields(truth: Mapping[str, Any]) -> list[str]:
    """Every field a truth file holds (for e-invoices read from their XML: all must match)."""
    return [k for k in truth if not k.startswith("_") and k != "extra"]


def score_case(
    case_id: str,
    truth: Mapping[str, Any],
    invoices: Sequence[Invoice],
    *,
    all_fields: bool = False,
) -> CaseScore:
    """Score the invoices extracted from one file against its truth; a failure gets none right.

    By default only the fields printed on the page count; ``all_fields`` scores every one."""
    chosen = pick_invoice(invoices)
    if chosen is None:
        error: str | None = "no invoice returned"
    elif chosen.status == Status.FAILED:
        error = chosen.error or "extraction failed"
    else:
        error = None
    prediction = None if error else chosen
    score = CaseScore(case_id, error=error)
    for name in truth_fields(truth) if all_fields else recommended_fields(truth):
        expected = truth.get(name)
        if expected is None:
            continue
        if name == LINE_ITEMS:
            _score_items(score, prediction.line_items if prediction else [], list(expected))
        elif is_known_field(name):  # else a truth field the model lacks: nothing to compare
            got = prediction.get_path(model_path(name)) if prediction else None
            correct = values_match(name, expected, got)
            score.fields.append(FieldResult(name, str(expected), display(got), correct))
    return score


def _score_items(score: CaseScore, predicted: Sequence[LineItem], expected: list[Any]) -> None:
    pairs = match_line_items(predicted, expected)
    score.items = ItemCounts(len(pairs), len(predicted), len(expected))
    matched_p = {i for i, _ in pairs}
    matched_e = {j for _, j in pairs}
    score.missed_items = [describe_item(t) for j, t in enumerate(expected) if j not in matched_e]
    score.extra_items = [describe_item(p) for i, p in enumerate(predicted) if i not in matched_p]
