"""One invoice of a session as an EN 16931 e-invoice (CII or UBL XML), corrected values first.

Only XML that passes the XSD and the EN 16931 rules is sent; otherwise a 422 names what is
missing and which checks failed, so nothing invalid is ever downloaded as if it were good.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..errors import BadRequest, InputError
from ..export.facturx import convert
from .auth import check_csrf
from .context import owned, services

einvoice_api = Blueprint("einvoice_api", __name__, url_prefix="/api/v1")
_MAX_REPORTED = 20


class InvalidEInvoice(InputError):
    """The invoice lacks EN 16931's mandatory data or fails its rules: no XML is sent."""

    code = "invalid_einvoice"


@einvoice_api.before_request
def _csrf() -> None:
    check_csrf()


@einvoice_api.get("/sessions/<session_id>/invoices/<int:invoice_id>/einvoice")
def einvoice(session_id: str, invoice_id: int) -> Response:
    owned(session_id)
    syntax = request.args.get("syntax", "cii")
    if syntax not in ("cii", "ubl"):
        raise BadRequest("syntax must be cii or ubl")
    view = services().store.invoice(session_id, invoice_id)
    result = convert(view.invoice, "cii" if syntax == "cii" else "ubl")
    if not result.valid or result.data is None:
        problems = [f"missing {term}" for term in result.missing]
        problems += [f"XSD: {e}" for e in result.xsd_errors]
        problems += [f"rule: {e}" for e in result.rule_errors]
        shown = "; ".join(problems[:_MAX_REPORTED])
        raise InvalidEInvoice(f"invoice {invoice_id} is not a valid EN 16931 invoice: {shown}")
    response = Response(result.data, mimetype="application/xml")
    name = f"invoice-{invoice_id}-{syntax}.xml"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
