"""The engine's per-document work done once, not per rule: each shortcut gives the answer the
long way gives, and skips the work it is there to skip."""

from __future__ import annotations

import random
from typing import Any

import pytest

from invoice_extractor import ids
from invoice_extractor.extract.embedded import features, language
from invoice_extractor.extract.embedded.candidates import RANKED_FIELDS
from invoice_extractor.extract.embedded.context import DocumentContext
from invoice_extractor.extract.embedded.features import FEATURES, field_features
from invoice_extractor.extract.embedded.fields import Candidate, PageIndex
from invoice_extractor.extract.embedded.items import _PAIR_HEADS, _header_columns, is_stop
from invoice_extractor.extract.embedded.values import joined, words_in_span
from invoice_extractor.ingest.document import Word
from test_lexicon import _page

# --- IBAN: the mod-97 check before schwifty ---------------------------------------------------


def test_an_iban_failing_mod_97_is_refused_without_building_schwiftys_iban(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import schwifty

    built: list[str] = []
    real = schwifty.IBAN

    def counting(text: str) -> Any:
        built.append(text)
        return real(text)

    monkeypatch.setattr(schwifty, "IBAN", counting)
    check = ids.is_valid_iban.__wrapped__  # past the memo: every call checks
    assert check("DE02 1203 0000 0000 2020 50") is False  # one digit off a valid IBAN
    assert check("GB33 BUKB 2020 1555 5555 54") is False
    assert built == []
    assert check("DE02 1203 0000 0000 2020 51") is True
    assert check("GB33BUKB20201555555555") is True
    assert len(built) == 2
    # Past mod-97, schwifty still judges the country: "XX" is none.
    assert check("XX42 1234 5678 9012 34") is False
    assert len(built) == 3


def test_the_mod_97_shortcut_agrees_with_schwifty_on_near_misses() -> None:
    from schwifty import IBAN

    def schwifty_says(text: str) -> bool:
        try:
            IBAN(text)
        except Exception:
            return False
        return True

    rng = random.Random(7)
    valid = ["DE02120300000000202051", "GB33BUKB20201555555555", "FR7630006000011234567890189"]
    for iban in valid:
        for _ in range(40):
            at = rng.randrange(len(iban))
            near = iban[:at] + rng.choice("0123456789ABCXYZ") + iban[at + 1 :]
            assert ids.is_valid_iban.__wrapped__(near) == schwifty_says(near), near


# --- words_in_span: bisection over the word starts ------------------------------------------


class _Untouchable(Word):
    """A word whose text must not be read: it stands far from the span asked for."""

    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        if name == "text":
            raise AssertionError("a word outside the span was read")
        return super().__getattribute__(name)


def test_words_in_span_reads_only_the_words_around_the_span() -> None:
    words = [
        Word(t, 10.0 * n, 0, 10.0 * n + 8, 9) for n, t in enumerate(["a", "bb", "ccc", "dd", "e"])
    ]
    text, starts = joined(words)
    far = [_Untouchable("zz", -100.0, 0, -90.0, 9)] * 5
    padded_starts = [-20, -17, -14, -11, -8, *starts]
    at = text.index("ccc")
    assert words_in_span(far + words, padded_starts, at, at + 3) == [words[2]]


def test_words_in_span_agrees_with_a_walk_of_the_whole_line() -> None:
    rng = random.Random(3)
    for _ in range(200):
        tokens = [rng.choice(["1", "12,50", "EUR", ",", "Total:", "x"]) for _ in range(8)]
        words, x = [], 0.0
        for token in tokens:
            x += rng.choice([2.0, 30.0])
            words.append(Word(token, x, 0, x + 5 * len(token), 9))
            x += 5 * len(token)
        text, starts = joined(words, glue_commas=rng.random() < 0.5)
        start = rng.randrange(len(text) + 1)
        end = rng.randrange(start, len(text) + 2)
        walked = [
            w for w, s in zip(words, starts, strict=True) if s < end and s + len(w.text) > start
        ]
        assert words_in_span(words, starts, start, end) == walked


# --- labels: what blocks a label is found once per line -------------------------------------


def test_the_blocking_labels_of_a_line_are_found_once_for_every_field() -> None:
    page = _page("Invoice Date: 01.02.2024", "Due Date: 15.02.2024")
    index = PageIndex.build(page)
    issue = index.labels("issue_date", ("due_date",))
    # "Date" inside "Due Date" is the rival's label, not an issue date.
    assert [hit.line_index for hit in issue] == [0]
    due_spans = index._span_memo[("due_date", 1)]
    assert due_spans and ("not_a_value", 1) in index._span_memo
    index.labels("due_date")
    assert index._span_memo[("due_date", 1)] is due_spans  # the memo, not a second search


def test_a_line_without_the_anchor_of_a_field_cannot_hold_its_label() -> None:
    page = _page("Widget blue 2 10,00", "Subtotal 120,00")
    index = PageIndex.build(page)
    assert not index.may_hold_label("subtotal", 0)
    assert index.may_hold_label("subtotal", 1)
    assert not is_stop(index, 0)
    assert is_stop(index, 1)


# --- items: two-word headings sought only after their first word ----------------------------


def test_two_word_headings_are_sought_after_their_first_word_only() -> None:
    assert {"unit", "item", "line", "code"} <= _PAIR_HEADS
    assert "price" not in _PAIR_HEADS
    line = _page("Item code Description Unit price Line total")
    kinds = [c.kind for c in _header_columns(line.lines[0])]
    assert kinds == ["code", "desc", "price", "price", "amount", "amount"]


# --- language: one look-up per distinct word ------------------------------------------------


def test_the_languages_of_a_word_are_memoised() -> None:
    language.languages_of.cache_clear()
    assert language.detect_language(["Rechnung", "Rechnung", "Datum", "und"]) == "de"
    info = language.languages_of.cache_info()
    assert (info.misses, info.hits) == (3, 1)
    assert language.languages_of("Rechnung:") == ("de",)


# --- ranker features: rows as lists, the first page folded once -----------------------------


def test_feature_rows_fold_the_first_page_once_and_fill_their_columns() -> None:
    page = _page("ACME GmbH", "Hauptstr. 5", "10115 Berlin", "Rechnung Nr. 12345", "ACME GmbH")
    ctx = DocumentContext.build([page])
    words = page.lines[0].words
    cands: list[Candidate[Any]] = [
        Candidate("ACME GmbH", words, 0.8, "", "block", None, "letterhead"),
        Candidate("Hauptstr. 5", page.lines[1].words, 0.4, "", "block", None, "window"),
    ]
    found = {name: [] for name in RANKED_FIELDS} | {"seller.name": cands}
    rows = field_features(ctx, "seller.name", cands, found)
    assert (
        page.cache["features:first_page_text"]
        == "acme gmbh\nhauptstr. 5\n10115 berlin\nrechnung nr. 12345\nacme gmbh"
    )
    assert all(len(row) == len(FEATURES) for row in rows)
    named = dict(zip(FEATURES, rows[0], strict=True))
    assert named["field=seller.name"] == named["kind=name"] == named["source=letterhead"] == 1.0
    assert named["rule_rank"] == 0.0 and named["n_candidates"] == 2.0
    assert named["repeated"] == 2.0 and named["legal_form"] == 1.0
    assert named["upper_share"] == features._text_shape("ACME GmbH")[3] == 6 / 8
    assert dict(zip(FEATURES, rows[1], strict=True))["rule_best_gap"] == pytest.approx(0.4)


# --- memoised pure readings of a text -------------------------------------------------------


def test_the_dates_of_a_line_are_read_once_and_each_caller_gets_its_own_list() -> None:
    from invoice_extractor.extract.embedded import dates

    dates._dates_in.cache_clear()
    first = dates.find_dates("Datum 31.03.2024, fällig 14.04.2024", "DMY")
    first.clear()  # a caller's list is its own: the memo keeps its tuple
    again = dates.find_dates("Datum 31.03.2024, fällig 14.04.2024", "DMY")
    assert [m.text for m in again] == ["31.03.2024", "14.04.2024"]
    assert dates._dates_in.cache_info().hits == 1


def test_a_letterhead_cell_loses_its_title_words_once_per_text() -> None:
    from invoice_extractor.extract.embedded import parties

    parties._untitled.cache_clear()
    assert parties._untitled("ACME GmbH Invoice") == "ACME GmbH"
    assert parties._untitled("ACME GmbH Invoice") == "ACME GmbH"
    assert parties._untitled.cache_info().hits == 1
