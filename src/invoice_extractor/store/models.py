"""The tables (SQLAlchemy 2). The database is the truth for jobs: a worker that dies leaves its job
to another run, and everything uploaded stays referenced from here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, query_expression, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is UTC on every database (SQLite drops the offset; it comes back here)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    pass


class JobState(StrEnum):
    QUEUED = "queued"
    READING = "reading"
    EXTRACTING = "extracting"
    DONE = "done"
    FAILED = "failed"

    @classmethod
    def running(cls) -> tuple[JobState, ...]:
        return (cls.READING, cls.EXTRACTING)


class ReviewSession(Base):
    """A user's batch of uploads; owned by whoever holds the token whose hash is stored."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    name: Mapped[str | None] = mapped_column(String(120), default=None)

    files: Mapped[list[StoredFile]] = relationship(
        back_populates="session", order_by="StoredFile.id"
    )


class StoredFile(Base):
    """One upload: its display name and the content hash its bytes are stored under."""

    __tablename__ = "files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    session: Mapped[ReviewSession] = relationship(back_populates="files")


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"), unique=True)
    state: Mapped[str] = mapped_column(String(16), default=JobState.QUEUED, index=True)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(128), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    seconds: Mapped[float | None] = mapped_column(Float, default=None)
    # Its file's name and content hash, read by the claim (not columns of ``jobs``): the worker
    # reads the upload without another query. None on a job read any other way.
    file_name: Mapped[str | None] = query_expression()
    file_sha256: Mapped[str | None] = query_expression()
    # Whether the seller memory knew any seller at the claim (None: not read, so look it up).
    sellers_known: Mapped[bool | None] = query_expression()


class InvoiceRecord(Base):
    """One extracted invoice: the SCHEMA.md object as extracted, and its review state."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("job_id", "position"),
        Index("ix_invoices_match_date_total", "match_date", "match_total"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, object]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    reviewed_by: Mapped[str | None] = mapped_column(String(128), default=None)
    # Duplicate and supplier matching (``matching/``): normalised keys of the values the user sees.
    match_number: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    match_date: Mapped[date | None] = mapped_column(Date, default=None)
    match_total: Mapped[str | None] = mapped_column(String(40), default=None)
    match_vat: Mapped[str | None] = mapped_column(String(40), default=None)
    match_name: Mapped[str | None] = mapped_column(String(128), default=None)
    match_iban: Mapped[str | None] = mapped_column(String(40), default=None)
    supplier_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)

    fields: Mapped[list[FieldRecord]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="FieldRecord.id"
    )


class FieldRecord(Base):
    """One header field of an invoice: the extracted value and, once edited, the corrected one."""

    __tablename__ = "fields"
    __table_args__ = (UniqueConstraint("invoice_id", "path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(Text, default=None)
    corrected: Mapped[str | None] = mapped_column(Text, default=None)
    is_corrected: Mapped[bool] = mapped_column(Boolean, default=False)
    confidence: Mapped[float | None] = mapped_column(Float, default=None)
    # Where the corrected value stands on the page (an Evidence object), when it was found there.
    evidence: Mapped[dict[str, object] | None] = mapped_column(JSON, default=None)

    invoice: Mapped[InvoiceRecord] = relationship(back_populates="fields")


class Edit(Base):
    """Who changed which field when, from what to what (never deleted)."""

    __tablename__ = "edits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text, default=None)
    new_value: Mapped[str | None] = mapped_column(Text, default=None)
    author: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RejectedUpload(Base):
    """A file refused at upload (empty, too large, not a type the app reads), kept so the session
    still lists it, with its reason, after a reload."""

    __tablename__ = "rejected_uploads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SellerRecord(Base):
    """One known seller of the seller memory: its layout as JSON (``SellerLayout.to_json``):
    identifiers, label fingerprint and per field the confirmed and the rejected spot."""

    __tablename__ = "sellers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    layout: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class SellerKey(Base):
    """How a seller is looked up: a VAT id, an IBAN or a folded name (several sellers may
    share one: the recogniser decides)."""

    __tablename__ = "seller_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # "vat", "iban" or "name"
    value: Mapped[str] = mapped_column(String(200), index=True)


class Supplier(Base):
    """A known supplier of the installation: built from invoices, edited or imported (CSV)."""

    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    name_key: Mapped[str] = mapped_column(String(128), index=True)
    vat_id: Mapped[str | None] = mapped_column(String(40), default=None, unique=True)
    iban: Mapped[str | None] = mapped_column(String(40), default=None)
    address: Mapped[str | None] = mapped_column(Text, default=None)
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    account: Mapped[int] = mapped_column(Integer, unique=True)  # DATEV creditor account
    source: Mapped[str] = mapped_column(String(16))  # invoice | import | edit
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DuplicateConfirmation(Base):
    """A clerk's word that an invoice is not a duplicate of an earlier one (never deleted)."""

    __tablename__ = "duplicate_confirmations"
    __table_args__ = (UniqueConstraint("invoice_id", "other_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    other_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
