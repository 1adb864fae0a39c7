"""Safe XML parsing and namespace-agnostic lookups for the e-invoice readers.

Untrusted XML is parsed with defusedxml: no DTDs, no entity expansion, no external entities, so
XXE and "billion laughs" files are refused with a clear error. Lookups match local names, which
reads CII D16B, ZUGFeRD 1.0 and UBL with one small helper.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ...errors import InvalidXml

MAX_XML_BYTES = 20 * 1024 * 1024


def parse(data: bytes, name: str) -> Element:
    if len(data) > MAX_XML_BYTES:
        raise InvalidXml(
            f"{name}: the XML is larger than {MAX_XML_BYTES // (1024 * 1024)} MB", file=name
        )
    try:
        root: Element = fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise InvalidXml(
            f"{name}: the XML uses DTDs or entities, which are refused ({type(exc).__name__})",
            file=name,
        ) from exc
    except (ParseError, ValueError) as exc:
        raise InvalidXml(f"{name}: the XML is malformed ({exc})", file=name) from exc
    return root


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def children(node: Element | None, name: str) -> Iterator[Element]:
    if node is None:
        return
    for child in node:
        if local(child.tag) == name:
            yield child


def find(node: Element | None, path: str) -> Element | None:
    """The first element at ``a/b/c`` (local names); alternatives per step with ``|``."""
    current = [node] if node is not None else []
    for step in path.split("/"):
        names = step.split("|")
        current = [c for n in current for name in names for c in children(n, name)][:1]
        if not current:
            return None
    return current[0]


def find_all(node: Element | None, path: str) -> list[Element]:
    *head, last = path.split("/")
    parent = find(node, "/".join(head)) if head else node
    return [c for name in last.split("|") for c in children(parent, name)]


def text(node: Element | None, path: str) -> str | None:
    found = find(node, path)
    if found is None or found.text is None:
        return None
    value = " ".join(found.text.split())
    return value or None


def amount(node: Element | None, path: str, currency: str | None = None) -> Decimal | None:
    """A decimal value; where an amount appears once per currency, the one in ``currency``."""
    *head, last = path.split("/")
    candidates = (
        find_all(find(node, "/".join(head)) if head else node, last) if node is not None else []
    )
    if currency is not None and len(candidates) > 1:
        candidates = [
            c for c in candidates if c.get("currencyID") in (None, currency)
        ] or candidates
    for candidate in candidates:
        if candidate.text and candidate.text.strip():
            try:
                return Decimal(candidate.text.strip())
            except InvalidOperation:
                return None
    return None


def one_line_address(lines: list[str | None], postcode: str | None, city: str | None) -> str | None:
    """An address on one line, as the model keeps it: ``street, more, 10115 Berlin``."""
    place = " ".join(p for p in (postcode, city) if p)
    return ", ".join(p for p in (*lines, place) if p) or None


def cii_date(node: Element | None, path: str) -> date | None:
    """A CII date (``DateTimeString format="102"`` = YYYYMMDD), also tolerating ISO dates."""
    raw = text(node, path)
    if raw is None:
        return None
    digits = raw.replace("-", "")
    try:
        if len(digits) == 8 and digits.isdigit():
            return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
        return date.fromisoformat(raw[:10])
    except ValueError:
        return None


def iso_date(node: Element | None, path: str) -> date | None:
    raw = text(node, path)
    try:
        return date.fromisoformat(raw[:10]) if raw else None
    except ValueError:
        return None


def allowances_and_charges(
    items: list[Element], indicator: str, value: str
) -> tuple[Decimal | None, Decimal | None]:
    """The sums of allowances and of charges among ``items`` (each an allowance-or-charge element
    whose ``indicator`` path reads ``true`` for a charge), None where there is none."""
    sums: dict[bool, Decimal] = {}
    for item in items:
        flag = (text(item, indicator) or "").lower() == "true"
        found = amount(item, value)
        if found is not None:
            sums[flag] = sums.get(flag, Decimal(0)) + found
    return sums.get(False), sums.get(True)
