"""ISO 20022 CAMT.053 (bank-to-customer statement) read with defusedxml.

``Document/BkToCstmrStmt/Stmt/Ntry``: ``Amt@Ccy``, ``CdtDbtInd``, ``BookgDt/Dt|DtTm``; each
``NtryDtls/TxDtls`` gives its ``RmtInf/Ustrd`` or ``Strd/CdtrRefInf/Ref``, and the counterparty
from ``RltdPties`` (``Cdtr``/``CdtrAcct`` for money out, ``Dbtr``/``DbtrAcct`` for money in; the
party name directly or under ``Pty`` as in later versions). A batch entry whose details carry
their own ``AmtDtls/TxAmt/Amt`` becomes one transaction per detail. Entries not booked
(``Sts`` other than ``BOOK``) are skipped. Names of elements are matched without namespace, so
every camt.053 version in use reads the same way.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element

from ...errors import ImportRefused, InvalidXml
from ...extract.einvoice.xmltree import local, parse
from ..keys import creditor_reference, iban_key
from . import CREDIT, DEBIT, Statement, Transaction, line_numbers

_NTRY = re.compile(rb"<(?:[\w.-]+:)?Ntry[\s/>]")


def parse_camt(data: bytes, name: str, max_rows: int) -> Statement:
    try:
        root = parse(data, name)
    except InvalidXml as exc:
        raise ImportRefused(str(exc), file=name) from exc
    for element in root.iter():  # local names: every camt.053 version reads the same way, and
        element.tag = local(element.tag)  # lookups run in ElementTree's own (C) find
    report = find(root, "BkToCstmrStmt")
    if local(root.tag) != "Document" or report is None:
        raise ImportRefused(
            f"{name}: not a CAMT.053 statement (root {local(root.tag)}, no BkToCstmrStmt)",
            file=name,
        )
    starts = line_numbers(data, (m.start() for m in _NTRY.finditer(data)))
    transactions: list[Transaction] = []
    account = None
    number = 0
    for statement in find_all(report, "Stmt"):
        account = account or iban_key(text(statement, "Acct/Id/IBAN"))
        for entry in find_all(statement, "Ntry"):
            line = starts[number] if number < len(starts) else 0
            number += 1
            if number > max_rows:
                raise ImportRefused(f"{name}: line {line}: more than {max_rows} entries", file=name)
            transactions.extend(_entry(entry, f"{name}: line {line} (entry {number})", line))
    return Statement("camt", account, transactions)


def _entry(entry: Element, where: str, line: int) -> list[Transaction]:
    status = text(entry, "Sts/Cd") or text(entry, "Sts")
    if status and status != "BOOK":
        return []
    amount, currency = _amount(find(entry, "Amt"), where)
    direction = text(entry, "CdtDbtInd")
    if direction not in (CREDIT, DEBIT):
        raise ImportRefused(f"{where}: CdtDbtInd is {direction!r}, not CRDT or DBIT")
    booked = _date(entry, where)
    details = find_all(entry, "NtryDtls/TxDtls")
    amounts = [find(d, "AmtDtls/TxAmt/Amt") for d in details]
    if len(details) > 1 and all(a is not None for a in amounts):
        return [
            _transaction(d, _amount(a, where), direction, booked, line)
            for d, a in zip(details, amounts, strict=True)
        ]
    return [
        _transaction(details[0] if details else None, (amount, currency), direction, booked, line)
    ]


def _transaction(
    detail: Element | None,
    money: tuple[Decimal, str],
    direction: str,
    booked: date,
    line: int,
) -> Transaction:
    party = "Cdtr" if direction == DEBIT else "Dbtr"
    parties = find(detail, "RltdPties")
    name = text(parties, f"{party}/Nm") or text(parties, f"{party}/Pty/Nm")
    iban = text(parties, f"{party}Acct/Id/IBAN")
    remittance = find(detail, "RmtInf")
    unstructured = [" ".join((u.text or "").split()) for u in find_all(remittance, "Ustrd")]
    structured = [
        ref.text.strip()
        for strd in find_all(remittance, "Strd")
        for ref in find_all(strd, "CdtrRefInf/Ref")
        if ref.text and ref.text.strip()
    ]
    reference = " ".join(p for p in (*structured, *unstructured) if p) or None
    return Transaction(
        line=line,
        booking_date=booked,
        amount=money[0],
        currency=money[1],
        direction=direction,
        counterparty=name[:255] if name else None,
        counterparty_iban=iban_key(iban),
        reference=reference[:2000] if reference else None,
        creditor_reference=creditor_reference(" ".join(structured))
        or creditor_reference(reference),
    )


def find(node: Element | None, path: str) -> Element | None:
    return node.find(path) if node is not None else None


def find_all(node: Element | None, path: str) -> list[Element]:
    return node.findall(path) if node is not None else []


def text(node: Element | None, path: str) -> str | None:
    found = find(node, path)
    value = " ".join(found.text.split()) if found is not None and found.text else ""
    return value or None


def _amount(node: Element | None, where: str) -> tuple[Decimal, str]:
    if node is None or not (node.text or "").strip():
        raise ImportRefused(f"{where}: the entry has no Amt")
    currency = node.get("Ccy") or ""
    if len(currency) != 3 or not currency.isalpha():
        raise ImportRefused(f"{where}: Amt has no valid Ccy attribute ({currency!r})")
    try:
        value = Decimal((node.text or "").strip())
    except InvalidOperation as exc:
        raise ImportRefused(f"{where}: Amt {node.text!r} is not a number") from exc
    if not value.is_finite() or value < 0 or value >= Decimal("1e13"):
        raise ImportRefused(f"{where}: Amt {node.text!r} is not a valid amount")
    return value, currency.upper()


def _date(entry: Element, where: str) -> date:
    raw = text(entry, "BookgDt/Dt") or text(entry, "BookgDt/DtTm") or text(entry, "ValDt/Dt")
    if raw is None:
        raise ImportRefused(f"{where}: the entry has no BookgDt")
    try:
        return date.fromisoformat(raw[:10])
    except ValueError as exc:
        raise ImportRefused(f"{where}: BookgDt {raw!r} is not a date") from exc
