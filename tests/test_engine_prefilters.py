"""Candidate generation's shortcuts: each finds what the plain way finds, on generated text."""

from __future__ import annotations

import random
import re
from decimal import Decimal
from typing import Any

import pytest

from invoice_extractor.extract.embedded import patterns
from invoice_extractor.extract.embedded.amounts import _VOTE_TOKEN_RE, guess_decimal_separator
from invoice_extractor.extract.embedded.dates import (
    _DAY_FIRST_HINT,
    _NUMERIC_DATE_RE,
    guess_date_order,
)
from invoice_extractor.extract.embedded.fields import PageIndex
from invoice_extractor.extract.embedded.items import (
    _KIND_OF,
    _PAIR_HEADS,
    _compound_kind,
    _header_columns,
    _ocr_heading_kind,
    line_numbers,
)
from invoice_extractor.extract.embedded.labels import (
    _ALIKE_ANCHORS,
    _EVERY_ANCHOR,
    LABEL_ANCHORS,
    LABEL_RES,
    LABELS,
    _lines_holding,
    may_hold_label,
)
from invoice_extractor.extract.embedded.language import detect_language
from invoice_extractor.extract.embedded.patterns import _VAT, find_vat_ids
from invoice_extractor.extract.embedded.text import fold, holds_digit
from invoice_extractor.extract.embedded.values import joined
from invoice_extractor.ingest.document import Line, Page, Word
from test_lexicon import _page


def _plain_lines_holding(lines: list[str], anchors: tuple[str, ...]) -> dict[str, list[int]]:
    """Each anchor -> the lines it stands in, one substring test per anchor and line."""
    found: dict[str, list[int]] = {}
    for anchor in anchors:
        for i, line in enumerate(lines):
            if anchor in line:
                found.setdefault(anchor, []).append(i)
    return found


def _generated_lines(rng: random.Random, anchors: tuple[str, ...], count: int) -> list[str]:
    """Lines of anchors, their prefixes, suffixes and overlaps glued or spaced, and noise."""
    lines = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randrange(0, 6)):
            anchor = rng.choice(anchors)
            cut = rng.randrange(0, len(anchor) + 1)
            parts.append(
                rng.choice(
                    [
                        anchor,
                        anchor[:cut],
                        anchor[cut:],
                        anchor + rng.choice(anchors),  # glued: overlapping and nested anchors
                        anchor[:cut] + rng.choice(anchors)[cut:],
                        "".join(rng.choice("abcdeilnorst 0123:.-") for _ in range(5)),
                    ]
                )
            )
        lines.append(rng.choice([" ", "", "  "]).join(parts))
    return lines


def test_the_anchor_trie_finds_every_anchor_on_every_line_it_stands_in() -> None:
    rng = random.Random(11)
    for anchors in (_EVERY_ANCHOR, _ALIKE_ANCHORS):
        for _ in range(200):
            lines = _generated_lines(rng, anchors, rng.randrange(0, 8))
            assert _lines_holding(lines, anchors) == _plain_lines_holding(lines, anchors), lines


def test_the_anchor_trie_finds_an_anchor_inside_a_longer_one() -> None:
    anchors = ("bill", "billing", "ill", "in", "ing")
    lines = ["billing", "bil", "xbillx", "", "ingbill"]
    assert _lines_holding(lines, anchors) == _plain_lines_holding(lines, anchors)
    assert _lines_holding(lines, anchors)["ill"] == [0, 2, 4]


# --- items: a heading word read once per distinct text ------------------------------------------


def _plain_header_columns(line: Line, ocr: bool) -> list[tuple[str, float]]:
    """The heading columns of a line, every word folded and looked up in place."""
    columns: list[tuple[str, float]] = []
    words = line.words
    folded = [fold(word.text) for word in words]
    for i, word in enumerate(words):
        key = folded[i].strip("()[],;:.#/")
        pair = ""
        if i + 1 < len(words) and key in _PAIR_HEADS:
            pair = key + " " + folded[i + 1].strip("()[],;:.")
        kind = _KIND_OF.get(pair) or _KIND_OF.get(key) or _compound_kind(key)
        if kind is None and ocr:
            kind = _ocr_heading_kind(key)
        if kind is None:
            continue
        before = folded[i - 1].strip("()[],;:.") + " " + key
        if not (columns and columns[-1][0] == "code" and _KIND_OF.get(before) == "code"):
            columns.append((kind, word.x0))
    return columns


def test_header_columns_match_a_word_by_word_reading_on_generated_lines() -> None:
    rng = random.Random(7)
    vocabulary = [*_KIND_OF, "Zeilenbetrag", "VK-Preis", "T0TAL", "TOTALHT", "Menge:", "(EUR)"]
    vocabulary += ["Toner", "3.000", "Seiten", "ARTICLE", "CODE", "#", "12,50", "Rechnung"]
    for _ in range(300):
        texts = [rng.choice(vocabulary) for _ in range(rng.randrange(1, 9))]
        texts = [t.upper() if rng.random() < 0.3 else t for t in texts]
        page = _page(" ".join(texts))
        for ocr in (False, True):
            got = [(c.kind, c.x0) for c in _header_columns(page.lines[0], ocr)]
            assert got == _plain_header_columns(page.lines[0], ocr), (texts, ocr)


# --- the page index: folded lines, word offsets and cells ---------------------------------------


def _plain_cells(words: list[Word], gap_factor: float = 1.2) -> list[list[Word]]:
    cells: list[list[Word]] = []
    for word in words:
        if cells:
            prev = cells[-1][-1]
            size = max(min(prev.height, word.height), 1.0)
            if word.x0 - prev.x1 <= size * gap_factor:
                cells[-1].append(word)
                continue
        cells.append([word])
    return cells


def test_the_page_index_offsets_and_cells_match_a_word_by_word_reading() -> None:
    rng = random.Random(3)
    texts = ["Rechnungs\u2010Nr.", "Größe", "ﬁnal", "TOTAL", "12,00", "n°", "é", ":", "x"]
    for _ in range(200):
        words = []
        x = 0.0
        for _ in range(rng.randrange(0, 9)):
            x += rng.choice([0.5, 3.0, 12.0, 40.0])
            height = rng.choice([0.5, 8.0, 10.0, 20.0])
            words.append(Word(rng.choice(texts), x, 100.0, x + 18.0, 100.0 + height))
            x += 18.0
        page = Page(1, 600.0, 800.0, words, [Line(words)] if words else [])
        index = PageIndex.build(page)
        for i, line in enumerate(page.lines):
            folded = [fold(w.text) for w in line.words]
            assert index.folded[i] == " ".join(folded)
            for k, start in enumerate(index.offsets[i]):
                assert index.folded[i][start : start + len(folded[k])] == folded[k]
                assert start == sum(len(f) + 1 for f in folded[:k])
            cells = [[id(w) for w in c.words] for c in index.cells[i]]
            assert cells == [[id(w) for w in c] for c in _plain_cells(line.words)]
            assert all(c.line_index == i for c in index.cells[i])


# --- values: a line's words joined with column gaps ---------------------------------------------


def _plain_joined(words: list[Word], glue_commas: bool) -> tuple[str, list[int]]:
    text, starts = "", []
    for k, word in enumerate(words):
        if k and not (glue_commas and word.text == ","):
            prev = words[k - 1]
            wide = word.x0 - prev.x1 > max(min(prev.height, word.height), 1.0) * 0.6
            text += "  " if wide else " "
        starts.append(len(text))
        text += word.text
    return text, starts


def test_joined_matches_a_word_by_word_join_on_generated_lines() -> None:
    rng = random.Random(9)
    for _ in range(300):
        words, x = [], 0.0
        for _ in range(rng.randrange(0, 8)):
            x += rng.choice([0.0, 0.5, 2.0, 5.0, 30.0])
            height = rng.choice([0.3, 1.0, 6.0, 10.0])
            words.append(
                Word(rng.choice(["3", ",", "August", "1 197.28"]), x, 5, x + 9, 5 + height)
            )
            x += 9
        for glue in (False, True):
            assert joined(words, glue) == _plain_joined(words, glue)


# --- line scans skipped where their pattern cannot match ----------------------------------------


def _generated_id_line(rng: random.Random) -> list[Word]:
    words, x = [], 0.0
    pieces = ["DE", "123", "456", "789", "FR", "11", "ATU", "12345678", "-", ".", "VAT", "Nr", ":"]
    for _ in range(rng.randrange(1, 9)):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 4)))
        x += rng.choice([1.0, 4.0, 20.0])  # a single space or a column gap in the joined text
        words.append(Word(text, x, 0.0, x + 10.0, 8.0))
        x += 10.0
    return words


def test_the_vat_prefilter_on_the_line_text_never_skips_a_joined_match() -> None:
    rng = random.Random(13)
    matched = 0
    for _ in range(2000):
        line = Line(_generated_id_line(rng))
        text, _ = joined(line.words)
        if _VAT.search(text):
            matched += 1
            assert _VAT.search(line.text), (text, line.text)
    assert matched > 100


def test_lines_without_a_digit_hold_no_amount_date_or_iban() -> None:
    page = _page("Rechnung an ACME", "Total 12,00 EUR", "Datum 3. März 2024", "IBAN DE89 3704")
    index = PageIndex.build(page)
    assert [index.has_digit(i) for i in range(4)] == [False, True, True, True]
    assert line_numbers(index, 0, ",") == []
    assert [n.value for n in line_numbers(index, 1, ",")] == [Decimal("12.00")]


# --- label anchors: every string a label regex matches holds one of the field's anchors ---------

_parser: Any = getattr(re, "_parser", None)
_CATEGORY_CHARS = {"CATEGORY_SPACE": " \t", "CATEGORY_DIGIT": "0179", "CATEGORY_WORD": "ab_9é"}


def _sample(parsed: Any, rng: random.Random) -> str:
    """A random string the parsed regex may match (lookarounds ignored: the caller checks)."""
    out = []
    for op, arg in parsed:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "ANY":
            out.append(rng.choice("a. 1"))
        elif name == "IN":
            out.append(_sample_class(arg, rng))
        elif name == "BRANCH":
            out.append(_sample(rng.choice(arg[1]), rng))
        elif name == "SUBPATTERN":
            out.append(_sample(arg[-1], rng))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, item = arg
            count = rng.randint(low, min(high, low + 2))
            out.extend(_sample(item, rng) for _ in range(count))
        elif name == "CATEGORY":
            out.append(rng.choice(_CATEGORY_CHARS.get(str(arg), "a")))
    return "".join(out)


def _sample_class(items: Any, rng: random.Random) -> str:
    choices: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "NEGATE":
            return rng.choice("§~")
        if name == "LITERAL":
            choices.append(chr(arg))
        elif name == "RANGE":
            choices.extend(chr(c) for c in range(arg[0], min(arg[1], arg[0] + 25) + 1))
        elif name == "CATEGORY":
            choices.extend(_CATEGORY_CHARS.get(str(arg), "a"))
    return rng.choice(choices)


@pytest.mark.parametrize("field_name", sorted(LABELS))
def test_every_label_match_on_generated_text_stands_on_an_anchored_line(field_name: str) -> None:
    rng = random.Random(field_name)
    regex = LABEL_RES[field_name]
    anchors = LABEL_ANCHORS[field_name]
    assert anchors is not None
    matched = 0
    for pattern in LABELS[field_name]:
        parsed = _parser.parse(pattern)
        for _ in range(60):
            line = rng.choice(["", "nr ", "x. "]) + _sample(parsed, rng) + rng.choice(["", " 12"])
            if regex.search(line) is None:
                continue
            matched += 1
            assert may_hold_label(field_name, line), (field_name, line)
            on_line = _lines_holding([line], _EVERY_ANCHOR)
            assert any(on_line.get(anchor) == [0] for anchor in anchors), (field_name, line)
    assert matched >= len(LABELS[field_name]) * 20


def test_holds_digit_is_any_isdigit_on_generated_text() -> None:
    rng = random.Random(17)
    alphabet = (
        "ab 1.9é²①٣፩x\u00a0"  # ASCII and Arabic-Indic digits, a superscript, circled, Ethiopic
    )
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 6)))
        assert holds_digit(text) == any(c.isdigit() for c in text), text


def test_the_language_counted_most_wins_and_a_tie_goes_to_the_one_met_first() -> None:
    assert detect_language(["the", "und"]) == "en"
    assert detect_language(["und", "the"]) == "de"
    assert detect_language(["the", "und", "Rechnung", "de"]) == "de"
    assert detect_language(["1.234,56", "ACME"]) is None


# --- the document's decimal mark and date order: one scan of the lines joined by newlines -------


def test_the_vote_patterns_find_in_joined_lines_what_they_find_line_by_line() -> None:
    rng = random.Random(19)
    pieces = ["31.03.", "2024", "1.234,56", "12/31/24", "3", ".", ",", "/", "-", " ", "€", "vat"]
    for _ in range(1000):
        lines = ["".join(rng.choice(pieces) for _ in range(rng.randrange(0, 5))) for _ in range(3)]
        page = "\n".join(lines)
        for regex in (_VOTE_TOKEN_RE, _NUMERIC_DATE_RE):
            by_line = [m.group() for line in lines for m in regex.finditer(line)]
            assert [m.group() for m in regex.finditer(page)] == by_line, lines
        hint = any(_DAY_FIRST_HINT.search(line) for line in lines)
        assert (_DAY_FIRST_HINT.search(page) is not None) == hint, lines
    # A day and month at a line's end ("31.03.") is not a decimal, nor across the newline.
    assert guess_decimal_separator(["am 31.03", ".5 Stück"]) == "."
    assert guess_decimal_separator(["am 31.03.", "5 Stück"]) is None
    assert guess_date_order(["13/01/2024", "01/13/2024", "01/14/2024"]) == "MDY"


def test_the_date_order_hints_decide_only_an_english_tie_with_slashes() -> None:
    assert guess_date_order(["01/02/2024"], "en") == "MDY"
    assert guess_date_order(["01/02/2024", "VAT 20%"], "en") == "DMY"
    assert guess_date_order(["01/02/2024 £"], "en-US") == "DMY"
    assert guess_date_order(["01/02/2024"], "en-GB") == "DMY"
    assert guess_date_order(["01/02/2024"], "de") == "DMY"
    assert guess_date_order(["01.02.2024"], "en") == "DMY"


# --- VAT ids: a run without a known country prefix is read only after a label ------------------


def test_vat_ids_skip_unknown_prefixes_only_where_no_label_stands(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = random.Random(23)
    runs = ["DE 123 456 789", "INVOICENUMBER", "XY12345678", "FR 40 303 265 045", "ATU12345678"]
    labels = ["", "USt-IdNr.:", "VAT No", "Rechnung"]
    pages = []
    for _ in range(60):
        lines = [f"{rng.choice(labels)} {rng.choice(runs)} {rng.choice(runs)}" for _ in range(3)]
        pages.append(_page(*[line.strip() for line in lines]))

    def found() -> list[list[tuple[str, int, bool]]]:
        hits = [find_vat_ids(PageIndex.build(_page(*(ln.text for ln in p.lines)))) for p in pages]
        return [[(h.value, h.line_index, h.buyer_hint) for h in page] for page in hits]

    skipping = found()
    monkeypatch.setattr(patterns, "vat_id_country", lambda text: "XX")  # every prefix known
    assert found() == skipping
    assert any(page for page in skipping)


def _plain_decimal_mark(lines: list[str]) -> str | None:
    """The vote of every numeric token, line by line, each classified on the spot."""
    votes = {",": 0, ".": 0}
    for line in lines:
        for m in _VOTE_TOKEN_RE.finditer(line):
            parts = re.fullmatch(r"(\d+)([.,])(\d+)", m.group())
            many = re.fullmatch(r"\d{1,3}(?:([.,])\d{3}){2,}", m.group())
            grouped = re.fullmatch(r"\d{1,3}(?:([.,'’])\d{3})+([.,])\d+", m.group())
            if many:
                votes["," if many[1] == "." else "."] += 1
            elif grouped:
                votes[grouped[2]] += 2 if grouped[1] != grouped[2] else 0
            elif parts and not (len(parts[3]) == 3 and len(parts[1]) <= 3 and parts[1] != "0"):
                head, tail = int(parts[1]), int(parts[3])
                day_month = len(parts[1]) <= 2 and len(parts[3]) == 2 and 1 <= head <= 31
                dotted = parts[2] == "." and line[m.end() : m.end() + 1] == "."
                if not (dotted and day_month and 1 <= tail <= 12):
                    votes[parts[2]] += 1
    if votes[","] == votes["."]:
        return None
    return "," if votes[","] > votes["."] else "."


def test_the_decimal_mark_vote_matches_a_token_by_token_vote_on_generated_lines() -> None:
    rng = random.Random(29)
    pieces = ["31.03", ".", "12,50", "1.234,56", "1,234", "1.234.567", "0,123", "99.5", " ", "x"]
    for _ in range(1000):
        lines = ["".join(rng.choice(pieces) for _ in range(rng.randrange(0, 5))) for _ in range(3)]
        assert guess_decimal_separator(lines) == _plain_decimal_mark(lines), lines
