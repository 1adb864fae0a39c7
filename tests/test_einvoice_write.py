"""Writing e-invoices: CII and UBL against the XSDs, the EN 16931 terms still missing, Factur-X
PDFs read back by the ``factur-x`` package, the ``convert`` command, and round trips through the
e-invoice reader (synthetic invoices and every corpus XML).
"""

from __future__ import annotations

import importlib.util
import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import facturx  # type: ignore[import-untyped,unused-ignore]
import pytest
from lxml import etree
from pypdf import PdfReader

from invoice_extractor.cli import main
from invoice_extractor.export.cii import (
    RAM,
    RSM,
    UDT,
    fmt_amount,
    fmt_decimal,
    invoice_to_cii,
    line_tax,
    split_address,
    tax_breakdown,
)
from invoice_extractor.export.document_charges import document_allowance_charges
from invoice_extractor.export.facturx import (
    Syntax,
    convert,
    missing_mandatory,
    select_pages,
    to_facturx_pdf,
    validate_xml,
)
from invoice_extractor.export.ubl import CAC, CBC, invoice_to_ubl
from invoice_extractor.model import DocumentType, Invoice, LineItem, Party, Payment, TaxLine

if TYPE_CHECKING:
    from conftest import InstallPipeline, MakePdf

D = Decimal
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
HAS_READER = importlib.util.find_spec("invoice_extractor.extract.einvoice") is not None
needs_reader = pytest.mark.skipif(not HAS_READER, reason="e-invoice reader not importable yet")
NS = {"rsm": RSM, "ram": RAM, "udt": UDT, "cac": CAC, "cbc": CBC}
WRITERS: dict[Syntax, Callable[[Invoice], bytes]] = {"cii": invoice_to_cii, "ubl": invoice_to_ubl}

# --- synthetic invoices -------------------------------------------------------------------


def full() -> Invoice:
    """Every field the model has, consistent with EN 16931's sums."""
    return Invoice(
        file="acme.pdf",
        invoice_number="2024-001",
        issue_date=date(2024, 3, 31),
        due_date=date(2024, 4, 30),
        currency="EUR",
        po_number="PO-7781",
        buyer_reference="04011000-12345-34",
        seller=Party(
            name="ACME GmbH",
            vat_id="DE123456789",
            tax_id="201/113/40209",
            address="Hauptstr. 1, Hinterhaus, 10115 Berlin",
            country="DE",
            email="billing@acme.example",
        ),
        buyer=Party(
            name="Kunde AG",
            vat_id="DE811128135",
            address="Marktplatz 5, 80331 München",
            country="DE",
            email="ap@kunde.example",
        ),
        payment=Payment(iban="DE02120300000000202051", bic="BYLADEM1001", terms="30 days net"),
        subtotal=D("100.00"),
        tax_exclusive_total=D("100.00"),
        tax_total=D("19.00"),
        total=D("119.00"),
        amount_due=D("119.00"),
        tax_lines=[TaxLine(rate=D("19.00"), base=D("100.00"), amount=D("19.00"), category="S")],
        line_items=[
            LineItem(
                description="Widget",
                quantity=D("2"),
                unit="H87",
                unit_price=D("50.00"),
                amount=D("100.00"),
                tax_rate=D("19.00"),
            )
        ],
    )


def minimal() -> Invoice:
    """Only what EN 16931 makes mandatory (and the model has)."""
    return Invoice(
        file="min.pdf",
        invoice_number="7",
        issue_date=date(2024, 1, 2),
        currency="EUR",
        seller=Party(name="S", vat_id="DE123456789", country="DE"),
        buyer=Party(name="B", country="FR"),
        payment=Payment(terms="Paid in cash"),
        subtotal=D("10"),
        tax_exclusive_total=D("10"),
        total=D("11.90"),
        amount_due=D("11.90"),
        tax_lines=[TaxLine(rate=D("19"), base=D("10"), amount=D("1.90"), category="S")],
        line_items=[LineItem(description="X", quantity=D("1"), unit_price=D("10"), amount=D("10"))],
    )


def credit_note() -> Invoice:
    return full().model_copy(
        update={"document_type": DocumentType.CREDIT_NOTE, "invoice_number": "CN-9"}
    )


def several_rates() -> Invoice:
    """19 % and 7 % lines, and an exempt one."""
    lines = [
        LineItem(description="Tool", quantity=D("1"), unit="C62", unit_price=D("100"),
                 amount=D("100.00"), tax_rate=D("19")),
        LineItem(description="Book", quantity=D("2.5"), unit="KGM", unit_price=D("20.1234"),
                 amount=D("50.31"), tax_rate=D("7")),
        LineItem(description="Insurance", quantity=D("1"), unit="C62", unit_price=D("10"),
                 amount=D("10.00"), tax_rate=D("0")),
    ]  # fmt: skip
    return full().model_copy(
        update={
            "line_items": lines,
            "subtotal": D("160.31"),
            "tax_exclusive_total": D("160.31"),
            "tax_total": D("22.52"),
            "total": D("182.83"),
            "amount_due": D("182.83"),
            "tax_lines": [
                TaxLine(rate=D("19"), base=D("100.00"), amount=D("19.00"), category="S"),
                TaxLine(rate=D("7"), base=D("50.31"), amount=D("3.52"), category="S"),
                TaxLine(rate=D("0"), base=D("10.00"), amount=D("0.00"), category="E"),
            ],
        }
    )


def with_allowances() -> Invoice:
    """Allowances, charges and a prepayment: BT-109 = 100 - 10 + 5, BT-115 = BT-112 - 20."""
    return full().model_copy(
        update={
            "allowances": D("10.00"),
            "charges": D("5.00"),
            "tax_exclusive_total": D("95.00"),
            "tax_total": D("18.05"),
            "total": D("113.05"),
            "prepaid": D("20.00"),
            "amount_due": D("93.05"),
            "tax_lines": [TaxLine(rate=D("19"), base=D("95.00"), amount=D("18.05"), category="S")],
        }
    )


SAMPLES = {
    "full": full,
    "minimal": minimal,
    "credit_note": credit_note,
    "several_rates": several_rates,
    "allowances": with_allowances,
}


def _xpath(xml: bytes, path: str) -> list[Any]:
    found = etree.fromstring(xml).xpath(path, namespaces=NS)
    assert isinstance(found, list)
    return found


# --- the XSD ------------------------------------------------------------------------------


@pytest.mark.parametrize("syntax", ["cii", "ubl"])
@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_written_xml_passes_the_xsd(sample: str, syntax: Syntax) -> None:
    invoice = SAMPLES[sample]()
    xml = WRITERS[syntax](invoice)
    assert validate_xml(xml, syntax) == []
    assert missing_mandatory(invoice) == []


def test_cii_carries_the_en16931_guideline_and_the_values() -> None:
    xml = invoice_to_cii(with_allowances())
    assert _xpath(xml, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID/text()") == [
        "urn:cen.eu:en16931:2017"
    ]
    assert _xpath(xml, "//rsm:ExchangedDocument/ram:TypeCode/text()") == ["380"]
    assert _xpath(xml, "//ram:IssueDateTime/udt:DateTimeString/@format") == ["102"]
    assert _xpath(xml, "//ram:SpecifiedTaxRegistration/ram:ID/@schemeID") == ["VA", "FC", "VA"]
    assert _xpath(xml, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode/text()") == ["58"]
    assert _xpath(xml, "//ram:DueDateDateTime/udt:DateTimeString/text()") == ["20240430"]
    assert _xpath(xml, "//ram:TaxTotalAmount/@currencyID") == ["EUR"]
    summation = _xpath(xml, "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/*")
    assert [(etree.QName(e).localname, e.text) for e in summation] == [
        ("LineTotalAmount", "100.00"),
        ("ChargeTotalAmount", "5.00"),
        ("AllowanceTotalAmount", "10.00"),
        ("TaxBasisTotalAmount", "95.00"),
        ("TaxTotalAmount", "18.05"),
        ("GrandTotalAmount", "113.05"),
        ("TotalPrepaidAmount", "20.00"),
        ("DuePayableAmount", "93.05"),
    ]
    postal = _xpath(xml, "//ram:SellerTradeParty/ram:PostalTradeAddress/*")
    assert [e.text for e in postal] == ["10115", "Hauptstr. 1", "Hinterhaus", "Berlin", "DE"]


def test_credit_notes_are_381_in_cii_and_a_ubl_credit_note() -> None:
    invoice = credit_note()
    assert _xpath(invoice_to_cii(invoice), "//ram:TypeCode[1]/text()")[0] == "381"
    ubl = invoice_to_ubl(invoice)
    assert etree.QName(etree.fromstring(ubl)).localname == "CreditNote"
    assert _xpath(ubl, "/*/cbc:CreditNoteTypeCode/text()") == ["381"]
    assert _xpath(ubl, "//cac:CreditNoteLine/cbc:CreditedQuantity/@unitCode") == ["H87"]
    # UBL 2.1 credit notes have no header due date: BT-9 is in the payment means.
    assert _xpath(ubl, "/*/cbc:DueDate") == []
    assert _xpath(ubl, "//cac:PaymentMeans/cbc:PaymentDueDate/text()") == ["2024-04-30"]


def test_numbers_are_formatted_with_2_decimals_and_prices_with_up_to_4() -> None:
    assert [fmt_amount(D(v)) for v in ("100", "0.005", "-3.456", "1E+2")] == [
        "100.00", "0.01", "-3.46", "100.00",
    ]  # fmt: skip
    assert [fmt_decimal(D(v)) for v in ("2", "2.5", "20.12345", "0.00001")] == [
        "2.00", "2.50", "20.1235", "0.00",
    ]  # fmt: skip
    xml = invoice_to_ubl(several_rates())
    assert _xpath(xml, "//cbc:PriceAmount/text()") == ["100.00", "20.1234", "10.00"]
    assert _xpath(xml, "//cbc:InvoicedQuantity/text()") == ["1.00", "2.50", "1.00"]


def test_no_iban_is_payment_means_1_and_a_missing_unit_is_c62() -> None:
    invoice = minimal()
    xml = invoice_to_cii(invoice)
    assert _xpath(xml, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode/text()") == ["1"]
    assert _xpath(xml, "//ram:BilledQuantity/@unitCode") == ["C62"]
    # The single tax rate is the line's; the payment terms stand without a due date.
    assert _xpath(xml, "//ram:SpecifiedLineTradeSettlement//ram:RateApplicablePercent/text()") == [
        "19.00"
    ]
    assert _xpath(xml, "//ram:SpecifiedTradePaymentTerms/ram:Description/text()") == [
        "Paid in cash"
    ]


def test_without_tax_lines_one_standard_rate_line_is_derived() -> None:
    invoice = full().model_copy(
        update={"tax_lines": [], "tax_exclusive_total": D("84.03"), "tax_total": D("15.97")}
    )
    assert tax_breakdown(invoice) == [
        TaxLine(rate=D("19"), base=D("84.03"), amount=D("15.97"), category="S")
    ]
    # A zero tax does not tell the category (Z, E, AE, K, ...): nothing is derived.
    assert tax_breakdown(invoice.model_copy(update={"tax_total": D("0")})) == []


def test_tax_lines_are_completed_only_where_en16931_fixes_the_value() -> None:
    invoice = full().model_copy(
        update={
            "tax_lines": [
                TaxLine(rate=D("19"), base=D("1"), amount=D("0.19")),
                TaxLine(base=D("1"), amount=D("0"), category="E"),
                TaxLine(rate=D("0"), base=D("1"), amount=D("0")),
            ]
        }
    )
    assert [(t.category, t.rate) for t in tax_breakdown(invoice)] == [
        ("S", D("19")), ("E", D("0")), (None, D("0")),
    ]  # fmt: skip
    assert missing_mandatory(invoice) == ["BT-118 tax_lines.2.category"]


@pytest.mark.parametrize(
    ("address", "lines", "postcode", "city"),
    [
        ("Hauptstr. 1, 10115 Berlin", ["Hauptstr. 1"], "10115", "Berlin"),
        ("1 rue X, Bât B, 75001 Paris", ["1 rue X", "Bât B"], "75001", "Paris"),
        ("Damrak 1, 1012 AB Amsterdam", ["Damrak 1"], "1012 AB", "Amsterdam"),
        ("10 Downing St, London SW1A 2AA", ["10 Downing St", "London SW1A 2AA"], None, None),
        ("a, b, c, d, 12345 Town", ["a", "b", "c, d"], "12345", "Town"),
        (None, [], None, None),
    ],
)
def test_addresses_split_into_lines_postcode_and_city(
    address: str | None, lines: list[str], postcode: str | None, city: str | None
) -> None:
    parts = split_address(address)
    assert (parts.lines, parts.postcode, parts.city) == (lines, postcode, city)


# --- what is missing ------------------------------------------------------------------------


def test_missing_mandatory_names_every_absent_term_of_an_empty_invoice() -> None:
    assert missing_mandatory(Invoice(file="x.pdf")) == [
        "BT-1 invoice_number",
        "BT-2 issue_date",
        "BT-5 currency",
        "BT-27 seller.name",
        "BT-40 seller.country",
        "BT-44 buyer.name",
        "BT-55 buyer.country",
        "BG-23 tax_lines",
        "BT-106 subtotal",
        "BT-109 tax_exclusive_total",
        "BT-112 total",
        "BT-115 amount_due",
        "BG-25 line_items",
    ]


def test_missing_mandatory_names_exactly_the_terms_taken_away() -> None:
    invoice = several_rates()
    invoice.invoice_number = None
    invoice.buyer.country = None
    invoice.total = None
    invoice.line_items[0].unit_price = None
    invoice.line_items[1].description = ""
    invoice.line_items[2].tax_rate = None  # three rates: the line's category is unknown
    invoice.tax_lines[1].amount = None
    assert missing_mandatory(invoice) == [
        "BT-1 invoice_number",
        "BT-55 buyer.country",
        "BT-117 tax_lines.1.amount",
        "BT-112 total",
        "BT-146 line_items.0.unit_price",
        "BT-153 line_items.1.description",
        "BT-151 line_items.2.tax_rate",
    ]


def test_missing_mandatory_applies_br_co_25_and_br_s_02() -> None:
    invoice = minimal()
    invoice.payment.terms = None  # an amount is due: a due date or terms are needed
    invoice.seller.vat_id = None  # standard rate VAT: the seller's VAT id or tax number
    assert missing_mandatory(invoice) == [
        "BT-9 due_date (or BT-20 payment.terms)",
        "BT-31 seller.vat_id (or BT-32 seller.tax_id)",
    ]
    invoice.due_date, invoice.seller.tax_id = date(2024, 2, 1), "12/345/67890"
    assert missing_mandatory(invoice) == []


@pytest.mark.parametrize("syntax", ["cii", "ubl"])
def test_a_missing_mandatory_value_is_left_out_and_fails_the_xsd(syntax: Syntax) -> None:
    invoice = full()
    invoice.invoice_number = None
    xml = WRITERS[syntax](invoice)
    errors = validate_xml(xml, syntax)
    assert len(errors) == 1 and "Expected is" in errors[0] and "ID" in errors[0], errors
    assert missing_mandatory(invoice) == ["BT-1 invoice_number"]


# --- validate_xml on XML we did not write ----------------------------------------------------


def test_validate_xml_reports_broken_xml_and_a_wrong_root() -> None:
    assert validate_xml(b"<a>", "cii")[0].startswith("not well-formed XML")
    assert "is not" in validate_xml(invoice_to_ubl(full()), "cii")[0]
    assert "is not" in validate_xml(invoice_to_cii(full()), "ubl")[0]


def test_validate_xml_expands_no_entities_and_fetches_nothing() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
        b'<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&c;&x;</r>'
    )
    errors = validate_xml(laughs, "cii")
    assert len(errors) == 1 and "root:x:" not in errors[0] and "aaaa" not in errors[0]


# --- Factur-X PDFs --------------------------------------------------------------------------


def test_a_facturx_pdf_is_read_back_by_the_facturx_package(make_pdf: MakePdf) -> None:
    pdf = make_pdf([["Invoice 2024-001", "Total 119.00 EUR"], ["Page two"]]).read_bytes()
    xml = invoice_to_cii(full())
    result = to_facturx_pdf(pdf, xml)
    name, embedded = facturx.get_facturx_xml_from_pdf(result, check_xsd=True)
    assert (name, embedded) == ("factur-x.xml", xml)
    tree = etree.fromstring(embedded)
    assert (facturx.get_flavor(tree), facturx.get_level(tree)) == ("factur-x", "en16931")
    reader = PdfReader(io.BytesIO(result))
    assert len(reader.pages) == 2
    xmp = reader.xmp_metadata
    assert xmp is not None and "pdfaid" in xmp.rdf_root.toxml()  # declared PDF/A
    # Converting a Factur-X PDF again replaces its XML; it never holds two.
    again = to_facturx_pdf(result, invoice_to_cii(credit_note()))
    assert [a.name for a in PdfReader(io.BytesIO(again)).attachment_list] == ["factur-x.xml"]
    assert b"CN-9" in facturx.get_facturx_xml_from_pdf(again)[1]


def test_an_invalid_xml_makes_no_facturx_pdf(make_pdf: MakePdf) -> None:
    pdf = make_pdf([["Invoice"]]).read_bytes()
    invalid = invoice_to_cii(Invoice(file="x.pdf"))
    with pytest.raises(ValueError, match="fails the Factur-X EN16931 XSD: line"):
        to_facturx_pdf(pdf, invalid)
    result = convert(Invoice(file="x.pdf"), "facturx", pdf)
    assert result.data is None and result.xsd_errors and not result.valid


def test_select_pages_keeps_the_pages_of_one_invoice(make_pdf: MakePdf) -> None:
    pdf = make_pdf([["one"], ["two"], ["three"]]).read_bytes()
    part = PdfReader(io.BytesIO(select_pages(pdf, [2, 3])))
    assert [page.extract_text().strip() for page in part.pages] == ["two", "three"]


# --- the convert command --------------------------------------------------------------------


def _stand_in(*invoices: Invoice) -> Any:
    """A ``pipeline.extract_file`` that finds ``invoices`` in any file."""

    def extract_file(path: Path, **_: object) -> list[Invoice]:
        return [inv.model_copy(update={"file": path.name}) for inv in invoices]

    return extract_file


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_convert_to_cii_writes_valid_xml_to_stdout(
    make_pdf: MakePdf, fake_pipeline: InstallPipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_pipeline(_stand_in(full()))
    code, out, err = _run(capsys, "convert", str(make_pdf([["x"]])), "--to", "cii")
    assert (code, err) == (0, "")
    assert validate_xml(out.encode(), "cii") == [] and "<ram:Name>ACME GmbH" in out


def test_convert_to_ubl_writes_a_file(
    make_pdf: MakePdf,
    fake_pipeline: InstallPipeline,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_pipeline(_stand_in(credit_note()))
    target = tmp_path / "out.xml"
    code, out, err = _run(
        capsys, "convert", str(make_pdf([["x"]])), "--to", "ubl", "--out", str(target)
    )
    assert (code, out) == (0, "") and f"wrote {target}" in err
    assert validate_xml(target.read_bytes(), "ubl") == []
    assert b"<CreditNote" in target.read_bytes()


def test_convert_to_facturx_embeds_the_xml_in_the_original_pdf(
    make_pdf: MakePdf,
    fake_pipeline: InstallPipeline,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_pipeline(_stand_in(full()))
    source = make_pdf([["Invoice 2024-001"], ["Terms"]], "acme.pdf")
    code, _, _ = _run(capsys, "convert", str(source), "--to", "facturx", "--out", str(tmp_path))
    assert code == 0
    result = (tmp_path / "acme.pdf").read_bytes()
    assert facturx.get_facturx_xml_from_pdf(result)[1] == invoice_to_cii(full())
    assert len(PdfReader(io.BytesIO(result)).pages) == 2


def test_convert_to_facturx_needs_out_and_a_pdf(
    tmp_data_dir: Path, fake_pipeline: InstallPipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_pipeline(_stand_in(full()))
    xml = tmp_data_dir / "invoice.xml"
    xml.write_bytes(invoice_to_cii(full()))
    code, out, err = _run(capsys, "convert", str(xml), "--to", "facturx")
    assert (code, out) == (2, "") and "--out" in err
    code, _, err = _run(capsys, "convert", str(xml), "--to", "facturx", "--out", str(tmp_data_dir))
    assert code == 2 and "needs a PDF" in err
    assert _run(capsys, "convert", str(xml), "--to", "pdf")[0] == 2
    assert _run(capsys, "convert", str(xml), "--to", "cii", "--out", "/no/such/dir/x.xml")[0] == 2


def test_convert_reports_missing_terms_and_xsd_errors_and_exits_1(
    make_pdf: MakePdf, fake_pipeline: InstallPipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    incomplete = full().model_copy(update={"issue_date": None, "currency": None})
    fake_pipeline(_stand_in(incomplete))
    code, out, err = _run(capsys, "convert", str(make_pdf([["x"]], "a.pdf")), "--to", "cii")
    assert code == 1 and out == ""  # XML that fails is never printed as if it were good
    assert "a.pdf: EN 16931 still needs: BT-2 issue_date, BT-5 currency" in err
    assert "a.pdf: XSD: line" in err
    assert "a.pdf: no XML printed: it fails validation (--out writes it)" in err


def test_convert_exits_1_when_the_extraction_fails(
    tmp_data_dir: Path, fake_pipeline: InstallPipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_pipeline()  # the stand-in fails on anything that is not a PDF
    bad = tmp_data_dir / "bad.pdf"
    bad.write_text("not a pdf")
    code, out, err = _run(capsys, "convert", str(bad), "--to", "ubl")
    assert (code, out) == (1, "") and "extraction failed: bad.pdf: not a PDF" in err


def test_convert_writes_one_numbered_file_per_invoice_of_a_multi_invoice_pdf(
    make_pdf: MakePdf,
    fake_pipeline: InstallPipeline,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = full().model_copy(update={"pages": [1]})
    second = credit_note().model_copy(update={"pages": [2, 3]})
    fake_pipeline(_stand_in(first, second))
    source = make_pdf([["one"], ["two"], ["three"]], "batch.pdf")
    code, _, err = _run(capsys, "convert", str(source), "--to", "cii")
    assert code == 2 and "2 invoices" in err
    code, _, _ = _run(
        capsys, "convert", str(source), "--to", "cii", "--out", str(tmp_path / "x.xml")
    )
    assert code == 0
    assert b"2024-001" in (tmp_path / "x-1.xml").read_bytes()
    assert b"CN-9" in (tmp_path / "x-2.xml").read_bytes()
    code, _, _ = _run(capsys, "convert", str(source), "--to", "facturx", "--out", str(tmp_path))
    assert code == 0
    pages = [len(PdfReader(tmp_path / f"batch-{n}.pdf").pages) for n in (1, 2)]
    assert pages == [1, 2]


@needs_reader
def test_real_convert_of_a_facturx_pdf_to_ubl(
    make_pdf: MakePdf, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """End to end: the einvoice backend reads the embedded CII, the command writes UBL."""
    source = tmp_path / "fx.pdf"
    source.write_bytes(
        to_facturx_pdf(make_pdf([["Invoice 2024-001"]]).read_bytes(), invoice_to_cii(full()))
    )
    argv = ["convert", str(source), "--to", "ubl", "--extractor", "einvoice"]
    code, out, err = _run(capsys, *argv)
    assert (code, err) == (0, ""), err
    assert validate_xml(out.encode(), "ubl") == []


# --- round trips through the reader ---------------------------------------------------------

_NOT_WRITTEN = {"file", "pages", "status", "extractor", "error", "evidence", "warnings"}


def _fields(invoice: Invoice) -> dict[str, Any]:
    """Every value the e-invoice carries (amounts stay ``Decimal``: equality ignores zeros)."""
    return invoice.model_dump(exclude=_NOT_WRITTEN)


def _differences(expected: Invoice, actual: Invoice) -> list[str]:
    found: list[str] = []

    def walk(a: Any, b: Any, path: str) -> None:
        if isinstance(a, dict):
            for key in a:
                walk(a[key], b.get(key), f"{path}.{key}" if path else key)
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for number, (x, y) in enumerate(zip(a, b, strict=True)):
                walk(x, y, f"{path}.{number}")
        elif a != b:
            found.append(f"{path}: {a!r} -> {b!r}")

    walk(_fields(expected), _fields(actual), "")
    return found


def _read(xml: bytes) -> Invoice:
    from invoice_extractor.extract.einvoice import read_invoice_xml

    return read_invoice_xml(xml, "written.xml")


@needs_reader
@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_cii_round_trips_through_the_reader(sample: str) -> None:
    invoice = SAMPLES[sample]()
    expected = invoice.model_copy(deep=True)
    breakdown = tax_breakdown(invoice)
    for item in expected.line_items:  # the writer's defaults: unit, the rate's category
        item.unit = item.unit or "C62"
        item.tax_rate = D("19") if item.tax_rate is None else item.tax_rate
        item.tax_category = item.tax_category or line_tax(item, breakdown)[0]
    # Sums without entries get one entry each (single rate), completed as written.
    expected.allowance_charges = document_allowance_charges(invoice, breakdown)
    assert _differences(expected, _read(invoice_to_cii(invoice))) == []


# Gaps of the UBL reader (extract/einvoice/ubl.py), not of the writer, which puts both values
# where EN 16931 binds them: strict, so that a fixed reader turns them into failures to remove.


@needs_reader
def test_ubl_reader_reads_the_sellers_tax_number() -> None:
    assert _read(invoice_to_ubl(full())).seller.tax_id == "201/113/40209"


@needs_reader
def test_ubl_reader_reads_a_third_address_line() -> None:
    invoice = full()
    invoice.seller.address = "Hauptstr. 1, Hinterhaus, 3. OG, 10115 Berlin"
    assert _read(invoice_to_ubl(invoice)).seller.address == invoice.seller.address


# --- the corpus -----------------------------------------------------------------------------

_ZERO_RATED = {"Z", "E", "AE", "K", "G"}


def _as_written(invoice: Invoice) -> Invoice:
    """What a CII round trip gives back by design: the values EN 16931 fixes filled in.

    Tax lines: category ``S`` for a positive rate, rate 0 for Z/E/AE/K/G, no rate for O. Lines:
    unit ``C62`` with a quantity, and the one tax rate of a single-rate invoice.
    """
    expected = invoice.model_copy(deep=True)
    for line in expected.tax_lines:
        if line.category is None and line.rate is not None and line.rate > 0:
            line.category = "S"
        if line.rate is None and line.category in _ZERO_RATED:
            line.rate = D(0)
        if line.category == "O":
            line.rate = None
    single = expected.tax_lines[0] if len(expected.tax_lines) == 1 else None
    breakdown = tax_breakdown(invoice)
    for item in expected.line_items:
        if item.quantity is not None:
            item.unit = item.unit or "C62"
        item.tax_category, rate = line_tax(item, breakdown)
        if item.tax_rate is None and single is not None and single.category != "O":
            item.tax_rate = single.rate
        if item.tax_rate is None and item.tax_category in _ZERO_RATED:
            item.tax_rate = rate
    expected.allowance_charges = document_allowance_charges(invoice, breakdown)
    return expected


def _corpus_xml() -> list[Path]:
    return sorted(CORPUS.rglob("*.embedded.xml")) if CORPUS.is_dir() else []


@needs_reader
@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")
@pytest.mark.parametrize("path", _corpus_xml(), ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_xml_round_trips_through_written_cii(path: Path) -> None:
    invoice = _read(path.read_bytes())
    xml = invoice_to_cii(invoice)
    errors, missing = validate_xml(xml, "cii"), missing_mandatory(invoice)
    # Valid whenever nothing mandatory is missing; an invalid one always says what is missing.
    assert not errors or missing, errors
    assert _differences(_as_written(invoice), _read(xml)) == []
