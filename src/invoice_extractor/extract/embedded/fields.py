"""Label -> value search over page geometry.

A value stands to the right of its label on the same line, or below it in the next lines,
overlapping the label horizontally (a label/value table has one of the two shapes). Each hit
is a ``Candidate`` with its evidence words and a score; the engine chooses among candidates.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Generic, TypeVar

from ...ingest.document import Line, Page, Word
from .labels import LABEL_ANCHORS, anchor_lines, label_res
from .text import DIGIT, Cell, fold, fold_ocr, split_cells
from .values import joined

T = TypeVar("T")
# A parser gets the words after a label and returns the value and the words it used.
ValueParser = Callable[[list[Word]], "tuple[T, list[Word]] | None"]

_PUNCT_ONLY = re.compile(r"^[:#\-–—.=|/]+$")


@dataclass(slots=True)
class LabelHit:
    field: str
    line_index: int
    start: int  # first word index of the label in the line
    end: int  # one past the last word index
    text: str
    page: int
    x0: float
    x1: float
    y0: float
    y1: float
    tail: Word | None = None  # the value glued to the label: "n°562044387"

    @property
    def box(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0, self.x1, self.y1)


@dataclass(slots=True)
class Candidate(Generic[T]):
    value: T
    words: list[Word]
    score: float
    label: str = ""
    where: str = ""  # "right", "below" or "pattern"
    # Where the label stood (x0, y0, x1, y1), for the ranker's geometry features.
    label_box: tuple[float, float, float, float] | None = None
    source: str = ""  # the rule that proposed it: "labelled", "title", "letterhead", ...
    label_lead: int = 0  # words before the label in its cell: "Next Billing Date" has one

    @property
    def page(self) -> int:
        return self.words[0].page if self.words else 1


@dataclass(slots=True)
class PageIndex:
    """A page prepared for label search: folded line texts with word offsets, cells."""

    page: Page
    folded: list[str] = field(default_factory=list)
    offsets: list[list[int]] = field(default_factory=list)  # start offset of each word per line
    cells: list[list[Cell]] = field(default_factory=list)
    _label_memo: dict[tuple[str, tuple[str, ...]], list[LabelHit]] = field(default_factory=dict)
    _joined_memo: dict[tuple[int, bool], tuple[str, list[int]]] = field(default_factory=dict)
    _span_memo: dict[tuple[str, int], list[tuple[int, int]]] = field(default_factory=dict)
    _anchor_lines: dict[str, list[int]] | None = None  # label anchor -> lines it stands on
    _anchor_memo: dict[str, frozenset[int]] = field(default_factory=dict)  # field -> its lines
    _field_lines: dict[str, Sequence[int]] = field(default_factory=dict)  # the same, in order
    _digits: list[bool] | None = None  # per line: it holds a digit
    # Read by OCR: words are folded without stray quote marks and labels match look-alike
    # letters ("USt.-ld.-Nr."); a text layer's words are matched as printed.
    ocr: bool = False

    @classmethod
    def build(cls, page: Page) -> PageIndex:
        cached = page.cache.get("page_index")
        if isinstance(cached, PageIndex):
            return cached
        index = cls(page, ocr=page.source == "ocr")
        page.cache["page_index"] = index
        key = index.key
        for i, line in enumerate(page.lines):
            parts = [key(word.text) for word in line.words]
            starts = list(accumulate([len(part) + 1 for part in parts], initial=0))
            starts.pop()  # where a word after the last would start
            index.folded.append(" ".join(parts))
            index.offsets.append(starts)
            index.cells.append(split_cells(line, i))
        return index

    @property
    def lines(self) -> list[Line]:
        return self.page.lines

    @property
    def key(self) -> Callable[[str], str]:
        """How a word of the page is folded for label search."""
        return fold_ocr if self.ocr else fold

    def joined(self, line_index: int, glue_commas: bool = False) -> tuple[str, list[int]]:
        """``values.joined`` of a line's words. Memoised: the amount, VAT id, IBAN, tax and
        date rules each read every line."""
        key = (line_index, glue_commas)
        found = self._joined_memo.get(key)
        if found is None:
            line = self.page.lines[line_index]
            words = line.words
            # A lone "," after the first word stands in the line's text as " ,": a line without
            # one (most) is not scanned word by word.
            if glue_commas and (" ," not in line.text or all(w.text != "," for w in words[1:])):
                found = self.joined(line_index)  # no comma to glue: the same text
            else:
                found = joined(words, glue_commas)
            self._joined_memo[key] = found
        return found

    def has_digit(self, line_index: int) -> bool:
        """Whether the line holds a digit. Amounts, dates and IBANs need one: a line without
        one is neither joined nor scanned for them (most lines of a page hold no number)."""
        if self._digits is None:
            self._digits = [DIGIT.search(line.text) is not None for line in self.page.lines]
        return self._digits[line_index]

    def word_range(self, line_index: int, start: int, end: int) -> tuple[int, int]:
        """Character span [start, end) of the folded line -> word index range."""
        starts = self.offsets[line_index]  # ascending, the first is 0
        first = bisect.bisect_right(starts, start) - 1  # the last word starting at or before
        last = bisect.bisect_left(starts, end) - 1  # the last word starting before the end
        return first, last + 1

    def labels(self, field_name: str, rivals: tuple[str, ...] = ()) -> list[LabelHit]:
        """Label hits of a field; a hit inside a "not a value" label or a rival field's label
        ("Date" inside "Due Date") is skipped. Memoised: several rules ask for the same labels."""
        key = (field_name, rivals)
        if key not in self._label_memo:
            self._label_memo[key] = list(self._find_labels(field_name, rivals))
        return self._label_memo[key]

    def _find_labels(self, field_name: str, rivals: tuple[str, ...]) -> Iterator[LabelHit]:
        pattern = label_res(self.ocr)[field_name]
        blockers = ("not_a_value", *rivals)
        for i in self._lines_with_anchor(field_name):
            text = self.folded[i]
            spans = None
            for m in pattern.finditer(text):
                if spans is None:
                    spans = [span for name in blockers for span in self._spans(name, i)]
                if any(
                    s < m.end() and m.start() < e and (e - s) > len(m.group(0)) for s, e in spans
                ):
                    continue
                first, last = self.word_range(i, m.start(), m.end())
                words = self.page.lines[i].words[first:last]
                yield LabelHit(
                    field_name,
                    i,
                    first,
                    last,
                    m.group(0),
                    self.page.number,
                    words[0].x0,
                    words[-1].x1,
                    min(w.y0 for w in words),
                    max(w.y1 for w in words),
                    self._tail(i, last - 1, m.end()),
                )

    def _spans(self, field_name: str, line_index: int) -> list[tuple[int, int]]:
        """Where the field's labels stand on a line, found once per line: every field's label
        search asks where the "not a value" labels (and its rivals') stand on its lines."""
        key = (field_name, line_index)
        spans = self._span_memo.get(key)
        if spans is None:
            if self.may_hold_label(field_name, line_index):
                pattern = label_res(self.ocr)[field_name]
                spans = [m.span() for m in pattern.finditer(self.folded[line_index])]
            else:
                spans = []  # none of its anchors on the line
            self._span_memo[key] = spans
        return spans

    def may_hold_label(self, field_name: str, line_index: int) -> bool:
        """False only if no label of the field can stand on the line (it holds none of the
        field's anchors): the field's regex need not run there."""
        anchors = LABEL_ANCHORS[field_name]
        if anchors is None:
            return True
        lines = self._anchor_memo.get(field_name)
        if lines is None:
            lines = self._anchor_memo[field_name] = frozenset(self._lines_with_anchor(field_name))
        return line_index in lines

    def _lines_with_anchor(self, field_name: str) -> Sequence[int]:
        """The lines that may hold a label of the field, in order (``labels.may_hold_label``):
        the others would only run its regex for nothing. Which anchor stands on which line is
        found once per page for every field; a field's lines once per field."""
        lines = self._field_lines.get(field_name)
        if lines is not None:
            return lines
        anchors = LABEL_ANCHORS[field_name]
        if anchors is None:
            lines = range(len(self.folded))
        else:
            if self._anchor_lines is None:
                self._anchor_lines = anchor_lines(self.folded, self.ocr)
            on_page = self._anchor_lines
            lines = sorted({i for anchor in anchors for i in on_page.get(anchor, ())})
        self._field_lines[field_name] = lines
        return lines

    def _tail(self, line_index: int, word_index: int, label_end: int) -> Word | None:
        word = self.page.lines[line_index].words[word_index]
        folded = self.key(word.text)
        glued = self.offsets[line_index][word_index] + len(folded) - label_end
        if glued <= 0 or len(folded) != len(word.text):
            return None
        text = word.text[len(word.text) - glued :].lstrip(":#°º.-–—")
        if not any(c.isalnum() for c in text):
            return None
        share = (word.x1 - word.x0) * len(text) / max(len(word.text), 1)
        return Word(text, word.x1 - share, word.y0, word.x1, word.y1, word.page, word.confidence)

    def lead(self, hit: LabelHit) -> int:
        """How many words stand before the label in its cell."""
        first = self.page.lines[hit.line_index].words[hit.start]
        for cell in self.cells[hit.line_index]:
            if first in cell.words:
                return cell.words.index(first)
        return 0

    def starts_cell(self, hit: LabelHit) -> bool:
        """A label heading a value below it starts its cell ("Date" over "31.03.2024"); one in
        the middle of a sentence ("prices include VAT") heads nothing."""
        first = self.page.lines[hit.line_index].words[hit.start]
        return any(cell.words[0] is first for cell in self.cells[hit.line_index])

    def right_of(self, hit: LabelHit, max_gap: float | None = None) -> list[Word]:
        """Words after the label on its line, skipping separators such as ':'."""
        words = self.page.lines[hit.line_index].words[hit.end :]
        while words and _PUNCT_ONLY.match(words[0].text):
            words = words[1:]
        words = _past_qualifier(words)
        if hit.tail is not None:
            words = [hit.tail, *words]
        if max_gap is not None and words and words[0].x0 - hit.x1 > max_gap:
            return []
        return words

    def below(self, hit: LabelHit, max_lines: int = 3) -> Iterator[list[Word]]:
        """Word groups under the label on the next lines, overlapping it horizontally.

        Words, not cells: a value under a column heading ("TOTAL TTC" over "104,90") may share
        its line with unrelated text further left.
        """
        size = max(hit.y1 - hit.y0, 4.0)
        last_y = hit.y1
        lines = self.page.lines
        left, right = hit.x0 - size, max(hit.x1, hit.x0 + size * 4) + size
        for j in range(hit.line_index + 1, min(len(lines), hit.line_index + 1 + max_lines)):
            line = lines[j]
            if line.y0 - last_y > size * 3:
                return
            last_y = line.y1
            words = [w for w in line.words if w.x1 >= left and w.x0 <= right]
            if words:
                # Extend to the whole cell of the first word so "31. März 2024" stays whole.
                cell = next(c for c in self.cells[j] if words[0] in c.words)
                start = cell.words.index(words[0])
                yield cell.words[start:] if cell.x0 >= left else words


def _past_qualifier(words: list[Word]) -> list[Word]:
    """The words after a parenthesised qualifier of the label ("Rechnungssumme Brutto (inkl.
    USt.) 215,14", "Total (EUR) 99.00"): a few words in brackets that hold no number but a
    percentage qualify the label; the value follows them."""
    if not words or not words[0].text.startswith("("):
        return words
    for n, word in enumerate(words[:_QUALIFIER_WORDS]):
        if word.text.rstrip(":").endswith(")"):
            inside = " ".join(w.text for w in words[: n + 1])
            if _NUMBER_NOT_PERCENT.search(inside):
                return words
            rest = words[n + 1 :]
            while rest and _PUNCT_ONLY.match(rest[0].text):
                rest = rest[1:]
            return rest
    return words


_QUALIFIER_WORDS = 5
_NUMBER_NOT_PERCENT = re.compile(r"\d(?![\d.,]*\s?%)")


def find_labelled(
    index: PageIndex,
    field_name: str,
    parse: ValueParser[T],
    *,
    weight: float = 1.0,
    below: bool = True,
    rivals: tuple[str, ...] = (),
) -> list[Candidate[T]]:
    """Every value of ``field_name`` announced by a label on this page."""
    found: list[Candidate[T]] = []
    for hit in index.labels(field_name, rivals):
        # A longer, more specific label is better evidence than a bare "date" or "total".
        specificity = min(len(hit.text), 20) / 20
        right = index.right_of(hit)
        if right:
            parsed = parse(right)
            if parsed is not None:
                value, used = parsed
                distance = max(0.0, used[0].x0 - hit.x1) / max(index.page.width, 1.0)
                score = weight * (0.6 + 0.4 * specificity - 0.3 * distance)
                found.append(
                    Candidate(value, used, score, hit.text, "right", hit.box, "", index.lead(hit))
                )
                continue
        if not below or not index.starts_cell(hit):
            continue
        for depth, words in enumerate(index.below(hit, max_lines=2)):
            parsed = parse(words)
            if parsed is not None:
                value, used = parsed
                score = weight * (0.5 + 0.4 * specificity - 0.1 * depth)
                found.append(
                    Candidate(value, used, score, hit.text, "below", hit.box, "", index.lead(hit))
                )
                break
    return found


def best(candidates: list[Candidate[T]]) -> Candidate[T] | None:
    return max(candidates, key=lambda c: c.score) if candidates else None
