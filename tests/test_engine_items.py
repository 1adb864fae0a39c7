"""Items whose description runs over several lines: which row a line without an amount belongs to
is read from the table's geometry, not from the nearest amount alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from test_engine import COLUMN_X, HEAD, _items, extract_one, stack

if TYPE_CHECKING:
    from conftest import MakePdf, TextItem

HEADINGS = ("Description", "Qty", "Unit Price", "Amount")


def placed(*lines: tuple[float, tuple[str, str, str, str]]) -> list[TextItem]:
    """Table lines at their heights, the cells under the ``COLUMN_X`` columns (blank: none)."""
    return [
        (x, y, text, 10)
        for y, cells in lines
        for x, text in zip(COLUMN_X, cells, strict=True)
        if text
    ]


def evenly_spaced(y: float, *lines: tuple[str, str, str, str], step: float = 13) -> list[TextItem]:
    """Table lines one ``step`` apart, with no wider gap between items than inside one."""
    return placed(*((y + step * n, cells) for n, cells in enumerate(lines)))


def test_lines_below_a_leading_amount_line_belong_to_its_item(make_pdf: MakePdf) -> None:
    # The service period of the first item stands closer to the second item's amount line.
    page = HEAD + evenly_spaced(
        230,
        HEADINGS,
        ("Mail hosting", "1", "3.89", "3.89"),
        ("Base fee per unit", "", "", ""),
        ("01.05.14-31.05.14", "", "", ""),
        ("Mail archive", "1", "5.39", "5.39"),
        ("Base fee per unit", "", "", ""),
        ("01.05.14-31.05.14", "", "", ""),
    )
    page += stack(340, ("Total", "9.28 EUR"))
    invoice = extract_one(make_pdf([page], "leading.pdf"))
    assert _items(invoice) == [
        ("Mail hosting Base fee per unit 01.05.14-31.05.14", "1", "3.89", "3.89"),
        ("Mail archive Base fee per unit 01.05.14-31.05.14", "1", "5.39", "5.39"),
    ]


def test_lines_above_a_closing_amount_line_belong_to_its_item(make_pdf: MakePdf) -> None:
    page = HEAD + evenly_spaced(
        230,
        HEADINGS,
        ("Consulting", "", "", ""),
        ("Workshop on site", "", "", ""),
        ("March 2024", "2", "45.00", "90.00"),
        ("Licence", "", "", ""),
        ("Annual plan", "", "", ""),
        ("Renewal 2025", "1", "60.00", "60.00"),
    )
    page += stack(340, ("Total", "150.00 EUR"))
    invoice = extract_one(make_pdf([page], "closing.pdf"))
    assert _items(invoice) == [
        ("Consulting Workshop on site March 2024", "2", "45.00", "90.00"),
        ("Licence Annual plan Renewal 2025", "1", "60.00", "60.00"),
    ]


def test_a_price_detail_line_stays_out_of_the_description_but_holds_the_item_together(
    make_pdf: MakePdf,
) -> None:
    page = HEAD + evenly_spaced(
        230,
        HEADINGS,
        ("Mail hosting", "2", "4.50", "9.00"),
        ("Gross price: 5.00", "", "", ""),
        ("Service: alpha", "", "", ""),
        ("Mail archive", "1", "6.00", "6.00"),
        ("Gross price: 6.00", "", "", ""),
        ("Service: beta", "", "", ""),
    )
    page += stack(340, ("Total", "15.00 EUR"))
    invoice = extract_one(make_pdf([page], "details.pdf"))
    assert _items(invoice) == [
        ("Mail hosting Service: alpha", "2", "4.50", "9.00"),
        ("Mail archive Service: beta", "1", "6.00", "6.00"),
    ]


def test_the_widest_gap_parts_two_items_whatever_line_is_nearer(make_pdf: MakePdf) -> None:
    # The first item's last line stands nearer the second amount line, but a wider blank
    # separates it from the second item's first line.
    page = HEAD + placed(
        (230, HEADINGS),
        (250, ("Mail hosting", "1", "3.89", "3.89")),
        (261, ("Base fee per unit", "", "", "")),
        (272, ("Service: alpha", "", "", "")),
        (283, ("01.05.14-31.05.14", "", "", "")),
        (302, ("Mail archive", "", "", "")),
        (313, ("Archive 10 GB", "1", "5.39", "5.39")),
    )
    page += stack(345, ("Total", "9.28 EUR"))
    invoice = extract_one(make_pdf([page], "gaps.pdf"))
    assert _items(invoice) == [
        ("Mail hosting Base fee per unit Service: alpha 01.05.14-31.05.14", "1", "3.89", "3.89"),
        ("Mail archive Archive 10 GB", "1", "5.39", "5.39"),
    ]


# --- items listed without a table heading ---


def test_services_listed_without_a_heading_that_add_up_to_the_total_are_items(
    make_pdf: MakePdf,
) -> None:
    page: list[TextItem] = [*HEAD, (50, 230, "Detail", 12)]
    for y, name, charge in ((250, "Cloud Storage", "$2.22"), (292, "Data Transfer", "$1.87")):
        page += [(60, y, name, 10), (490, y, charge, 10)]
        page += [(70, y + 13, "Charges", 8), (492, y + 13, charge, 8)]  # a breakdown, indented
        page += [(70, y + 26, "VAT **", 8), (492, y + 26, "$0.00", 8)]
    page += [(50, 345, "Total for this invoice", 10), (490, 345, "$4.09", 10)]
    invoice = extract_one(make_pdf([page], "listed.pdf"))
    assert _items(invoice) == [
        ("Cloud Storage", None, None, "2.22"),
        ("Data Transfer", None, None, "1.87"),
    ]


def test_totals_that_add_up_are_no_items(make_pdf: MakePdf) -> None:
    page = HEAD + stack(
        250, ("Net amount", "100.00 EUR"), ("VAT 19%", "19.00 EUR"), ("Total", "119.00 EUR")
    )
    invoice = extract_one(make_pdf([page], "totals-only.pdf"))
    assert invoice.total is not None and str(invoice.total) == "119.00"
    assert invoice.line_items == []


def test_a_listed_name_wrapped_over_lines_keeps_its_lines(make_pdf: MakePdf) -> None:
    page = [
        *HEAD,
        *((50, 250, "Annual report without", 10), (490, 250, "818.00", 10)),
        (50, 263, "itemised income", 10),
        *((50, 280, "Rental income", 10), (490, 280, "194.00", 10)),
        (50, 293, "statement, Main St 72", 10),
    ]
    page += stack(330, ("Subtotal", "1,012.00 EUR"), ("VAT 19%", "192.28 EUR"))
    page += stack(362, ("Total", "1,204.28 EUR"))
    invoice = extract_one(make_pdf([page], "wrapped-list.pdf"))
    assert _items(invoice) == [
        ("Annual report without itemised income", None, None, "818.00"),
        ("Rental income statement, Main St 72", None, None, "194.00"),
    ]
