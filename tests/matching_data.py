"""Builders of matching test files in the standards' published shapes: CAMT.053.001.02 XML, SWIFT
MT940, purchase-order CSV; and a helper that stores invoices as the job runner does."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from invoice_extractor.model import Invoice, LineItem, Party, Payment
from invoice_extractor.store.repository import Store

CAMT_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
OUR_IBAN = "DE89370400440532013000"
ACME_IBAN = "DE02120300000000202051"


@dataclass(frozen=True, slots=True)
class Entry:
    amount: str
    booked: date
    direction: str = "DBIT"
    ustrd: str | None = None
    creditor_ref: str | None = None
    name: str | None = "ACME GmbH"
    iban: str | None = ACME_IBAN
    currency: str = "EUR"


def camt053(entries: list[Entry], *, account: str = OUR_IBAN) -> bytes:
    """A camt.053.001.02 statement: GrpHdr, one Stmt with Acct, balances and one Ntry each."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<Document xmlns="{CAMT_NS}">',
        "<BkToCstmrStmt>",
        "<GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2024-04-01T08:00:00</CreDtTm></GrpHdr>",
        "<Stmt>",
        "<Id>STMT-1</Id><ElctrncSeqNb>1</ElctrncSeqNb><CreDtTm>2024-04-01T08:00:00</CreDtTm>",
        f"<Acct><Id><IBAN>{account}</IBAN></Id><Ccy>EUR</Ccy></Acct>",
        '<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">10000.00</Amt>'
        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-03-01</Dt></Dt></Bal>",
    ]
    for n, e in enumerate(entries):
        party, account_tag = ("Cdtr", "CdtrAcct") if e.direction == "DBIT" else ("Dbtr", "DbtrAcct")
        related = ""
        if e.name or e.iban:
            related = "<RltdPties>"
            if e.name:
                related += f"<{party}><Nm>{escape(e.name)}</Nm></{party}>"
            if e.iban:
                related += f"<{account_tag}><Id><IBAN>{e.iban}</IBAN></Id></{account_tag}>"
            related += "</RltdPties>"
        remittance = ""
        if e.ustrd or e.creditor_ref:
            remittance = "<RmtInf>"
            if e.ustrd:
                remittance += f"<Ustrd>{escape(e.ustrd)}</Ustrd>"
            if e.creditor_ref:
                remittance += (
                    "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry>"
                    "<Issr>ISO</Issr></Tp>"
                    f"<Ref>{e.creditor_ref}</Ref></CdtrRefInf></Strd>"
                )
            remittance += "</RmtInf>"
        parts += [
            "<Ntry>",
            f"<NtryRef>{n + 1}</NtryRef>",
            f'<Amt Ccy="{e.currency}">{e.amount}</Amt>',
            f"<CdtDbtInd>{e.direction}</CdtDbtInd>",
            "<Sts>BOOK</Sts>",
            f"<BookgDt><Dt>{e.booked.isoformat()}</Dt></BookgDt>",
            f"<ValDt><Dt>{e.booked.isoformat()}</Dt></ValDt>",
            f"<AcctSvcrRef>REF-{n + 1}</AcctSvcrRef>",
            "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly>"
            "</Domn></BkTxCd>",
            "<NtryDtls><TxDtls>",
            f"<Refs><EndToEndId>E2E-{n + 1}</EndToEndId></Refs>",
            f'<AmtDtls><TxAmt><Amt Ccy="{e.currency}">{e.amount}</Amt></TxAmt></AmtDtls>',
            related,
            remittance,
            "</TxDtls></NtryDtls>",
            "</Ntry>",
        ]
    parts += ["</Stmt>", "</BkToCstmrStmt>", "</Document>"]
    return "\n".join(parts).encode()


def mt940(entries: list[Entry], *, account: str = OUR_IBAN) -> bytes:
    """An MT940 statement (:20: :25: :28C: :60F:, then :61: + :86: per entry, :62F:), with the
    German structured :86: (?00 posting text, ?20 purpose, ?30 BIC, ?31 IBAN, ?32 name)."""
    lines = [":20:STARTUMSE", f":25:{account}", ":28C:00001/001", ":60F:C240301EUR10000,00"]
    for e in entries:
        mark = "D" if e.direction == "DBIT" else "C"
        amount = e.amount.replace(".", ",")
        day = e.booked.strftime("%y%m%d")
        lines.append(f":61:{day}{e.booked:%m%d}{mark}{amount}NTRFNONREF//BANKREF")
        purpose = e.ustrd or e.creditor_ref or ""
        details = f":86:177?00UEBERWEISUNG?20{purpose}"
        if e.iban:
            details += f"?30COBADEFFXXX?31{e.iban}"
        if e.name:
            details += f"?32{e.name}"
        lines.append(details)
    lines += [":62F:C240331EUR10000,00", "-"]
    return ("\r\n".join(lines) + "\r\n").encode("latin-1")


PO_CSV = (
    "po_number,supplier,date,currency,description,quantity,unit_price,tax_rate\n"
    "PO-7781,ACME GmbH,2024-03-01,EUR,Widget,10,50.00,19\n"
    "PO-7781,ACME GmbH,2024-03-01,EUR,Gadget,5,20.00,19\n"
    "PO-7790,Globex Ltd,2024-03-02,EUR,Consulting day,3,800.00,19\n"
)


def invoice(
    number: str = "INV-2024-0042",
    *,
    po: str | None = "PO-7781",
    seller: str = "ACME GmbH",
    lines: list[tuple[str, str, str]] | None = None,
    issued: date = date(2024, 3, 5),
    due: date | None = date(2024, 4, 4),
    iban: str | None = ACME_IBAN,
) -> Invoice:
    """An invoice as extracted: lines are (description, quantity, unit price), 19 % VAT."""
    items = [
        LineItem(
            description=d,
            quantity=Decimal(q),
            unit_price=Decimal(p),
            amount=Decimal(q) * Decimal(p),
            tax_rate=Decimal(19),
        )
        for d, q, p in (lines if lines is not None else [("Widget", "10", "50.00")])
    ]
    net = sum((i.amount or Decimal(0) for i in items), Decimal(0))
    tax = (net * Decimal("0.19")).quantize(Decimal("0.01"))
    return Invoice(
        file=f"{number}.pdf",
        pages=[1],
        invoice_number=number,
        issue_date=issued,
        due_date=due,
        currency="EUR",
        po_number=po,
        seller=Party(name=seller),
        payment=Payment(iban=iban),
        subtotal=net,
        tax_exclusive_total=net,
        tax_total=tax,
        total=net + tax,
        amount_due=net + tax,
        line_items=items,
    )


def store_invoices(
    store: Store, invoices: list[Invoice], session_id: str | None = None
) -> list[int]:
    """Store each invoice through a job, as the runner does (finish), without the PO hook; returns
    the invoice ids."""
    if session_id is None:
        session_id, _ = store.create_session()
    ids = []
    for inv in invoices:
        _, job = store.add_upload(session_id, inv.file, secrets.token_bytes(16))
        claimed = store.claim(job.id, "test:1")
        assert claimed is not None
        assert store.finish(claimed, "test:1", [inv], 0.1)
        ids.extend(v.id for v in store.invoices(session_id) if v.invoice.file == inv.file)
    return ids
