"""What the views share: the store and the queue of this app, and the session a request owns."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from ..jobs.base import JobQueue
from ..store.models import ReviewSession
from ..store.repository import Store
from .auth import request_tokens


@dataclass(slots=True)
class Services:
    store: Store
    queue: JobQueue


def services() -> Services:
    found = current_app.extensions["invoice_extractor"]
    assert isinstance(found, Services)
    return found


def owned(session_id: str) -> ReviewSession:
    """The session, if this request owns it; a 404 otherwise (never confirm it exists)."""
    return services().store.owned_session(session_id, request_tokens())
