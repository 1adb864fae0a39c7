"""Session exports (CSV, XLSX, JSON): corrected values win over extracted ones, and every row or
object carries ``reviewed``, ``reviewed_at`` and the corrected field paths."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Response

from ..errors import BadRequest
from ..export.bills_csv import bills_to_csv
from ..export.csv_export import Review, invoices_to_csv, line_items_to_csv
from ..export.datev import DatevOptions, invoices_to_datev
from ..export.json_export import invoices_to_json
from ..export.xlsx_export import invoices_to_xlsx
from ..matching.service import supplier_accounts
from ..matching.views import MatchState, match_states
from ..store.models import utcnow
from .context import services

if TYPE_CHECKING:
    from ..store.invoice_view import InvoiceView

FORMATS = ("csv", "xlsx", "json", "datev", "bills-xero", "bills-quickbooks")
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def parse_ids(raw: str | None) -> list[int] | None:
    if not raw:
        return None
    try:
        return [int(part) for part in raw.split(",") if part.strip()]
    except ValueError as exc:
        raise BadRequest("ids must be a comma-separated list of invoice ids") from exc


def export(session_id: str, fmt: str, kind: str, ids: list[int] | None) -> Response:
    if fmt not in FORMATS:
        raise BadRequest(f"unknown export format {fmt!r}; valid: {', '.join(FORMATS)}")
    if kind not in ("invoices", "items"):
        raise BadRequest("kind must be invoices or items")
    views = services().store.invoices(session_id, ids)
    invoices = [view.invoice for view in views]
    states = match_states(services().store, [view.id for view in views])
    reviews = [_review(view, states.get(view.id)) for view in views]
    stem = f"invoices-{session_id[:8]}" + ("-items" if kind == "items" else "")
    if fmt == "datev":
        body: str | bytes = invoices_to_datev(
            invoices,
            supplier_accounts(services().store, [v.id for v in views]),
            DatevOptions.of(services().store.settings),
            utcnow(),
        )
        mimetype, fmt, stem = "text/csv; charset=windows-1252", "csv", f"EXTF_{stem}"
    elif fmt.startswith("bills-"):
        settings = services().store.settings
        layout = fmt.removeprefix("bills-")
        body = bills_to_csv(
            invoices,
            layout,
            date_format=settings.bills_date_format,
            account_code=settings.bills_account_code,
        )
        mimetype, fmt, stem = "text/csv", "csv", f"bills-{layout}-{session_id[:8]}"
    elif fmt == "json":
        body = invoices_to_json(invoices, reviews)
        mimetype = "application/json"
    elif fmt == "xlsx":
        body, mimetype = invoices_to_xlsx(invoices, reviews), _XLSX
    else:
        body = (line_items_to_csv if kind == "items" else invoices_to_csv)(invoices, reviews)
        mimetype = "text/csv"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


def _review(view: InvoiceView, state: MatchState | None) -> Review:
    state = state or MatchState()
    return Review(
        view.reviewed,
        view.reviewed_at,
        view.corrected,
        po_match=state.po_match,
        po_matched=state.po_number,
        payment_status=state.payment_status,
        paid_on=state.paid_on,
    )
