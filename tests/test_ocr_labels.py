"""Labels read by OCR: look-alike letters and stray quote marks inside a label still find it,
on pages read by OCR only (a text layer's words are matched as printed)."""

from __future__ import annotations

import pytest

from invoice_extractor.extract.embedded.fields import PageIndex
from invoice_extractor.extract.embedded.items import is_items_header
from invoice_extractor.extract.embedded.labels import (
    LABEL_ANCHORS,
    LABEL_RES,
    anchor_lines,
    label_res,
    ocr_tolerant,
)
from invoice_extractor.extract.embedded.text import fold, fold_ocr
from invoice_extractor.ingest.document import Page
from test_lexicon import _LINES as LEXICON_LINES
from test_lexicon import _page as lexicon_page


def _page(*lines: str, source: str = "ocr") -> Page:
    page = lexicon_page(*lines)
    page.source = source
    return page


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("USt.-ld.-Nr.: DE123456789", "seller_vat"),  # I read as l in a sans-serif font
        ("USt-1dNr. DE123456789", "seller_vat"),
        ("T0tal 119,00", "total"),
        ("Rechnungsnurnmer 2024-17", "invoice_number"),  # m read as rn
        ("|BAN DE02120300000000202051", "iban"),
        ("Rechnungs‚nummer 2024-17", "invoice_number"),  # a speck read as a low quote
    ],
)
def test_a_label_read_with_look_alike_letters_is_found_on_an_ocr_page(
    text: str, field: str
) -> None:
    assert PageIndex.build(_page(text)).labels(field)
    assert not PageIndex.build(_page(text, source="text")).labels(field)


def test_a_stray_quote_mark_inside_a_label_leaves_the_value_after_it() -> None:
    # "USt-Id.‚-Nr." with a speck read as a low quote: the whole word is the label, so the value
    # is the next word, not the label's own tail "‚-Nr.".
    index = PageIndex.build(_page("USt-Id.‚-Nr. DE123456789"))
    (hit,) = index.labels("seller_vat")
    assert [w.text for w in index.right_of(hit)] == ["DE123456789"]


@pytest.mark.parametrize("apostrophe", ["'", "\u2019"])
def test_an_elision_apostrophe_is_kept_on_an_ocr_page_as_on_a_text_layer(apostrophe: str) -> None:
    # "Date d'échéance": dropping the apostrophe glued "d" to the label word ("déchéance").
    text = f"Date d{apostrophe}échéance : 02/03/2022"
    assert fold_ocr(f"d{apostrophe}échéance") == fold(f"d{apostrophe}échéance")
    for source in ("ocr", "text"):
        assert PageIndex.build(_page(text, source=source)).labels("due_date"), source


def test_a_text_layer_keeps_its_quote_marks_and_a_swiss_amount_keeps_its_apostrophe() -> None:
    assert fold("USt-Id.‚-Nr.") == "ust-id.‚-nr."
    assert fold_ocr("USt-Id.‚-Nr.") == "ust-id.-nr."
    assert fold_ocr("1'250.00") == "1'250.00"


_LINES = [
    *LEXICON_LINES,
    "USt.-ld.-Nr. DE1 T0TAL 5 Nurnmer 7 lBAN x Zwischensurnme 3 |VA 1",
]


@pytest.mark.parametrize("line", _LINES)
def test_every_label_the_text_layer_finds_is_found_on_an_ocr_page(line: str) -> None:
    as_text = PageIndex.build(_page(line, source="text"))
    as_ocr = PageIndex.build(_page(line))
    for field in LABEL_RES:
        printed = {(h.start, h.end) for h in as_text.labels(field)}
        assert printed <= {(h.start, h.end) for h in as_ocr.labels(field)}, field


@pytest.mark.parametrize("line", _LINES)
def test_the_anchor_index_of_an_ocr_page_never_skips_a_look_alike_label(line: str) -> None:
    folded = fold_ocr(line)
    lines = anchor_lines([folded], ocr=True)
    for field, regex in label_res(True).items():
        anchors = LABEL_ANCHORS[field]
        if regex.search(folded) and anchors is not None:
            assert any(0 in lines.get(anchor, ()) for anchor in anchors), field


@pytest.mark.parametrize(
    ("pattern", "tolerant"),
    [
        (r"ust\.?\s*-?\s*id", r"ust\.?\s*-?\s*[il1|]d"),
        (r"total[\s-]*(?:net)?", r"t[o0]ta[il1|][\s-]*(?:net)?"),
        (r"nummer|nr\.?", r"nu(?:m|rn)(?:m|rn)er|nr\.?"),
        (r"intern\b", r"[il1|]nte(?:rn|m)\b"),
        (r"summen?\d{2}", r"su(?:m|rn)(?:m|rn)en?\d{2}"),
        (r"d'echeance", r"d'?echeance"),
    ],
)
def test_look_alike_letters_in_a_label_regex(pattern: str, tolerant: str) -> None:
    assert ocr_tolerant(pattern) == tolerant


def test_an_items_heading_read_glued_or_with_look_alikes_is_a_heading_on_an_ocr_page() -> None:
    # "TOTAL HT" read without its space, "Descr1ption" with a look-alike: the items table's
    # heading row is still found where OCR read it, not on a text layer.
    for source, expected in (("ocr", True), ("text", False)):
        page = _page("Pos Descr1ption Qty TOTALHT", "1 Widget 2 20,00", source=source)
        assert is_items_header(PageIndex.build(page), 0) is expected
