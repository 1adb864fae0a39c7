"""What the start page and a session page show about sessions: name, date, files by state,
invoices by review state, the total amount per currency, and duplicate notices."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from ..store.invoice_view import InvoiceView
from ..store.models import JobState, ReviewSession
from ..store.repository import token_hash
from .auth import request_tokens
from .context import services


@dataclass(slots=True)
class SessionLine:
    id: str
    name: str
    created_at: datetime
    files: dict[str, int]
    invoices: int
    reviewed: int
    to_review: int
    totals: dict[str, Decimal] = field(default_factory=dict)

    @property
    def amounts(self) -> str:
        return ", ".join(
            f"{amount:,.2f} {cur}".strip() for cur, amount in sorted(self.totals.items())
        )


def session_name(row: ReviewSession) -> str:
    return row.name or f"Session of {row.created_at:%Y-%m-%d %H:%M}"


def owner_hashes() -> list[str]:
    return [token_hash(t) for t in request_tokens() if t]


def summarise(row: ReviewSession, views: list[InvoiceView]) -> SessionLine:
    store = services().store
    states = [job.state for _, job in store.files(row.id)]
    totals: dict[str, Decimal] = {}
    for view in views:
        inv = view.invoice
        if inv.total is not None:
            cur = inv.currency or ""
            totals[cur] = totals.get(cur, Decimal(0)) + inv.total
    return SessionLine(
        id=row.id,
        name=session_name(row),
        created_at=row.created_at,
        files={s.value: states.count(s) for s in JobState if states.count(s)},
        invoices=len(views),
        reviewed=sum(v.reviewed for v in views),
        to_review=sum(not v.reviewed for v in views),
        totals=totals,
    )


def browser_sessions() -> list[SessionLine]:
    """The sessions this browser owns (its cookie's owner tokens), newest first."""
    store = services().store
    return [summarise(row, store.invoices(row.id)) for row in store.admin.owned(owner_hashes())]
