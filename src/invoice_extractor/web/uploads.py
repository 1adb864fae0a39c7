"""Accepting uploaded files: size and type checked, stored by hash, queued for extraction."""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import FileStorage

from ..ingest.loader import display_name, sniff_kind
from .context import services


@dataclass(frozen=True, slots=True)
class Accepted:
    file_id: int
    job_id: int
    name: str
    size: int


@dataclass(frozen=True, slots=True)
class Rejected:
    name: str
    reason: str


def accept(session_id: str, uploads: list[FileStorage]) -> tuple[list[Accepted], list[Rejected]]:
    svc = services()
    limit = svc.store.settings.max_file_mb * 1024 * 1024
    accepted: list[Accepted] = []
    rejected: list[Rejected] = []
    checked: list[tuple[str, bytes]] = []
    for upload in uploads:
        name = display_name(upload.filename or "upload")
        data = upload.read(limit + 1)
        if not data:
            rejected.append(Rejected(name, "the file is empty"))
        elif len(data) > limit:
            rejected.append(Rejected(name, f"larger than {svc.store.settings.max_file_mb} MB"))
        elif sniff_kind(data) is None:
            rejected.append(Rejected(name, "not a PDF, XML or image (PNG, JPEG, TIFF, WebP)"))
        else:
            checked.append((name, data))
    for refused in rejected:  # listed with its reason until the user removes it
        svc.store.admin.reject(session_id, refused.name, refused.reason)
    svc.store.check_capacity(session_id, len(checked))  # all or nothing: no half-stored batch
    for name, data in checked:
        stored, job = svc.store.add_upload(session_id, name, data)
        accepted.append(Accepted(stored.id, job.id, name, stored.size))
        svc.queue.submit(job.id)
    return accepted, rejected
