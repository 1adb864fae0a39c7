"""The API's request and response bodies as pydantic models: the OpenAPI document is built from
these and from the invoice model, so the documentation cannot drift from the code."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..model import Invoice


class SessionCreated(BaseModel):
    id: str = Field(description="Session id (192 random bits).")
    token: str = Field(description="Owner token: send it as `Authorization: Bearer <token>`.")
    url: str = Field(description="The session's page in the web app.")


class JobInfo(BaseModel):
    file_id: int
    name: str
    size: int
    sha256: str
    job_id: int
    state: str = Field(description="queued | reading | extracting | done | failed")
    error: str | None = None
    reason: str | None = Field(None, description="The error without the file name in front.")
    attempts: int
    seconds: float | None = None


class RejectedUpload(BaseModel):
    id: int
    name: str
    reason: str


class SessionInfo(BaseModel):
    id: str
    created_at: str
    files: list[JobInfo]
    counts: dict[str, int]
    invoices: int
    name: str | None = None
    rejected: list[RejectedUpload] = Field(default_factory=list)
    duplicates: dict[str, str] = Field(
        default_factory=dict,
        description="`file:ID` / `invoice:ID` -> the earlier upload it repeats (this owner's).",
    )


class Jobs(BaseModel):
    jobs: list[JobInfo]


class AcceptedFile(BaseModel):
    file_id: int
    job_id: int
    name: str
    size: int
    duplicate: str | None = Field(
        None, description="An earlier upload of the same file in this browser's sessions."
    )


class RejectedFile(BaseModel):
    name: str
    reason: str


class UploadResult(BaseModel):
    accepted: list[AcceptedFile]
    rejected: list[RejectedFile]


class FieldToCheck(BaseModel):
    path: str
    confidence: float


class Check(BaseModel):
    code: str = Field(description="The rule id (`BR-CO-15`, `IBAN`, `UNCERTAIN`, ...).")
    fields: list[str] = Field(description="The field paths the warning concerns.")
    message: str = Field(description="The warning as a sentence.")


class StoredInvoice(Invoice):
    """An invoice of a session: the SCHEMA.md object with the user's corrections applied."""

    id: int
    file_id: int
    reviewed: bool
    corrected_fields: list[str]
    reviewed_at: str | None = None
    review_state: str = Field("ok", description="reviewed, else the status")
    review_threshold: float | None = Field(
        None, description="Fields below this confidence need a look (the validator's threshold)."
    )
    to_check: list[FieldToCheck] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list, description="The warnings, explained.")


class Invoices(BaseModel):
    invoices: list[StoredInvoice]


class InvoicePatch(BaseModel):
    fields: dict[str, str | None] = Field(
        default_factory=dict,
        description="Field path (`total`, `seller.name`, `line_items.0.amount`) -> new value.",
    )
    reviewed: bool | None = None


class EditEntry(BaseModel):
    path: str
    old_value: str | None
    new_value: str | None
    author: str
    at: str


class Edits(BaseModel):
    edits: list[EditEntry]


class ErrorBody(BaseModel):
    code: str
    message: str
    status: int
    fields: dict[str, str] | None = Field(
        None, description="invalid_fields: one message per refused field path."
    )


class ErrorResponse(BaseModel):
    error: ErrorBody


class DuplicateMatch(BaseModel):
    """Another invoice of the installation this one duplicates (or that duplicates it)."""

    invoice_id: int
    relation: str = Field(description="earlier (this one is the copy) or later")
    reason: str = Field(description="file, number (seller + invoice number) or date_total")
    fields: list[str]
    invoice_number: str | None
    issue_date: str | None
    total: str | None
    seller: str | None
    uploaded_at: str
    session_created_at: str
    same_session: bool
    url: str | None = Field(description="Its review page, where the viewer owns its session")


class Duplicates(BaseModel):
    duplicates: list[DuplicateMatch]


class NotDuplicate(BaseModel):
    of: int | None = Field(None, description="The earlier invoice; default: every one matched")


class NotDuplicateResult(BaseModel):
    invoice: StoredInvoice
    duplicates: list[DuplicateMatch]


class SupplierInfo(BaseModel):
    id: int
    name: str
    vat_id: str | None
    vat_id_valid: bool | None = Field(description="false: the VAT id fails its checksum")
    iban: str | None
    address: str | None
    country: str | None
    account: int = Field(description="DATEV creditor account")
    source: str = Field(description="invoice, import or edit")
    invoice_count: int
    last_seen: str | None


class Suppliers(BaseModel):
    suppliers: list[SupplierInfo]


class SupplierPatch(BaseModel):
    name: str | None = None
    vat_id: str | None = None
    iban: str | None = None
    address: str | None = None
    country: str | None = None
    account: str | None = None


class SupplierImport(BaseModel):
    added: int
    updated: int
