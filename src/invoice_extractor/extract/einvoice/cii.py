"""UN/CEFACT Cross Industry Invoice: CII D16B (Factur-X, ZUGFeRD 2.x, XRechnung CII) and the
ZUGFeRD 1.0 CrossIndustryDocument, which has the same content under older element names.

Each path lists the D16B name first and the ZUGFeRD 1.0 name after ``|``.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from ...ids import normalize_iban, normalize_vat_id
from ...model import AllowanceCharge, DocumentType, Invoice, LineItem, Party, Payment, TaxLine
from .xmltree import (
    allowances_and_charges,
    amount,
    cii_date,
    find,
    find_all,
    local,
    one_line_address,
    text,
)

CII_ROOT = "CrossIndustryInvoice"
ZUGFERD1_ROOT = "CrossIndustryDocument"
CREDIT_CODES = frozenset({"381", "261", "262", "296", "308", "396", "420", "458", "532"})

_DOC = "ExchangedDocument|HeaderExchangedDocument"
_TX = "SupplyChainTradeTransaction|SpecifiedSupplyChainTradeTransaction"
_AGREEMENT = f"{_TX}/ApplicableHeaderTradeAgreement|ApplicableSupplyChainTradeAgreement"
_SETTLEMENT = f"{_TX}/ApplicableHeaderTradeSettlement|ApplicableSupplyChainTradeSettlement"
_DELIVERY = f"{_TX}/ApplicableHeaderTradeDelivery|ApplicableSupplyChainTradeDelivery"
_PERIOD = "BillingSpecifiedPeriod"
_SUMMATION = (
    "SpecifiedTradeSettlementHeaderMonetarySummation|SpecifiedTradeSettlementMonetarySummation"
)
_LINE_AGREEMENT = "SpecifiedLineTradeAgreement|SpecifiedSupplyChainTradeAgreement"
_LINE_DELIVERY = "SpecifiedLineTradeDelivery|SpecifiedSupplyChainTradeDelivery"
_LINE_SETTLEMENT = "SpecifiedLineTradeSettlement|SpecifiedSupplyChainTradeSettlement"
_LINE_SUM = (
    "SpecifiedTradeSettlementLineMonetarySummation|SpecifiedTradeSettlementMonetarySummation"
)
_RATE = "RateApplicablePercent|ApplicablePercent"


def is_cii(root: Element) -> bool:
    return local(root.tag) in (CII_ROOT, ZUGFERD1_ROOT)


def profile(root: Element) -> str | None:
    context = "ExchangedDocumentContext|SpecifiedExchangedDocumentContext"
    return text(root, f"{context}/GuidelineSpecifiedDocumentContextParameter/ID")


def syntax(root: Element) -> str:
    if local(root.tag) == ZUGFERD1_ROOT:
        return "ZUGFeRD 1.0"
    return "CII D16B"


def read_cii(root: Element, name: str) -> Invoice:
    settlement = find(root, _SETTLEMENT)
    agreement = find(root, _AGREEMENT)
    delivery = find(root, _DELIVERY)
    currency = text(settlement, "InvoiceCurrencyCode")
    summation = find(settlement, _SUMMATION)
    type_code = text(root, f"{_DOC}/TypeCode")
    invoice = Invoice(
        file=name,
        extractor="einvoice",
        document_type=DocumentType.CREDIT_NOTE
        if type_code in CREDIT_CODES
        else DocumentType.INVOICE,
        invoice_number=text(root, f"{_DOC}/ID"),
        issue_date=cii_date(root, f"{_DOC}/IssueDateTime/DateTimeString"),
        due_date=next(
            (
                d
                for terms in find_all(settlement, "SpecifiedTradePaymentTerms")
                if (d := cii_date(terms, "DueDateDateTime/DateTimeString")) is not None
            ),
            None,
        ),
        currency=currency,
        po_number=text(agreement, "BuyerOrderReferencedDocument/IssuerAssignedID|ID"),
        buyer_reference=text(agreement, "BuyerReference"),
        seller=_party(find(agreement, "SellerTradeParty")),
        buyer=_party(find(agreement, "BuyerTradeParty")),
        payment=_payment(settlement),
        delivery_date=cii_date(
            delivery, "ActualDeliverySupplyChainEvent/OccurrenceDateTime/DateTimeString"
        ),
        delivery_country=text(delivery, "ShipToTradeParty/PostalTradeAddress/CountryID"),
        invoicing_period_start=cii_date(settlement, f"{_PERIOD}/StartDateTime/DateTimeString"),
        invoicing_period_end=cii_date(settlement, f"{_PERIOD}/EndDateTime/DateTimeString"),
        subtotal=amount(summation, "LineTotalAmount", currency),
        allowances=amount(summation, "AllowanceTotalAmount", currency),
        charges=amount(summation, "ChargeTotalAmount", currency),
        tax_exclusive_total=amount(summation, "TaxBasisTotalAmount", currency),
        tax_total=amount(summation, "TaxTotalAmount", currency),
        total=amount(summation, "GrandTotalAmount", currency),
        prepaid=amount(summation, "TotalPrepaidAmount", currency),
        amount_due=amount(summation, "DuePayableAmount", currency),
        tax_lines=[_tax(t) for t in find_all(settlement, "ApplicableTradeTax")],
        line_items=[
            item
            for node in find_all(root, f"{_TX}/IncludedSupplyChainTradeLineItem")
            # A line holding only a note ("Positions from delivery 51112:") is no item.
            if (item := _line(node)).description or item.amount is not None
        ],
        allowance_charges=_allowance_charges(settlement),
    )
    return invoice


def _party(node: Element | None) -> Party:
    if node is None:
        return Party()
    vat = tax = None
    registrations = [
        r for reg in find_all(node, "SpecifiedTaxRegistration") for r in find_all(reg, "ID")
    ]
    for registration in registrations:
        scheme = registration.get("schemeID")
        value = (registration.text or "").strip() or None
        if scheme == "VA" and vat is None:
            vat = normalize_vat_id(value) if value else None
        elif scheme == "FC" and tax is None:
            tax = value
    address = find(node, "PostalTradeAddress")
    global_id = find(node, "GlobalID")
    return Party(
        name=text(node, "Name"),
        vat_id=vat,
        tax_id=tax,
        address=one_line_address(
            [text(address, "LineOne"), text(address, "LineTwo"), text(address, "LineThree")],
            text(address, "PostcodeCode"),
            text(address, "CityName"),
        ),
        country=text(address, "CountryID"),
        email=text(node, "URIUniversalCommunication/URIID"),
        identifier=text(node, "ID") or text(node, "GlobalID"),
        identifier_scheme=None
        if text(node, "ID") or global_id is None
        else global_id.get("schemeID"),
        legal_registration_id=text(node, "SpecifiedLegalOrganization/ID"),
    )


def _payment(settlement: Element | None) -> Payment:
    means = find_all(settlement, "SpecifiedTradeSettlementPaymentMeans")
    iban = bic = None
    for node in means:
        iban = iban or text(node, "PayeePartyCreditorFinancialAccount/IBANID")
        bic = bic or text(node, "PayeeSpecifiedCreditorFinancialInstitution/BICID")
    terms = [text(t, "Description") for t in find_all(settlement, "SpecifiedTradePaymentTerms")]
    return Payment(
        iban=normalize_iban(iban) if iban else None,
        bic=bic,
        terms=" / ".join(t for t in terms if t) or None,
    )


def _tax(node: Element) -> TaxLine:
    return TaxLine(
        rate=amount(node, _RATE),
        base=amount(node, "BasisAmount"),
        amount=amount(node, "CalculatedAmount"),
        category=text(node, "CategoryCode"),
        exemption_reason=text(node, "ExemptionReason"),
        exemption_reason_code=text(node, "ExemptionReasonCode"),
    )


def _allowance_charges(settlement: Element | None) -> list[AllowanceCharge]:
    """BG-20 / BG-21; an EXTENDED profile's logistics service charge (freight) is a charge."""
    entries = [
        AllowanceCharge(
            charge=(text(node, "ChargeIndicator/Indicator") or "").lower() == "true",
            amount=amount(node, "ActualAmount"),
            base=amount(node, "BasisAmount"),
            percentage=amount(node, "CalculationPercent"),
            reason=text(node, "Reason"),
            reason_code=text(node, "ReasonCode"),
            tax_category=text(node, "CategoryTradeTax/CategoryCode"),
            tax_rate=amount(node, f"CategoryTradeTax/{_RATE}"),
        )
        for node in find_all(settlement, "SpecifiedTradeAllowanceCharge")
    ]
    entries += [
        AllowanceCharge(
            charge=True,
            amount=amount(node, "AppliedAmount"),
            reason=text(node, "Description"),
            tax_category=text(node, "AppliedTradeTax/CategoryCode"),
            tax_rate=amount(node, f"AppliedTradeTax/{_RATE}"),
        )
        for node in find_all(settlement, "SpecifiedLogisticsServiceCharge")
    ]
    return entries


def _line(node: Element) -> LineItem:
    settlement = find(node, _LINE_SETTLEMENT)
    quantity = find(node, f"{_LINE_DELIVERY}/BilledQuantity")
    # BT-146 as written; a price per basis quantity (BT-149) is not converted.
    price = amount(node, f"{_LINE_AGREEMENT}/NetPriceProductTradePrice/ChargeAmount")
    allowances, charges = allowances_and_charges(
        find_all(settlement, "SpecifiedTradeAllowanceCharge"),
        "ChargeIndicator/Indicator",
        "ActualAmount",
    )
    return LineItem(
        description=text(node, "SpecifiedTradeProduct/Name"),
        quantity=amount(node, f"{_LINE_DELIVERY}/BilledQuantity"),
        unit=quantity.get("unitCode") if quantity is not None else None,
        unit_price=price,
        amount=amount(settlement, f"{_LINE_SUM}/LineTotalAmount"),
        tax_rate=amount(settlement, f"ApplicableTradeTax/{_RATE}"),
        tax_category=text(settlement, "ApplicableTradeTax/CategoryCode"),
        allowances=allowances,
        charges=charges,
    )
