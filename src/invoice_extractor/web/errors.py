"""One error handler: JSON for the API, a small HTML page for the rest."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from ..errors import InvoiceExtractorError

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _respond(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> tuple[Response | str, int]:
    if _wants_json():
        body: dict[str, object] = {"code": code, "message": message, "status": status}
        if fields:
            body["fields"] = fields  # one message per field path (corrections refused)
        return jsonify(error=body), status
    return render_template("error.html", status=status, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(InvoiceExtractorError)
    def domain_error(exc: InvoiceExtractorError) -> tuple[Response | str, int]:
        if exc.status >= 500:
            log.error("%s: %s", exc.code, exc)
        return _respond(exc.status, exc.code, str(exc), getattr(exc, "fields", None))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response | str, int]:
        status = exc.code or 500
        code = (exc.name or "error").lower().replace(" ", "_")
        return _respond(status, code, exc.description or exc.name or "error")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[Response | str, int]:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _respond(500, "internal_error", "internal error; the server log has the details")
