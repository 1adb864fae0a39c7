"""Any e-invoice XML to an ``Invoice``: the syntax told by the root element."""

from __future__ import annotations

from ...errors import NotAnInvoice
from ...model import Invoice
from .cii import is_cii, read_cii
from .ubl import is_ubl, read_ubl
from .xmltree import local, parse


def read_invoice_xml(data: bytes, name: str) -> Invoice:
    """The invoice in ``data``; refuses XML that is not an invoice, never guesses."""
    root = parse(data, name)
    if is_cii(root):
        return read_cii(root, name)
    if is_ubl(root):
        return read_ubl(root, name)
    raise NotAnInvoice(
        f"{name}: XML root <{local(root.tag)}> is not a CII, ZUGFeRD or UBL invoice", file=name
    )
