"""The seller memory's controls: the known sellers and what was learned of each, forget one or
all, export and import as JSON (``/sellers`` for people, ``/api/v1/sellers`` for programs).

The memory is the instance's, shared by every session (a clerk's correction helps the next
session): whoever can use the app can see which sellers it knows and their label words.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ..errors import BadRequest, NotFound
from .auth import check_csrf
from .context import services

sellers = Blueprint("sellers", __name__, template_folder="templates")

_ORIGINS = {
    "correction": "your correction",
    "review": "your review",
    "einvoice": "an e-invoice",
    "learn": "a truth file",
    "known": "this seller's known name and identifiers",
}


@sellers.before_request
def _csrf() -> None:
    check_csrf(strict=not request.path.startswith("/api/"))


@sellers.app_template_filter("lesson")
def lesson_text(described: str) -> str:
    """``"correction 2026-11-03"`` -> ``"learned from your correction of 3 Nov"``."""
    origin, _, day = described.partition(" ")
    try:
        when = date.fromisoformat(day)
    except ValueError:
        return f"learned from {_ORIGINS.get(origin, origin)}"
    return f"learned from {_ORIGINS.get(origin, origin)} of {when.day} {when:%b}"


@sellers.get("/api/v1/sellers")
def list_sellers() -> Response:
    return jsonify(sellers=[s.to_json() for s in services().store.sellers.known()])


@sellers.delete("/api/v1/sellers/<int:seller_id>")
def forget_seller(seller_id: int) -> tuple[str, int]:
    if not services().store.sellers.forget(seller_id):
        raise NotFound("no such seller")
    return "", 204


@sellers.delete("/api/v1/sellers")
def forget_all() -> tuple[str, int]:
    services().store.sellers.forget()
    return "", 204


@sellers.get("/api/v1/sellers/export")
def export_sellers() -> Response:
    response = jsonify(services().store.sellers.export())
    response.headers["Content-Disposition"] = 'attachment; filename="seller-memory.json"'
    return response


@sellers.post("/api/v1/sellers/import")
def import_sellers() -> tuple[Response, int]:
    body = request.get_json(silent=True)
    if body is None:
        raise BadRequest("send the JSON of GET /api/v1/sellers/export")
    return jsonify(imported=services().store.sellers.import_(body)), 200


@sellers.get("/sellers")
def sellers_page() -> str:
    return render_template("sellers.html", sellers=services().store.sellers.known())


@sellers.post("/sellers/<int:seller_id>/forget")
def forget_page(seller_id: int) -> BaseResponse:
    services().store.sellers.forget(seller_id)
    return redirect(url_for("sellers.sellers_page"), code=303)


@sellers.post("/sellers/forget")
def forget_all_page() -> BaseResponse:
    services().store.sellers.forget()
    return redirect(url_for("sellers.sellers_page"), code=303)
