"""Field paths in words a clerk reads ("Seller VAT ID"), with the EN 16931 business term that
names each one on a standard invoice (shown as a hint beside the label)."""

from __future__ import annotations

import re

FIELD_LABELS: dict[str, tuple[str, str]] = {
    "invoice_number": ("Invoice number", "BT-1"),
    "issue_date": ("Issue date", "BT-2"),
    "due_date": ("Due date", "BT-9"),
    "currency": ("Currency", "BT-5"),
    "po_number": ("Purchase order", "BT-13"),
    "buyer_reference": ("Buyer reference", "BT-10"),
    "seller.name": ("Seller name", "BT-27"),
    "seller.vat_id": ("Seller VAT ID", "BT-31"),
    "seller.tax_id": ("Seller tax number", "BT-32"),
    "seller.address": ("Seller address", "BG-5"),
    "seller.country": ("Seller country", "BT-40"),
    "seller.email": ("Seller email", "BT-43"),
    "buyer.name": ("Buyer name", "BT-44"),
    "buyer.vat_id": ("Buyer VAT ID", "BT-48"),
    "buyer.tax_id": ("Buyer tax number", ""),
    "buyer.address": ("Buyer address", "BG-8"),
    "buyer.country": ("Buyer country", "BT-55"),
    "buyer.email": ("Buyer email", "BT-58"),
    "payment.iban": ("IBAN", "BT-84"),
    "payment.bic": ("BIC", "BT-86"),
    "payment.terms": ("Payment terms", "BT-20"),
    "subtotal": ("Subtotal", "BT-106"),
    "allowances": ("Allowances", "BT-107"),
    "charges": ("Charges", "BT-108"),
    "tax_exclusive_total": ("Total without tax", "BT-109"),
    "tax_total": ("Tax total", "BT-110"),
    "total": ("Total", "BT-112"),
    "prepaid": ("Prepaid", "BT-113"),
    "amount_due": ("Amount due", "BT-115"),
}
"""Header field path -> (label, BT number or "" where the standard has none)."""

_ROW_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "line_items": {
        "description": ("description", "BT-153"),
        "quantity": ("quantity", "BT-129"),
        "unit": ("unit", "BT-130"),
        "unit_price": ("unit price", "BT-146"),
        "amount": ("amount", "BT-131"),
        "tax_rate": ("tax rate", "BT-152"),
    },
    "tax_lines": {
        "rate": ("rate", "BT-119"),
        "base": ("base", "BT-116"),
        "amount": ("amount", "BT-117"),
        "category": ("category", "BT-118"),
    },
}
_ROW_NAMES = {"line_items": "Line", "tax_lines": "Tax line"}
_ROW_PATH = re.compile(r"(line_items|tax_lines)\.(\d+)(?:\.([a-z_]+))?")


def label(path: str) -> str:
    """``seller.vat_id`` -> "Seller VAT ID"; ``line_items.0.amount`` -> "Line 1 amount"."""
    if path in FIELD_LABELS:
        return FIELD_LABELS[path][0]
    row = _ROW_PATH.fullmatch(path)
    if row is not None:
        table, index, key = row.groups()
        head = f"{_ROW_NAMES[table]} {int(index) + 1}"
        if key is None:
            return head
        return f"{head} {_ROW_LABELS[table].get(key, (key.replace('_', ' '), ''))[0]}"
    return path.replace("_", " ").replace(".", " ").capitalize()


def business_term(path: str) -> str:
    """The BT number of a field path, "" when the standard names none."""
    if path in FIELD_LABELS:
        return FIELD_LABELS[path][1]
    row = _ROW_PATH.fullmatch(path)
    if row is not None and row.group(3):
        return _ROW_LABELS[row.group(1)].get(row.group(3), ("", ""))[1]
    return ""
