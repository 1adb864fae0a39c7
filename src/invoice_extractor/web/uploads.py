"""Accepting uploaded files: size and type checked, stored by hash, queued for extraction."""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import FileStorage

from ..ingest.loader import display_name, sniff_kind
from ..store.uploads import StoredUpload, store_uploads
from .context import services
from .session_list import owner_hashes


@dataclass(frozen=True, slots=True)
class Rejected:
    name: str
    reason: str


def accept(
    session_id: str, uploads: list[FileStorage]
) -> tuple[list[StoredUpload], list[Rejected]]:
    """The files taken into the session (this request must own it: else NotFound) with their
    duplicate notices, and those refused with their reason; one database transaction."""
    svc = services()
    settings = svc.store.settings
    limit = settings.max_file_mb * 1024 * 1024
    rejected: list[Rejected] = []
    checked: list[tuple[str, bytes]] = []
    for upload in uploads:
        name = display_name(upload.filename or "upload")
        data = upload.read(limit + 1)
        if not data:
            rejected.append(Rejected(name, "the file is empty"))
        elif len(data) > limit:
            rejected.append(Rejected(name, f"larger than {settings.max_file_mb} MB"))
        elif sniff_kind(data) is None:
            rejected.append(Rejected(name, "not a PDF, XML or image (PNG, JPEG, TIFF, WebP)"))
        else:
            checked.append((name, data))
    accepted = store_uploads(
        svc.store.db,
        svc.store.blobs,
        settings.max_invoices_per_session,
        session_id,
        owner_hashes(),
        checked,
        [(r.name, r.reason) for r in rejected],
    )
    for taken in accepted:
        svc.queue.submit(taken.job_id)
    return accepted, rejected
