"""Totals settled by arithmetic and labels in their printed variants: the stages added for
layouts the learned ranker alone misread (a hyphenated label, an IBAN ended by a comma, a net
total that is BT-109, a subtotal only the sum rules find, compound and wrapped headings, a due
date only in a payment-terms sentence or on the issue day)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from invoice_extractor.extract.embedded.items import _compound_kind
from invoice_extractor.extract.embedded.labels import LABEL_RES, hyphenable
from invoice_extractor.extract.embedded.parties import _name_like
from test_engine import HEAD, _items, assert_evidence_on_page, extract_one, stack, table

if TYPE_CHECKING:
    from conftest import MakePdf


def test_a_label_may_print_a_hyphen_where_it_has_a_space() -> None:
    assert hyphenable(r"vat\s*id[\s.]*x") == r"vat[\s-]*id[\s.]*x"
    assert LABEL_RES["seller_vat"].search("vat-id: de811569869")
    assert LABEL_RES["due_date"].search("due-date: 2024-05-01")


def test_compound_headings_take_the_kind_of_their_last_word() -> None:
    assert _compound_kind("zeilenbetrag") == "amount"
    assert _compound_kind("vk-preis") == "price"
    assert _compound_kind("rabatt") is None
    assert _compound_kind("betrag") is None  # the word itself is no compound


def test_a_footer_vat_id_label_with_a_hyphen_and_an_iban_ended_by_a_comma(
    make_pdf: MakePdf,
) -> None:
    # Both fail their checksums (a typo on the page): only their labels say what they are, and
    # the value is read in full so the checks can say so.
    page = HEAD + stack(300, ("Total", "100.00 EUR"))
    page += [
        (60, 760, "IBAN DE12 3456 7890 1234 5678 90, SWIFT/BIC: COBADEFFXXX", 8),
        (60, 772, "VAT-ID: DE123456789", 8),
    ]
    invoice = extract_one(make_pdf([page], "footer.pdf"))
    assert invoice.payment.iban == "DE12345678901234567890"
    assert invoice.seller.vat_id == "DE123456789"
    codes = {w.split(":")[0] for w in invoice.warnings}
    assert {"IBAN", "VAT"} <= codes


def test_a_net_total_that_adds_up_is_the_tax_exclusive_total(make_pdf: MakePdf) -> None:
    # Lines 1,000.00; a discount of 100.00 leaves a net total of 900.00; 19% VAT 171.00.
    page = HEAD + stack(
        300,
        ("Subtotal", "1,000.00 EUR"),
        ("Discount", "-100.00 EUR"),
        ("Net total", "900.00 EUR"),
        ("VAT 19%", "171.00 EUR"),
        ("Grand total", "1,071.00 EUR"),
    )
    invoice = extract_one(make_pdf([page], "net.pdf"))
    got = [invoice.subtotal, invoice.tax_exclusive_total, invoice.tax_total, invoice.total]
    assert got == [Decimal("1000.00"), Decimal("900.00"), Decimal("171.00"), Decimal("1071.00")]


def test_a_subtotal_printed_without_a_subtotal_label_is_found_by_arithmetic(
    make_pdf: MakePdf,
) -> None:
    page = HEAD + stack(300, ("Service charges", "$84.00"), ("Tax", "$16.00"), ("Total", "$100.00"))
    invoice = extract_one(make_pdf([page], "charges.pdf"))
    assert (invoice.subtotal, invoice.total) == (Decimal("84.00"), Decimal("100.00"))
    assert invoice.evidence["subtotal"].text == "$84.00"
    assert_evidence_on_page(invoice)


def test_no_subtotal_is_invented_when_the_page_does_not_print_it(make_pdf: MakePdf) -> None:
    page = HEAD + stack(300, ("Tax", "$16.00"), ("Total", "$100.00"))
    invoice = extract_one(make_pdf([page], "bare.pdf"))
    assert invoice.subtotal is None and invoice.total == Decimal("100.00")


def test_a_heading_that_wraps_onto_two_lines_starts_the_table_and_is_no_tax_label(
    make_pdf: MakePdf,
) -> None:
    heading = table(230, ("Beschreibung", "Menge", "VK-Preis", "Zeilenbetrag"))
    wrap = [(380, 241, "ohne", 8), (490, 241, "ohne", 8), (490, 250, "MwSt.", 8)]
    rows = table(270, ("Hosting", "1", "3,89", "3,89"), ("Support", "2", "5,00", "10,00"))
    page = HEAD + heading + wrap + rows + stack(330, ("Total EUR", "13,89"))
    invoice = extract_one(make_pdf([page], "wrap.pdf"))
    assert _items(invoice) == [
        ("Hosting", "1", "3.89", "3.89"),
        ("Support", "2", "5.00", "10.00"),
    ]
    assert invoice.tax_total is None
    assert invoice.subtotal == Decimal("13.89")  # the lines add up to the total, no tax printed


def test_a_due_date_only_in_a_payment_terms_sentence(make_pdf: MakePdf) -> None:
    page = HEAD + stack(150, ("Rechnungsdatum:", "05.06.2013"))
    page += stack(300, ("Gesamtbetrag", "215,14 EUR"))
    page += [
        (
            50,
            700,
            "Zahlbar innerhalb 30 Tagen netto bis 04.07.2013, 3% Skonto innerhalb 10 Tagen "
            "bis 15.06.2013",
            8,
        )
    ]
    invoice = extract_one(make_pdf([page], "terms.pdf"))
    assert str(invoice.issue_date) == "2013-06-05"
    assert str(invoice.due_date) == "2013-07-04"  # the net date, not the discount date
    assert invoice.evidence["due_date"].text == "04.07.2013,"


def test_a_due_date_on_the_issue_day_is_kept(make_pdf: MakePdf) -> None:
    page = HEAD + stack(150, ("Datum:", "31.08.2022"), ("Fällig am:", "31.08.2022"))
    page += stack(300, ("Gesamtbetrag", "80,65 EUR"))
    invoice = extract_one(make_pdf([page], "same-day.pdf"))
    assert str(invoice.issue_date) == str(invoice.due_date) == "2022-08-31"


def test_right_aligned_values_under_a_row_of_total_headings(make_pdf: MakePdf) -> None:
    # Each value ends just before the next heading: it belongs to the heading on its left.
    headings = [(40, 500, "TAX:", 9), (110, 500, "% Base amount:", 9)]
    headings += [(255, 500, "Tax amount:", 9), (386, 500, "Total:", 9), (516, 500, "Curr.:", 9)]
    values = [(57, 518, "VAT", 9), (95, 518, "21.00", 9), (222, 518, "522.31", 9)]
    values += [(353, 518, "109.69", 9), (483, 518, "632.00", 9), (519, 518, "EUR", 9)]
    invoice = extract_one(make_pdf([HEAD + headings + values], "columns.pdf"))
    assert (invoice.tax_total, invoice.total) == (Decimal("109.69"), Decimal("632.00"))


def test_a_compound_naming_a_number_is_no_party_name() -> None:
    assert not _name_like("Art-Nr-Lief.") and not _name_like("Kunden-Nr.")
    assert _name_like("MUSTER-KUNDE GMBH") and _name_like("Coca-Cola Ltd")


def test_a_label_beside_the_letterhead_is_no_party(make_pdf: MakePdf) -> None:
    page = [(50, 60, "Acme Trading Ltd", 16), (330, 120, "Invoice No:", 10)]
    page += [(450, 120, "INV-2024-0042", 10), (330, 300, "Total", 10), (460, 300, "EUR 9.00", 10)]
    invoice = extract_one(make_pdf([page], "label.pdf"))
    assert invoice.seller.name == "Acme Trading Ltd" and invoice.buyer.name != "No"
