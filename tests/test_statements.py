"""Bank statement readers: CAMT.053 (defusedxml), MT940 (mt-940), CSV with a column mapping;
every malformed file refused with the line at fault."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from invoice_extractor.errors import ImportRefused
from invoice_extractor.matching.keys import creditor_reference, is_creditor_reference
from invoice_extractor.matching.statements import parse_statement, sniff
from matching_data import ACME_IBAN, OUR_IBAN, Entry, camt053, mt940

ENTRIES = [
    Entry("119.00", date(2024, 3, 20), ustrd="Invoice INV-2024-0042 thank you"),
    Entry("50.00", date(2024, 3, 21), creditor_ref="RF18539007547034", name="Globex", iban=None),
    Entry(
        "1000.00",
        date(2024, 3, 22),
        direction="CRDT",
        ustrd="Customer pays",
        name="Kunde AG",
        iban="GB33BUKB20201555555555",
    ),
]


def _parse(data: bytes, **kwargs: object) -> list[object]:
    statement = parse_statement(data, "stmt", max_mb=5, max_rows=1000, **kwargs)  # type: ignore[arg-type]
    return list(statement.transactions)


def test_camt053_entries_become_transactions() -> None:
    data = camt053(ENTRIES)
    assert sniff(data) == "camt"
    statement = parse_statement(data, "s.xml", max_mb=5, max_rows=100)
    assert statement.account_iban == OUR_IBAN
    first, second, third = statement.transactions
    assert (first.amount, first.currency, first.direction) == (Decimal("119.00"), "EUR", "DBIT")
    assert first.booking_date == date(2024, 3, 20)
    assert first.counterparty == "ACME GmbH" and first.counterparty_iban == ACME_IBAN
    assert first.reference == "Invoice INV-2024-0042 thank you"
    assert first.line == camt053(ENTRIES).decode().splitlines().index("<Ntry>") + 1
    assert second.creditor_reference == "RF18539007547034" and second.counterparty == "Globex"
    assert third.direction == "CRDT" and third.counterparty == "Kunde AG"
    assert third.counterparty_iban == "GB33BUKB20201555555555"


def test_camt_batch_entry_splits_by_transaction_amounts_and_skips_pending() -> None:
    data = camt053([Entry("30.00", date(2024, 3, 1), ustrd="A-1")]).decode()
    batch = data.replace(
        "</TxDtls></NtryDtls>",
        '</TxDtls><TxDtls><AmtDtls><TxAmt><Amt Ccy="EUR">12.50</Amt></TxAmt></AmtDtls>'
        "<RmtInf><Ustrd>A-2</Ustrd></RmtInf></TxDtls></NtryDtls>",
    )
    pending = batch.replace("</Stmt>", _pending_entry() + "</Stmt>")
    found = parse_statement(pending.encode(), "b.xml", max_mb=5, max_rows=100).transactions
    assert [(t.amount, t.reference) for t in found] == [
        (Decimal("30.00"), "A-1"),
        (Decimal("12.50"), "A-2"),
    ]


def _pending_entry() -> str:
    return (
        '<Ntry><Amt Ccy="EUR">5.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>PDNG</Sts>'
        "<BookgDt><Dt>2024-03-02</Dt></BookgDt></Ntry>"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("<CdtDbtInd>DBIT</CdtDbtInd>", "<CdtDbtInd>XX</CdtDbtInd>"), "(entry 1): CdtDbtInd"),
        (('<Amt Ccy="EUR">50.00</Amt>', '<Amt Ccy="EUR">5O.00</Amt>'), "(entry 2): Amt '5O.00'"),
        (('<Amt Ccy="EUR">1000.00</Amt>', "<Amt>1000.00</Amt>"), "(entry 3): Amt has no valid Ccy"),
        (("<Dt>2024-03-21</Dt></BookgDt>", "<Dt>21.03.2024</Dt></BookgDt>"), "BookgDt '21.03"),
        (("</Stmt>", "</Stmnt>"), "malformed"),
        (("BkToCstmrStmt", "BkToCstmrAcctRpt"), "not a CAMT.053 statement"),
    ],
)
def test_a_malformed_camt_is_refused_naming_the_line(change: tuple[str, str], message: str) -> None:
    data = camt053(ENTRIES).decode()
    assert change[0] in data
    bad = data.replace(change[0], change[1])
    with pytest.raises(ImportRefused) as refused:
        _parse(bad.encode())
    assert message in str(refused.value)
    if "entry" in message:
        entry = int(message.split("entry ")[1][0])
        line = [n for n, text in enumerate(bad.splitlines(), 1) if text == "<Ntry>"][entry - 1]
        assert f"line {line} (entry {entry})" in str(refused.value)


def test_camt_with_entities_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        b"<Document><BkToCstmrStmt>&b;</BkToCstmrStmt></Document>"
    )
    with pytest.raises(ImportRefused, match="DTDs or entities"):
        _parse(bomb)


def test_mt940_transactions_with_german_structured_details() -> None:
    data = mt940(ENTRIES)
    assert sniff(data) == "mt940"
    statement = parse_statement(data, "s.sta", max_mb=5, max_rows=100)
    assert statement.account_iban == OUR_IBAN
    first, second, third = statement.transactions
    assert (first.amount, first.direction, first.booking_date) == (
        Decimal("119.00"),
        "DBIT",
        date(2024, 3, 20),
    )
    assert first.counterparty == "ACME GmbH" and first.counterparty_iban == ACME_IBAN
    assert "INV-2024-0042" in (first.reference or "")
    assert first.line == 5  # the :61: line
    assert second.creditor_reference == "RF18539007547034"
    assert third.direction == "CRDT" and third.amount == Decimal("1000.00")


def test_a_malformed_mt940_is_refused_naming_the_line() -> None:
    lines = mt940(ENTRIES).decode("latin-1").split("\r\n")
    lines[6] = ":61:24032X0321D50,00NTRFNONREF"
    with pytest.raises(ImportRefused, match=r"stmt: line 7: "):
        _parse("\r\n".join(lines).encode("latin-1"))


BANK_CSV = (
    "Kontoauszug Firma\n"
    "Buchungstag;Betrag;Waehrung;Verwendungszweck;Zusatz;IBAN;Name\n"
    "20.03.2024;-1.119,00;EUR;RE INV-2024-0042;;DE02120300000000202051;ACME GmbH\n"
    "21.03.2024;250,50;EUR;Zahlung;RF18 5390 0754 7034;GB33BUKB20201555555555;Kunde AG\n"
)
MAPPING = {
    "skip_rows": 1,
    "delimiter": ";",
    "decimal": ",",
    "thousands": ".",
    "date_format": "%d.%m.%Y",
    "columns": {
        "date": "Buchungstag",
        "amount": "Betrag",
        "currency": "Waehrung",
        "reference": ["Verwendungszweck", "Zusatz"],
        "iban": "IBAN",
        "name": "Name",
    },
}


def test_csv_statement_through_a_mapping() -> None:
    first, second = _parse(BANK_CSV.encode(), mapping=json.dumps(MAPPING).encode())
    assert (first.amount, first.direction, first.booking_date, first.line) == (  # type: ignore[attr-defined]
        Decimal("1119.00"),
        "DBIT",
        date(2024, 3, 20),
        3,
    )
    assert second.direction == "CRDT" and second.amount == Decimal("250.50")  # type: ignore[attr-defined]
    assert second.reference == "Zahlung RF18 5390 0754 7034"  # type: ignore[attr-defined]
    assert second.creditor_reference == "RF18539007547034"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("mapping", "data", "message"),
    [
        ({**MAPPING, "colums": {}}, BANK_CSV, "mapping: unknown key(s) colums"),
        ({**MAPPING, "columns": {"date": "Buchungstag"}}, BANK_CSV, "columns lacks amount"),
        (
            {**MAPPING, "columns": {**MAPPING["columns"], "amount": "Umsatz"}},
            BANK_CSV,  # type: ignore[dict-item]
            "line 2: mapping column 'Umsatz' (amount) is not in the header",
        ),
        (MAPPING, BANK_CSV.replace("250,50", "2x0,50"), "stmt: line 4: amount '2x0,50'"),
        (MAPPING, BANK_CSV.replace("20.03.2024", "2024-03-20"), "line 3: date '2024-03-20' does"),
        (
            {
                **MAPPING,
                "columns": {k: v for k, v in MAPPING["columns"].items() if k != "currency"},
            },  # type: ignore[attr-defined]
            BANK_CSV,
            "line 3: currency '' is not an ISO 4217 code",
        ),
    ],
)
def test_bad_csv_or_mapping_is_refused_naming_the_line(
    mapping: dict[str, object], data: str, message: str
) -> None:
    with pytest.raises(ImportRefused) as refused:
        _parse(data.encode(), mapping=json.dumps(mapping).encode())
    assert message in str(refused.value)


def test_mapping_that_is_not_json_names_its_line() -> None:
    with pytest.raises(ImportRefused, match=r"mapping: line 2, column 1: not valid JSON"):
        _parse(BANK_CSV.encode(), mapping=b'{"columns":\n}')


def test_limits_on_bytes_and_rows() -> None:
    with pytest.raises(ImportRefused, match="larger than the 1 MB import limit"):
        parse_statement(b"x" * (1024 * 1024 + 1), "big.csv", max_mb=1, max_rows=10)
    with pytest.raises(ImportRefused, match="more than 2 entries"):
        parse_statement(camt053(ENTRIES), "s.xml", max_mb=1, max_rows=2)
    with pytest.raises(ImportRefused, match="more than 2 transactions"):
        parse_statement(mt940(ENTRIES), "s.sta", max_mb=1, max_rows=2)


def test_iso_11649_creditor_reference() -> None:
    assert is_creditor_reference("RF18 5390 0754 7034")
    assert not is_creditor_reference("RF19 5390 0754 7034")
    assert creditor_reference("pay RF18 5390 0754 7034 now") == "RF18539007547034"
    assert creditor_reference("RF19539007547034") is None


def test_csv_direction_column_and_default_mapping() -> None:
    mapping = {
        "currency": "EUR",
        "columns": {"date": "Datum", "amount": "Betrag", "direction": "S/H"},
        "debit_values": ["S"],
    }
    data = "Datum,Betrag,S/H\n2024-03-01,10.00,S\n2024-03-02,20.00,H\n"
    out, back = _parse(data.encode(), mapping=json.dumps(mapping).encode())
    assert (out.direction, back.direction) == ("DBIT", "CRDT")  # type: ignore[attr-defined]
    plain = "date,amount,currency,reference\n2024-03-01,-5.5,EUR,INV-1\n"
    (only,) = _parse(plain.encode())
    assert (only.amount, only.direction, only.reference) == (Decimal("5.5"), "DBIT", "INV-1")  # type: ignore[attr-defined]
