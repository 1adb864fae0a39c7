"""The invoice model: the single source of truth for JSON output, API schema and exports.

Field names follow EN 16931 (business terms in the comments) and ``SCHEMA.md``; amounts are
``Decimal`` and serialise as strings in JSON, dates are ``date`` and serialise as ISO 8601.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

Amount = Annotated[
    Decimal,
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
]
"""A money amount or quantity: exact decimal, a string in JSON with the document's own precision."""

BBox = tuple[float, float, float, float]
"""``[x0, y0, x1, y1]`` in PDF points, origin top-left."""


class Status(StrEnum):
    OK = "ok"
    NEEDS_REVIEW = "needs_review"
    FAILED = "failed"


class DocumentType(StrEnum):
    INVOICE = "invoice"  # UNTDID 1001 code 380
    CREDIT_NOTE = "credit_note"  # 381
    RECEIPT = "receipt"  # a till receipt: a simplified invoice (380) without buyer or number


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Party(_Strict):
    name: str | None = None  # BT-27 / BT-44
    vat_id: str | None = None  # BT-31 / BT-48
    tax_id: str | None = None  # BT-32 (seller's national tax number)
    address: str | None = None  # BG-5 / BG-8 joined on one line
    country: str | None = None  # BT-40 / BT-55, ISO 3166-1 alpha-2
    email: str | None = None  # BT-43 / BT-58


class Payment(_Strict):
    iban: str | None = None  # BT-84
    bic: str | None = None  # BT-86
    terms: str | None = None  # BT-20


class TaxLine(_Strict):
    rate: Amount | None = None  # BT-119, percent
    base: Amount | None = None  # BT-116
    amount: Amount | None = None  # BT-117
    category: str | None = None  # BT-118 (S, Z, E, AE, K, G, O, L, M)


class LineItem(_Strict):
    description: str | None = None  # BT-153
    quantity: Amount | None = None  # BT-129
    unit: str | None = None  # BT-130, UN/ECE rec 20 code where known
    unit_price: Amount | None = None  # BT-146
    amount: Amount | None = None  # BT-131, line net amount
    tax_rate: Amount | None = None  # BT-152
    allowances: Amount | None = None  # BT-136, the line's allowances (discounts) summed
    charges: Amount | None = None  # BT-141, the line's charges summed


class Evidence(_Strict):
    """Where a value stands on the page, and how sure the extractor is of it."""

    page: int = Field(ge=1)
    bbox: BBox
    text: str
    confidence: float = Field(ge=0.0, le=1.0)


class Invoice(_Strict):
    """One invoice, as found in one file (a file may hold several)."""

    file: str
    pages: list[int] = Field(default_factory=list)
    status: Status = Status.OK
    extractor: str = "embedded"
    error: str | None = None
    document_type: DocumentType = DocumentType.INVOICE
    invoice_number: str | None = None  # BT-1
    issue_date: date | None = None  # BT-2
    due_date: date | None = None  # BT-9
    currency: str | None = None  # BT-5
    po_number: str | None = None  # BT-13
    buyer_reference: str | None = None  # BT-10
    seller: Party = Field(default_factory=Party)
    buyer: Party = Field(default_factory=Party)
    payment: Payment = Field(default_factory=Payment)
    subtotal: Amount | None = None  # BT-106
    allowances: Amount | None = None  # BT-107
    charges: Amount | None = None  # BT-108
    tax_exclusive_total: Amount | None = None  # BT-109
    tax_total: Amount | None = None  # BT-110
    total: Amount | None = None  # BT-112
    prepaid: Amount | None = None  # BT-113
    amount_due: Amount | None = None  # BT-115
    tax_lines: list[TaxLine] = Field(default_factory=list)
    line_items: list[LineItem] = Field(default_factory=list)
    evidence: dict[str, Evidence] = Field(default_factory=dict)
    # Field path -> the backend that gave it, where backends were combined (``auto``).
    sources: dict[str, str] = Field(default_factory=dict)
    # Field path -> the seller-memory lesson that chose it ("correction 2026-11-03"); left out of
    # the JSON when nothing was learned, so readings of first-seen sellers are unchanged.
    learned_from: dict[str, str] = Field(default_factory=dict, exclude_if=lambda v: not v)
    warnings: list[str] = Field(default_factory=list)

    def to_json_dict(self) -> dict[str, Any]:
        """The SCHEMA.md object: amounts as strings, dates as ISO strings."""
        return self.model_dump(mode="json")

    @classmethod
    def failed(cls, file: str, error: str, extractor: str = "embedded") -> Invoice:
        return cls(file=file, status=Status.FAILED, error=error, extractor=extractor)

    def get_path(self, path: str) -> Any:
        """Value at a field path such as ``seller.vat_id`` or ``line_items.0.amount``."""
        node: Any = self
        for part in path.split("."):
            node = node[int(part)] if isinstance(node, list) else getattr(node, part)
        return node


TOTAL_FIELDS: tuple[str, ...] = (
    "subtotal",
    "allowances",
    "charges",
    "tax_exclusive_total",
    "tax_total",
    "total",
    "prepaid",
    "amount_due",
)
"""The document totals (BT-106 ... BT-115), in SCHEMA.md order."""

DATE_FIELDS: tuple[str, ...] = ("issue_date", "due_date")

HEADER_FIELDS: tuple[str, ...] = (
    "invoice_number",
    "issue_date",
    "due_date",
    "currency",
    "po_number",
    "buyer_reference",
    "seller.name",
    "seller.vat_id",
    "seller.tax_id",
    "seller.address",
    "seller.country",
    "seller.email",
    "buyer.name",
    "buyer.vat_id",
    "buyer.address",
    "buyer.country",
    "payment.iban",
    "payment.bic",
    "payment.terms",
    *TOTAL_FIELDS,
)
"""Every scalar field path of the header, in SCHEMA.md order (exports and eval iterate this)."""
