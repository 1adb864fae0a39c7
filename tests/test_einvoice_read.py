"""Reading e-invoices exactly: corpus XML and Factur-X PDFs against their truth, hostile XML,
XML that is no invoice, and the cross-check of the printed page against the XML."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from invoice_extractor import pipeline
from invoice_extractor.evaluation import find_cases
from invoice_extractor.extract.einvoice import read_invoice_xml
from invoice_extractor.scoring import score_case

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")

MINIMAL_CII = b"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice
  xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocument><ram:ID>INV-7</ram:ID><ram:TypeCode>381</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20240331</udt:DateTimeString>
    </ram:IssueDateTime></rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty><ram:Name>ACME GmbH</ram:Name>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE 136 695 976</ram:ID>
        </ram:SpecifiedTaxRegistration></ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>Kunde AG</ram:Name></ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>100.00</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount>100.00</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="USD">21.00</ram:TaxTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">19.00</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>119.00</ram:GrandTotalAmount>
        <ram:DuePayableAmount>119.00</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""


def test_a_cii_file_is_read_exactly() -> None:
    [invoice] = pipeline.extract_bytes(MINIMAL_CII, "invoice.xml")
    assert (invoice.extractor, invoice.status.value) == ("einvoice", "ok")
    assert invoice.document_type.value == "credit_note"  # type code 381
    assert (invoice.invoice_number, str(invoice.issue_date)) == ("INV-7", "2024-03-31")
    assert (invoice.seller.name, invoice.seller.vat_id) == ("ACME GmbH", "DE136695976")
    # The tax total in the invoice currency, not the one in another currency.
    assert [str(invoice.tax_total), str(invoice.total)] == ["19.00", "119.00"]


HOSTILE = {
    "xxe": b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100">
&x;</rsm:CrossIndustryInvoice>""",
    "billion-laughs": b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol3;</Invoice>""",
    "external-dtd": b"""<?xml version="1.0"?><!DOCTYPE Invoice SYSTEM "http://127.0.0.1:9/x.dtd">
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>""",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_xml_is_refused_with_a_clear_error(case: str) -> None:
    [invoice] = pipeline.extract_bytes(HOSTILE[case], f"{case}.xml")
    assert invoice.status.value == "failed"
    assert invoice.error is not None
    assert invoice.error.startswith(f"{case}.xml: the XML uses DTDs or entities, which are refused")
    assert "root:" not in invoice.error  # nothing of /etc/passwd leaked


def test_oversize_and_malformed_xml_are_refused() -> None:
    huge = b"<?xml version='1.0'?><Invoice>" + b" " * (21 * 1024 * 1024) + b"</Invoice>"
    [big] = pipeline.extract_bytes(huge, "big.xml")
    assert big.error == "big.xml: the XML is larger than 20 MB"
    [broken] = pipeline.extract_bytes(b"<?xml version='1.0'?><Invoice><ID>1</Invoice>", "bad.xml")
    assert broken.error is not None and broken.error.startswith("bad.xml: the XML is malformed (")


def test_xml_that_is_no_invoice_is_refused() -> None:
    [invoice] = pipeline.extract_bytes(b"<?xml version='1.0'?><rss><channel/></rss>", "feed.xml")
    assert invoice.status.value == "failed"
    assert invoice.error == "feed.xml: XML root <rss> is not a CII, ZUGFeRD or UBL invoice"


@needs_corpus
@pytest.mark.parametrize("subset", ["xml", "facturx"])
def test_every_corpus_e_invoice_equals_its_truth_field_for_field(subset: str) -> None:
    cases = find_cases(CORPUS, subset)
    assert len(cases) >= 60
    wrong = []
    for case in cases:
        truth = json.loads(case.truth.read_text(encoding="utf-8"))
        score = score_case(case.id, truth, pipeline.extract_file(case.input), all_fields=True)
        wrong += [
            f"{case.id}: {r.field} {r.expected!r} != {r.got!r}"
            for r in score.fields
            if not r.correct
        ]
        if score.items is not None and score.items.matched != score.items.expected:
            wrong.append(f"{case.id}: line items {score.missed_items} {score.extra_items}")
    assert wrong == []


def _corpus_facturx() -> list[Path]:
    return [case.input for case in find_cases(CORPUS, "facturx")] if CORPUS.is_dir() else []


def _page_text(path: Path) -> str:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()


@needs_corpus
def test_cross_check_warns_only_where_the_page_really_disagrees() -> None:
    """An independent look: each warned XML value is truly absent from the page's text."""
    warned = 0
    for path in _corpus_facturx():
        [invoice] = pipeline.extract_file(path)
        page = re.sub(r"[\s.,]", "", _page_text(path)).upper()
        for warning in invoice.warnings:
            if not warning.startswith("CROSSCHECK:"):
                continue
            warned += 1
            xml_value = warning.rsplit(" differs from XML ", 1)[1]
            variants = {xml_value, xml_value.replace("-", ""), xml_value.lstrip("0")}
            printed = {re.sub(r"[\s.,]", "", v).upper() for v in variants}
            assert not any(p and p in page for p in printed), (path.name, warning)
    assert warned <= 5  # the corpus holds only a few genuine page/XML disagreements


@needs_corpus
def test_cross_check_finds_a_planted_total_mismatch(tmp_path: Path) -> None:
    facturx = pytest.importorskip("facturx")
    name = "zugferd-corpus/EN16931_Rabatte"
    visual = (CORPUS / f"{name}.visual.pdf").read_bytes()
    xml = (CORPUS / f"{name}.embedded.xml").read_bytes()
    original = read_invoice_xml(xml, "x.xml")
    assert original.total is not None
    planted = re.sub(
        rb"<ram:GrandTotalAmount>[^<]+</ram:GrandTotalAmount>",
        b"<ram:GrandTotalAmount>%s</ram:GrandTotalAmount>" % str(original.total + 1).encode(),
        xml,
    )
    tampered = facturx.generate_from_binary(visual, planted, check_xsd=False)
    [invoice] = pipeline.extract_bytes(tampered, "tampered.pdf")
    assert invoice.extractor == "einvoice" and invoice.total == original.total + 1
    assert any(
        w.startswith("CROSSCHECK: printed total") and w.endswith(f"XML {original.total + 1}")
        for w in invoice.warnings
    ), invoice.warnings
    assert invoice.status.value == "needs_review"
    # Untampered, the same pages and XML agree: no cross-check warning, and evidence boxes.
    [clean] = pipeline.extract_bytes(
        facturx.generate_from_binary(visual, xml, check_xsd=False), "c.pdf"
    )
    assert not [w for w in clean.warnings if w.startswith("CROSSCHECK")]
    assert clean.evidence["total"].page >= 1 and clean.evidence["invoice_number"].confidence == 1.0
