"""Bodies of the purchase-order and payment API (``matching_api.py``), for the OpenAPI
document: the routes answer exactly these shapes (``tests/test_matching_web.py`` checks)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class OrderLineBody(BaseModel):
    position: int
    description: str
    quantity: str
    unit_price: str
    tax_rate: str | None


class OrderInvoice(BaseModel):
    invoice_id: int
    session_id: str
    invoice_number: str | None
    po_match: str = Field(description="matched | partial | over_invoiced")


class PurchaseOrderBody(BaseModel):
    number: str
    supplier: str
    supplier_vat_id: str | None
    date: str | None
    currency: str | None
    net: str = Field(description="Sum of quantity x unit price over the lines.")
    source: str = Field(description="The file it was imported from.")
    lines: list[OrderLineBody]
    invoices: list[OrderInvoice]


class PurchaseOrders(BaseModel):
    purchase_orders: list[PurchaseOrderBody]


class OrdersImported(BaseModel):
    imported: list[str] = Field(description="The order numbers stored (new or replaced).")


class TransactionBody(BaseModel):
    id: int
    statement_id: int
    line: int = Field(description="Line of the statement file where the entry starts.")
    booking_date: str
    amount: str
    currency: str
    direction: str = Field(description="CRDT (money in) | DBIT (money out)")
    counterparty: str | None
    counterparty_iban: str | None
    reference: str | None
    creditor_reference: str | None = Field(description="ISO 11649 RF reference, if any.")
    invoice_id: int | None = Field(description="The invoice it pays; null when unmatched.")
    session_id: str | None
    match_reason: str | None
    manual_match: str | None = Field(
        default=None,
        description="matched | unmatched: a person decided (the automatic matcher leaves it); "
        "null: the automatic matcher decides.",
    )


class ManualMatch(BaseModel):
    """Match a transaction by hand to one invoice of a session the caller owns."""

    session_id: str
    invoice_id: int


class Transactions(BaseModel):
    transactions: list[TransactionBody]


class StatementImported(BaseModel):
    statement_id: int
    format: str = Field(description="camt | mt940 | csv")
    transactions: int
    matched: int = Field(description="Transactions matched to invoices by this import.")


class Rematched(BaseModel):
    matched: int


class OverdueInvoice(BaseModel):
    invoice_id: int
    session_id: str
    invoice_number: str | None
    seller: str | None
    amount: str | None
    currency: str | None
    due_date: str | None
    days_overdue: int | None


class Overdue(BaseModel):
    invoices: list[OverdueInvoice]


class InvoiceMatching(BaseModel):
    po_match: str | None = Field(description="matched | partial | over_invoiced | no_po")
    po_number: str | None = Field(description="The purchase order it was matched to.")
    payment_status: str | None = Field(description="paid | unpaid")
    paid_on: str | None
    transaction: TransactionBody | None


class RefusedBody(BaseModel):
    code: str = Field(description="import_refused")
    message: str = Field(description="What is wrong and on which line; nothing was imported.")
    status: int


class Refused(BaseModel):
    error: RefusedBody


MODELS: tuple[type[BaseModel], ...] = (
    PurchaseOrders,
    PurchaseOrderBody,
    OrdersImported,
    Transactions,
    TransactionBody,
    ManualMatch,
    StatementImported,
    Rematched,
    Overdue,
    InvoiceMatching,
    Refused,
)
