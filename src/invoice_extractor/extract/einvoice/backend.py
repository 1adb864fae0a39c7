"""The ``einvoice`` backend: the invoice XML of the document, read exactly (confidence 1.0)."""

from __future__ import annotations

from ...errors import InvalidXml
from ...ingest.document import Document
from ...model import Invoice

# The XML stack (``xmltree``, the readers) is imported only for a document with attachments.

# Names the standards give the attachment; any other .xml is tried too, after these.
KNOWN_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")
_INVOICE_ROOTS = frozenset(
    {"CrossIndustryInvoice", "CrossIndustryDocument", "Invoice", "CreditNote"}
)


def invoice_xml(document: Document) -> tuple[str, bytes] | None:
    """The attachment holding the invoice XML, if the document has one."""
    if not document.attachments:
        return None
    from .xmltree import local, parse

    ordered = sorted(
        document.attachments.items(),
        key=lambda item: (item[0].lower() not in KNOWN_NAMES, item[0].lower()),
    )
    for name, data in ordered:
        try:
            if local(parse(data, name).tag) in _INVOICE_ROOTS:
                return name, data
        except Exception:  # not this one: a hostile or broken XML is reported when it is read
            continue
    return None


REFUSED_CODE = "EINVOICE_REFUSED"


def refused_xml_warnings(document: Document) -> list[str]:
    """One warning per embedded XML refused as hostile, malformed or too large: the invoice is
    then read from the printed page, and the reviewer must know the exact data was set aside."""
    reasons = [f"{name}: {reason}" for name, reason in document.refused_attachments.items()]
    if document.attachments:
        from .xmltree import parse

        for name, data in document.attachments.items():
            try:
                parse(data, name)
            except InvalidXml as exc:
                reasons.append(str(exc))
    return [
        f"{REFUSED_CODE}: {reason}; the e-invoice XML was refused, the invoice is read from "
        "the printed page"
        for reason in reasons
    ]


class EInvoiceExtractor:
    name = "einvoice"

    def score(self, document: Document) -> int | None:
        # Exact data beats any reading of the page: the highest score of all backends.
        return 100 if document.attachments else None

    def extract(self, document: Document, pages: list[int]) -> Invoice:
        from .reader import read_invoice_xml

        found = invoice_xml(document)
        if found is None:
            name, data = next(iter(document.attachments.items()))
            return read_invoice_xml(data, name)  # raises the reason this XML is no invoice
        _, data = found
        invoice = read_invoice_xml(data, document.name)
        invoice.file = document.name
        invoice.pages = pages
        return invoice
