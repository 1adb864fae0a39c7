"""Several invoices in one PDF: where ``extract.split`` cuts, through ``pipeline.extract_file``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from invoice_extractor import pipeline

if TYPE_CHECKING:
    from conftest import MakePdf, PageSpec, TextItem

CORPUS = (Path(__file__).parents[1] / ".." / "shared" / "corpus").resolve()
RABATTE = "zugferd-corpus/EN16931_Rabatte.visual.pdf"  # 3 pages, "Seite 1 von 3" ...
ALPHA_CARS = "4d-writepro-facturx/facturxSample_AlphaCars_de.visual.pdf"  # "Rechnung AC-2023-1234"
SECURIBOX = "securibox-facturx/Facture_F20260023-LE_FOURNISSEUR-POUR-LE_CLIENT_EXTENDED.visual.pdf"


def _truth_number(document: str) -> str:
    truth = CORPUS / document.replace(".visual.pdf", ".truth.json")
    number: str = json.loads(truth.read_text(encoding="utf-8"))["invoice_number"]
    return number


def _split(path: Path) -> list[tuple[list[int], str | None]]:
    invoices = pipeline.extract_file(path)
    assert {inv.file for inv in invoices} == {path.name}
    assert all(inv.status != "failed" for inv in invoices), [inv.error for inv in invoices]
    return [(inv.pages, inv.invoice_number) for inv in invoices]


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("documents", "pages"),
    [
        pytest.param(
            (RABATTE, ALPHA_CARS, SECURIBOX),
            [[1, 2, 3], [4], [5]],
            id="rabatte-alphacars-securibox",
        ),
        pytest.param(
            (ALPHA_CARS, SECURIBOX, RABATTE),
            [[1], [2], [3, 4, 5]],
            id="alphacars-securibox-rabatte",
        ),
    ],
)
def test_three_corpus_invoices_in_one_pdf(
    tmp_path: Path, documents: tuple[str, str, str], pages: list[list[int]]
) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS} (../shared/corpus beside the checkout)")
    pypdf = pytest.importorskip("pypdf", reason="pypdf (a dev dependency) concatenates the PDFs")
    writer = pypdf.PdfWriter()
    for document in documents:
        writer.append(str(CORPUS / document))
    merged = tmp_path / "merged.pdf"
    with merged.open("wb") as handle:
        writer.write(handle)

    assert _split(merged) == [
        (group, _truth_number(doc)) for group, doc in zip(pages, documents, strict=True)
    ]


# --- synthetic documents ----------------------------------------------------------------------


def header(number: str, seller: str = "Acme Trading Ltd") -> list[TextItem]:
    return [
        (50, 60, seller, 16),
        (330, 120, "Invoice No:", 10),
        (450, 120, number, 10),
        (330, 135, "Invoice Date:", 10),
        (450, 135, "31.03.2024", 10),
    ]


def total(amount: str) -> list[TextItem]:
    return [(330, 310, "Total", 10), (460, 310, amount, 10)]


def footer(text: str) -> list[TextItem]:
    return [(450, 800, text, 8)]


def titled(number: str) -> list[TextItem]:
    """An invoice whose number follows its title, without a number label."""
    return [(50, 60, "Other Supplier GmbH", 16), (330, 100, f"INVOICE {number}", 14)]


SYNTHETIC: list[tuple[str, list[PageSpec], list[tuple[list[int], str | None]]]] = [
    (
        "two-invoices",
        [
            header("INV-1001") + total("100.00 EUR"),
            header("INV-1002", "Other Supplier GmbH") + total("200.00 EUR"),
        ],
        [([1], "INV-1001"), ([2], "INV-1002")],
    ),
    (
        "page-1-of-2",
        [
            header("INV-1001") + footer("Page 1 of 2"),
            header("INV-1001") + total("100.00 EUR") + footer("Page 2 of 2"),
        ],
        [([1, 2], "INV-1001")],
    ),
    (
        "page-2-without-header",
        [
            header("INV-1001") + footer("Page 1 of 2"),
            ["More items", *total("100.00 EUR"), *footer("Page 2 of 2")],
        ],
        [([1, 2], "INV-1001")],
    ),
    (
        "blank-page-between",
        [header("INV-1001") + total("100.00 EUR"), [], header("INV-1002") + total("200.00 EUR")],
        [([1, 2], "INV-1001"), ([3], "INV-1002")],
    ),
    ("blank-page-first", [[], header("INV-1001") + total("100.00 EUR")], [([1, 2], "INV-1001")]),
    (
        "blank-page-last",
        [header("INV-1001") + total("100.00 EUR"), []],
        [([1, 2], "INV-1001")],
    ),
    (
        "markers-1-of-1",
        [
            header("INV-1001") + total("100.00 EUR") + footer("Seite 1 von 1"),
            header("INV-1001") + total("100.00 EUR") + footer("Seite 1 von 1"),
        ],
        [([1], "INV-1001"), ([2], "INV-1001")],  # the same number twice: two copies
    ),
]


@pytest.mark.parametrize(
    ("pages", "expected"), [c[1:] for c in SYNTHETIC], ids=[c[0] for c in SYNTHETIC]
)
def test_synthetic_split(
    make_pdf: MakePdf, pages: list[PageSpec], expected: list[tuple[list[int], str | None]]
) -> None:
    assert _split(make_pdf(pages, "batch.pdf")) == expected


def test_a_complete_invoice_ends_before_the_next_page(make_pdf: MakePdf) -> None:
    pages: list[PageSpec] = [
        header("INV-1001") + total("100.00 EUR") + footer("Page 1 of 1"),
        titled("INV-1002") + total("200.00 EUR"),
    ]
    assert _split(make_pdf(pages, "batch.pdf")) == [([1], "INV-1001"), ([2], "INV-1002")]


def test_each_invoice_is_extracted_from_its_own_pages_only(make_pdf: MakePdf) -> None:
    pages: list[PageSpec] = [
        header("INV-1001") + total("100.00 EUR"),
        header("INV-1002", "Other Supplier GmbH") + total("200.00 EUR"),
    ]
    first, second = pipeline.extract_file(make_pdf(pages, "batch.pdf"))
    assert (str(first.total), first.seller.name) == ("100.00", "Acme Trading Ltd")
    assert (str(second.total), second.seller.name) == ("200.00", "Other Supplier GmbH")
    assert {ev.page for ev in second.evidence.values()} == {2}
