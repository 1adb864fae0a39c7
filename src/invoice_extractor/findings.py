"""Warnings as a clerk reads them: each warning string (the SCHEMA.md contract keeps strings)
becomes a ``Finding`` with its rule code, the field paths it concerns and a plain sentence, e.g.
``line_items.0: quantity x unit_price != amount (10 x 1.50 != 14.90)`` ->
"Line 1: 10 x 1.50 = 15.00, printed 14.90" on ``line_items.0.quantity``, ``.unit_price``,
``.amount``. Warnings of no known form keep their text, with the field paths found in it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .labels import label

__all__ = ["Finding", "explain"]


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    fields: tuple[str, ...]
    message: str
    text: str  # the warning as stored

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "fields": list(self.fields), "message": self.message}


_PATH = r"[a-z_]+(?:\.[a-z_0-9]+)*"
_NUM = r"-?[0-9.]+"


def _sum(expression: str) -> str:
    """``"100.00 - 5.00 + 2.00"`` -> ``"97.00"`` (the operands' own precision)."""
    tokens = expression.split()
    try:
        total = Decimal(tokens[0])
        for sign, value in zip(tokens[1::2], tokens[2::2], strict=True):
            total = total + Decimal(value) if sign == "+" else total - Decimal(value)
    except (InvalidOperation, ValueError, IndexError):
        return expression
    return format(total, "f")


def _terms(names: str, values: str) -> str:
    """``"subtotal - allowances"``, ``"100.00 - 5.00"`` -> "Subtotal 100.00 -
    allowances 5.00"."""
    pairs = zip(names.split(), values.split(), strict=False)
    words = [v if n in "+-" else f"{label(n).lower()} {v}" for n, v in pairs]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _sum_rule(m: re.Match[str]) -> tuple[tuple[str, ...], str]:
    names, field, values, actual = m["names"], m["field"], m["values"], m["actual"]
    paths = (*tuple(t for t in names.split() if re.fullmatch(_PATH, t)), field)
    return paths, (
        f"{_terms(names, values)} = {_sum(values)}, printed {label(field).lower()} {actual}"
    )


def _lines_sum(m: re.Match[str]) -> tuple[tuple[str, ...], str]:
    what = {"line_items": "line amounts", "tax_lines": "tax lines"}.get(m["table"])
    if what is None:  # BR-CO-11 / BR-CO-12: the document-level allowance or charge entries
        what = f"document-level {m['kind']} entries"
    return (m["field"],), (
        f"The {what} add up to {m['sum']}, but the {label(m['field']).lower()} reads {m['actual']}"
    )


def _tax_line(m: re.Match[str]) -> tuple[tuple[str, ...], str]:
    row = f"tax_lines.{m['i']}"
    expected = (Decimal(m["base"]) * Decimal(m["rate"]) / 100).quantize(Decimal("0.01"))
    return (f"{row}.base", f"{row}.rate", f"{row}.amount"), (
        f"{label(row)}: {m['rate']} % of {m['base']} = {expected}, printed {m['amount']}"
    )


def _line_item(m: re.Match[str]) -> tuple[tuple[str, ...], str]:
    row = f"line_items.{m['i']}"
    product = Decimal(m["qty"]) * Decimal(m["price"])
    shown = product.quantize(Decimal("0.01")) if product.as_tuple().exponent != 0 else product
    return (f"{row}.quantity", f"{row}.unit_price", f"{row}.amount"), (
        f"{label(row)}: {m['qty']} x {m['price']} = {shown}, printed {m['amount']}"
    )


def _identifier(m: re.Match[str]) -> tuple[tuple[str, ...], str]:
    what = "is not a valid BIC" if m["code"] == "BIC" else "fails its check digits (misread?)"
    return (m["path"],), f"{label(m['path'])} {m['value']} {what}"


def _dates(m: re.Match[str]) -> tuple[tuple[str, ...], str]:
    return ("due_date", "issue_date"), (
        f"The due date {m['due']} is before the issue date {m['issue']}"
    )


def _uncertain(m: re.Match[str]) -> tuple[tuple[str, ...], str]:
    found = re.findall(rf"({_PATH}) \(([0-9.]+)\)", m["list"])
    names = ", ".join(f"{label(p)} ({float(c):.0%})" for p, c in found)
    return tuple(p for p, _ in found), f"Read with low confidence, check on the page: {names}"


def _missing(m: re.Match[str]) -> tuple[tuple[str, ...], str]:
    paths = tuple(re.findall(_PATH, m["list"]))
    return paths, f"Not found on the page, enter it: {', '.join(label(p) for p in paths)}"


def _not_found(m: re.Match[str]) -> tuple[tuple[str, ...], str]:
    return (m["path"],), f"{label(m['path'])} {m['value']} was not found on the page"


def _crosscheck(m: re.Match[str]) -> tuple[tuple[str, ...], str]:
    return (m["path"],), (
        f"{label(m['path'])}: the page shows {m['printed']}, the XML says {m['xml']}"
    )


def _ocr_repair(m: re.Match[str]) -> tuple[tuple[str, ...], str]:
    return (m["path"],), (
        f"{label(m['path'])}: the scan reads {m['printed']}, taken as {m['value']} because "
        f"{m['rule']} ({m['how']}); check it on the page"
    )


_Explainer = Callable[[re.Match[str]], tuple[tuple[str, ...], str]]
_FORMS: tuple[tuple[str, re.Pattern[str], _Explainer], ...] = (
    (
        "BR-CO-10",
        re.compile(
            rf"BR-CO-10: sum of (?P<table>line_items) amounts != (?P<field>subtotal) "
            rf"\((?P<sum>{_NUM}) != (?P<actual>{_NUM})\)"
        ),
        _lines_sum,
    ),
    (
        "BR-CO-14",
        re.compile(
            rf"BR-CO-14: sum of (?P<table>tax_lines) amounts != (?P<field>tax_total) "
            rf"\((?P<sum>{_NUM}) != (?P<actual>{_NUM})\)"
        ),
        _lines_sum,
    ),
    (
        "",  # BR-CO-11 / BR-CO-12
        re.compile(
            r"(?P<code>BR-CO-1[12]): sum of (?P<table>allowance_charges) "
            r"(?P<kind>allowance|charge) amounts != (?P<field>allowances|charges) "
            rf"\((?P<sum>{_NUM}) != (?P<actual>{_NUM})\)"
        ),
        _lines_sum,
    ),
    (
        "BR-CO-17",
        re.compile(
            rf"BR-CO-17: tax_lines\.(?P<i>\d+): base x rate / 100 != amount "
            rf"\((?P<base>{_NUM}) x (?P<rate>{_NUM}) / 100 != (?P<amount>{_NUM})\)"
        ),
        _tax_line,
    ),
    (
        "",  # BR-CO-13, -15, -16 share one form
        re.compile(
            rf"(?P<code>BR-CO-1[356]): (?P<names>[a-z_ +-]+?) != (?P<field>{_PATH}) "
            rf"\((?P<values>[0-9. +-]+?) != (?P<actual>{_NUM})\)"
        ),
        _sum_rule,
    ),
    (
        "line_items",
        re.compile(
            rf"line_items\.(?P<i>\d+): quantity x unit_price != amount "
            rf"\((?P<qty>{_NUM}) x (?P<price>{_NUM}) != (?P<amount>{_NUM})\)"
        ),
        _line_item,
    ),
    (
        "",
        re.compile(
            rf"(?P<code>IBAN|VAT|BIC): (?P<path>{_PATH}) (?P<value>\S+) "
            r"(?:fails its checksum|is not a valid BIC)"
        ),
        _identifier,
    ),
    (
        "BR-DATES",
        re.compile(r"BR-DATES: due_date (?P<due>\S+) is before issue_date (?P<issue>\S+)"),
        _dates,
    ),
    (
        "OCR-REPAIR",
        re.compile(
            rf"OCR-REPAIR: (?P<path>{_PATH}) (?P<value>{_NUM}) read as (?P<printed>'.*') "
            r"\((?P<how>[^;]+); (?P<rule>.+)\)"
        ),
        _ocr_repair,
    ),
    ("UNCERTAIN", re.compile(r"UNCERTAIN: (?P<list>.+) below the review threshold .+"), _uncertain),
    ("MISSING", re.compile(r"MISSING: (?P<list>.+) not found"), _missing),
    (
        "NOT_FOUND",
        re.compile(rf"not found on page: (?P<path>{_PATH}) (?P<value>'.*')"),
        _not_found,
    ),
    (
        "CROSSCHECK",
        re.compile(
            rf"CROSSCHECK: printed (?P<path>{_PATH}) (?P<printed>.+) differs from XML (?P<xml>.+)"
        ),
        _crosscheck,
    ),
)
_CODE = re.compile(r"([A-Za-z][A-Za-z0-9_.-]*): (.+)", re.S)
_MENTION = re.compile(r"\b(?:seller|buyer|payment)\.[a-z_]+\b|\b(?:line_items|tax_lines)\.\d+\b")


def explain(warning: str, known_fields: frozenset[str] = frozenset()) -> Finding:
    """The finding of one warning; ``known_fields`` (top-level names) lets an unknown form still
    point at the fields it names."""
    for code, pattern, explainer in _FORMS:
        m = pattern.fullmatch(warning)
        if m is not None:
            fields, message = explainer(m)
            rule = code or m["code"]
            return Finding(
                "line_items.N" if rule == "line_items" else rule, fields, message, warning
            )
    found = _CODE.fullmatch(warning)
    code, rest = (found.group(1), found.group(2)) if found else ("NOTE", warning)
    words = set(re.findall(r"\b[a-z_]+\b", rest)) & known_fields
    mentioned = tuple(dict.fromkeys([*_MENTION.findall(rest), *sorted(words)]))
    return Finding(code, mentioned, rest[:1].upper() + rest[1:], warning)
