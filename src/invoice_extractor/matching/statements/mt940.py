"""SWIFT MT940 statements, parsed by the maintained ``mt-940`` package.

Each ``:61:`` statement line is one transaction (value date, credit/debit mark, amount); the
``:86:`` that follows gives the remittance text, and, where the bank structures it (the German
``?20``..``?32`` subfields, ``/IBAN/`` or ``/NAME/`` codes), the counterparty's IBAN and name.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import mt940

from ...errors import ImportRefused
from ...ids import is_valid_iban
from ..keys import creditor_reference, iban_key
from . import CREDIT, DEBIT, Statement, Transaction, line_numbers

_TAG_61 = re.compile(r"^:61:", re.MULTILINE)
_IBAN = re.compile(r"\b([A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30})\b")
_SUBFIELD = re.compile(r"\?\d\d")
_NAME_CODE = re.compile(r"/NAME/([^/]+)")


def parse_mt940(data: bytes, name: str, max_rows: int) -> Statement:
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        content = data.decode("latin-1")  # banks still send ISO 8859-1; every byte decodes
    content = content.replace("\r\n", "\n").replace("\r", "\n")
    lines = line_numbers(content, (m.start() for m in _TAG_61.finditer(content)))
    if len(lines) > max_rows:
        raise ImportRefused(f"{name}: line {lines[max_rows]}: more than {max_rows} transactions")
    if ":20:" not in content:
        raise ImportRefused(f"{name}: line 1: not an MT940 statement (no :20: tag)", file=name)
    # applicant_iban: the German ?31 subfield is the counterparty's IBAN (not part of its name);
    # reversal_sign: RC / RD (reversals) keep the sign they mean.
    parsed = mt940.models.Transactions(
        options=mt940.Options(applicant_iban=True, reversal_sign=True, strip_bom=True)
    )
    try:
        parsed.parse(content)
    except Exception as exc:  # the parser's errors are RuntimeError, ValueError, ...: all refuse
        raise ImportRefused(f"{name}: {_where(exc, content)}: {_reason(exc)}", file=name) from exc
    account = iban_key(str(parsed.data.get("account_identification") or "").split("/")[0])
    found = list(parsed)
    if len(found) != len(lines):
        raise ImportRefused(
            f"{name}: {len(lines)} :61: lines but {len(found)} transactions read", file=name
        )
    transactions = [
        _transaction(item.data, line, f"{name}: line {line}")
        for item, line in zip(found, lines, strict=True)
    ]
    return Statement("mt940", account, transactions)


def _transaction(data: dict[str, Any], line: int, where: str) -> Transaction:
    money = data.get("amount")
    value = getattr(money, "amount", None)
    currency = str(getattr(money, "currency", "") or data.get("currency") or "")
    booked = data.get("entry_date") or data.get("date")
    if not isinstance(value, Decimal) or not isinstance(booked, date) or len(currency) != 3:
        raise ImportRefused(f"{where}: the :61: line lacks an amount, currency or date")
    direction = DEBIT if value < 0 else CREDIT
    details = str(data.get("transaction_details") or "")
    purpose = data.get("purpose") or _SUBFIELD.sub(" ", details)
    customer = data.get("customer_reference")
    parts = [str(purpose)] + ([str(customer)] if customer and customer != "NONREF" else [])
    reference = " ".join(" ".join(parts).split()) or None
    iban = data.get("applicant_iban") or _first_iban(details)
    name = data.get("applicant_name") or data.get("recipient_name") or _named(details)
    if name and iban:
        name = str(name).replace(str(iban), "").strip() or None
    return Transaction(
        line=line,
        booking_date=date(booked.year, booked.month, booked.day),
        amount=abs(value),
        currency=currency.upper(),
        direction=direction,
        counterparty=str(name)[:255] if name else None,
        counterparty_iban=iban_key(str(iban)) if iban else None,
        reference=reference[:2000] if reference else None,
        creditor_reference=creditor_reference(reference),
    )


def _first_iban(details: str) -> str | None:
    for match in _IBAN.finditer(_SUBFIELD.sub(" ", details).upper()):
        key = iban_key(match.group(1))
        if key and is_valid_iban(key):
            return key
    return None


def _named(details: str) -> str | None:
    match = _NAME_CODE.search(details)
    return match.group(1).strip() if match else None


def _where(exc: Exception, content: str) -> str:
    """The line of the value the parser choked on, when it says which."""
    for arg in reversed(exc.args):
        if isinstance(arg, str) and arg.strip() and arg in content and len(arg) < 2000:
            return f"line {content.count(chr(10), 0, content.index(arg)) + 1}"
    return "line ?"


def _reason(exc: Exception) -> str:
    first = exc.args[0] if exc.args else exc
    return " ".join(str(first).split())[:300]
