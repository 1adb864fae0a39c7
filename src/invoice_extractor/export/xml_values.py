"""Value formats and the element builder shared by the CII and UBL writers."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import overload

from lxml import etree

__all__ = ["LINE_REASON_CODES", "fmt_amount", "fmt_decimal", "quantize", "sub"]

_CENT = Decimal("0.01")
_MAX_DECIMALS = Decimal("0.0001")
_Element = etree._Element

LINE_REASON_CODES = {False: "95", True: "ZZZ"}
"""Reason codes of a line's allowances (UNTDID 5189 95, discount) and charges (UNTDID 7161 ZZZ,
mutually defined): the model keeps the amounts, not the reasons."""


def fmt_amount(value: Decimal) -> str:
    """A money amount with exactly 2 decimals (EN 16931 allows no more), rounded half-up."""
    return format(quantize(value, _CENT), "f")


def fmt_decimal(value: Decimal) -> str:
    """A price, quantity or rate: at least 2 and at most 4 decimals (``2`` -> ``2.00``)."""
    value = quantize(value, _MAX_DECIMALS).normalize()
    exponent = value.as_tuple().exponent  # an int for finite numbers
    if isinstance(exponent, int) and exponent > -2:
        value = quantize(value, _CENT)
    return format(value, "f")


def quantize(value: Decimal, step: Decimal) -> Decimal:
    try:
        return value.quantize(step, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than the context holds: written as it is
        return value


@overload
def sub(parent: _Element, tag: str) -> _Element: ...
@overload
def sub(parent: _Element, tag: str, text: str) -> _Element: ...
@overload
def sub(parent: _Element, tag: str, text: str | None) -> _Element | None: ...
def sub(parent: _Element, tag: str, text: str | None = "") -> _Element | None:
    """Append ``prefix:name`` (a prefix of the root's namespace map) to ``parent``.

    With ``text=None`` (a value the invoice does not have) nothing is added and ``None`` comes
    back, so optional values need no ``if`` at the call site; ``""`` makes an element to fill.
    """
    if text is None:
        return None
    prefix, name = tag.split(":")
    node = etree.SubElement(parent, f"{{{parent.nsmap[prefix]}}}{name}")
    if text:
        node.text = text
    return node
