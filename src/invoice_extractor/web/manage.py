"""The JSON API's management operations, as on the pages: rename or delete a session, retry or
remove a file, remove an invoice."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ..errors import BadRequest
from .auth import check_csrf
from .context import owned, services

manage = Blueprint("manage", __name__, url_prefix="/api/v1")


@manage.before_request
def _csrf() -> None:
    check_csrf()


@manage.patch("/sessions/<session_id>")
def rename_session(session_id: str) -> Response:
    owned(session_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("name"), str):
        raise BadRequest('send a JSON object: {"name": "..."}')
    services().store.admin.rename(session_id, body["name"])
    return jsonify(id=session_id, name=" ".join(body["name"].split()))


@manage.delete("/sessions/<session_id>")
def delete_session(session_id: str) -> tuple[str, int]:
    owned(session_id)
    services().store.admin.delete_session(session_id)
    return "", 204


@manage.post("/sessions/<session_id>/files/<int:file_id>/retry")
def retry_file(session_id: str, file_id: int) -> tuple[Response, int]:
    owned(session_id)
    svc = services()
    job_id = svc.store.admin.retry(session_id, file_id)
    svc.queue.submit(job_id)
    return jsonify(file_id=file_id, job_id=job_id, state="queued"), 202


@manage.delete("/sessions/<session_id>/files/<int:file_id>")
def remove_file(session_id: str, file_id: int) -> tuple[str, int]:
    owned(session_id)
    services().store.admin.remove_file(session_id, file_id)
    return "", 204


@manage.delete("/sessions/<session_id>/invoices/<int:invoice_id>")
def remove_invoice(session_id: str, invoice_id: int) -> tuple[str, int]:
    owned(session_id)
    services().store.admin.remove_invoice(session_id, invoice_id)
    return "", 204


@manage.delete("/sessions/<session_id>/rejected/<int:rejected_id>")
def remove_rejected(session_id: str, rejected_id: int) -> tuple[str, int]:
    owned(session_id)
    services().store.admin.forget_rejected(session_id, rejected_id)
    return "", 204
