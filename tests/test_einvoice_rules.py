"""Valid e-invoices out: the bundled sample gives XSD-valid CII and UBL, what EN 16931 derives is
completed, the official schematron (or, without Saxon, the rules in code) checks the result, and
`convert` never prints XML that fails to stdout."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from invoice_extractor import cli
from invoice_extractor.export import en16931_rules
from invoice_extractor.export.en16931_rules import completed, rule_errors
from invoice_extractor.export.facturx import Syntax, convert
from invoice_extractor.model import Invoice, Party, TaxLine

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sample-invoice.pdf"


@cache
def _sample() -> Invoice:
    from invoice_extractor.pipeline import extract_file

    [invoice] = extract_file(SAMPLE)
    return invoice


@pytest.fixture
def sample() -> Invoice:
    return _sample().model_copy(deep=True)


def _complete(invoice: Invoice) -> Invoice:
    invoice.buyer.country = "DE"
    invoice.buyer.address = "Musterweg 2, 10115 Berlin"
    return invoice


@pytest.fixture
def without_saxon(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(en16931_rules, "_saxon", lambda: None)
    yield


@pytest.mark.parametrize("syntax", ["cii", "ubl"])
def test_the_bundled_sample_is_xsd_valid(sample: Invoice, syntax: Syntax) -> None:
    result = convert(sample, syntax)
    assert result.xsd_errors == []
    # The sample does not print the buyer's country: EN 16931 still needs it, and says so.
    assert result.missing == ["BT-55 buyer.country"]
    assert any(e.startswith(("[BR-10]", "[BR-11]")) for e in result.rule_errors), result.rule_errors
    assert not result.valid


@pytest.mark.parametrize("syntax", ["cii", "ubl"])
def test_the_sample_with_its_buyer_country_is_a_valid_en16931_invoice(
    sample: Invoice, syntax: Syntax
) -> None:
    result = convert(_complete(sample), syntax)
    assert (result.xsd_errors, result.missing, result.rule_errors) == ([], [], [])
    assert result.valid and en16931_rules.rules_engine() == "schematron"


def test_completion_derives_only_what_en16931_fixes(sample: Invoice) -> None:
    assert sample.tax_exclusive_total is None and sample.seller.country is None
    done = completed(sample)
    assert done.tax_exclusive_total == sample.subtotal  # no allowances or charges
    assert done.seller.country == "DE"  # from DE136695976
    assert done.buyer.country is None  # no VAT id to tell


def test_the_schematron_reports_a_broken_sum(sample: Invoice) -> None:
    broken = _complete(sample)
    broken.tax_lines = [
        TaxLine(rate=Decimal(19), base=Decimal("952.50"), amount=Decimal("170.00"), category="S")
    ]
    result = convert(broken, "cii")
    assert result.xsd_errors == []
    assert any(e.startswith(("[BR-S-09]", "[BR-CO-14]")) for e in result.rule_errors)


def test_without_saxon_the_rules_run_in_code(sample: Invoice, without_saxon: None) -> None:
    assert en16931_rules.rules_engine() == "code"
    good = completed(_complete(sample))
    assert rule_errors(b"", "cii", good) == []
    bad = good.model_copy(
        update={
            "tax_lines": [
                TaxLine(rate=Decimal(19), base=Decimal(900), amount=Decimal(170), category="S")
            ]
        }
    )
    errors = rule_errors(b"", "cii", bad)
    assert any(e.startswith("BR-S-08:") and "(952.50)" in e for e in errors), errors
    assert any(e.startswith("BR-S-09:") and "is 171.00, not 170" in e for e in errors), errors


def test_convert_prints_no_xml_that_fails(
    sample: Invoice,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code = cli.main(["convert", str(SAMPLE), "--to", "cii"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert "EN 16931 rule: [BR-11]" in err and "no XML printed" in err
    # The complete invoice, given as its own CII, converts to UBL on stdout with exit 0.
    xml = convert(_complete(sample), "cii").data
    assert xml is not None
    source = tmp_path / "complete.xml"
    source.write_bytes(xml)
    code = cli.main(["convert", str(source), "--to", "ubl"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.startswith("<?xml") and "<cbc:ID>RE-2024-0815</cbc:ID>" in out


def test_a_party_without_vat_id_keeps_an_unknown_country() -> None:
    invoice = Invoice(file="x", seller=Party(name="A", vat_id="XX123"))
    assert completed(invoice).seller.country is None


def test_the_web_export_sends_only_valid_xml(new_api: Any, sample: Invoice) -> None:
    api = new_api()
    assert api.upload((SAMPLE.read_bytes(), "sample-invoice.pdf")).status_code == 202
    api.wait(count=1)
    [invoice] = api.invoices()
    refused = api.get(f"/invoices/{invoice['id']}/einvoice?syntax=cii")
    assert refused.status_code == 422
    message = refused.get_json()["error"]["message"]
    assert "missing BT-55 buyer.country" in message and "rule: [BR-" in message
    fields = {"buyer.country": "DE", "buyer.address": "Musterweg 2, 10115 Berlin"}
    assert api.patch(invoice["id"], {"fields": fields}).status_code == 200
    for syntax, root in (("cii", "<rsm:CrossIndustryInvoice "), ("ubl", "<Invoice ")):
        answer = api.get(f"/invoices/{invoice['id']}/einvoice?syntax={syntax}")
        assert answer.status_code == 200, answer.get_data(as_text=True)
        assert answer.mimetype == "application/xml" and root in answer.get_data(as_text=True)


def test_a_line_discount_is_no_line_check_warning_and_is_written_back() -> None:
    from invoice_extractor.model import LineItem
    from invoice_extractor.validate import validate

    item = LineItem(
        description="Kaffee",
        quantity=Decimal(1),
        unit_price=Decimal("10.00"),
        amount=Decimal("9.90"),
        tax_rate=Decimal(19),
        allowances=Decimal("0.10"),
    )
    invoice = Invoice(file="x", line_items=[item])
    assert [w for w in validate(invoice).warnings if w.startswith("line_items")] == []
    wrong = invoice.model_copy(
        update={"line_items": [item.model_copy(update={"amount": Decimal(9)})]}
    )
    [warning] = [w for w in validate(wrong).warnings if w.startswith("line_items")]
    assert warning == (
        "line_items.0: quantity x unit_price - allowances != amount (1 x 10.00 - 0.10 != 9)"
    )
    syntaxes: tuple[Syntax, ...] = ("cii", "ubl")
    for syntax in syntaxes:
        xml = convert(invoice, syntax).data
        assert xml is not None and b"0.10" in xml


def test_the_corpus_line_discount_is_read_and_passes() -> None:
    corpus = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "factur-x-kit"
    source = corpus / "ZFdemo_2p1_en16931_67b499beca63e.embedded.xml"
    if not source.is_file():
        pytest.skip("needs ../shared/corpus")
    from invoice_extractor.pipeline import extract_file

    [invoice] = extract_file(source, extractor="einvoice")
    assert invoice.line_items[0].allowances == Decimal("0.10")
    assert not [w for w in invoice.warnings if w.startswith("line_items")]
    result = convert(invoice, "cii")
    assert result.xsd_errors == []
    assert not [e for e in result.rule_errors if "BR-4" in e or "line" in e.lower()]
