"""The matcher's pages: an invoice's duplicates (with "not a duplicate"), and the supplier list
of the installation (edit, CSV import and export). Plain forms, no script."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ..errors import InvalidSupplierCsv, NotFound
from ..matching import service, supplier_csv
from ..matching.suppliers import listing
from .auth import author, check_csrf
from .context import owned, services
from .supplier_api import duplicates_json, owned_session_ids

supplier_pages = Blueprint("supplier_pages", __name__, template_folder="templates")


@supplier_pages.app_template_test("duplicate_warning")
def is_duplicate_warning(warning: object) -> bool:
    """``select('duplicate_warning')`` in a template: the warnings that earn the badge."""
    return str(warning).startswith("DUPLICATE:")


@supplier_pages.before_request
def _csrf() -> None:
    check_csrf(strict=True)


@supplier_pages.get("/s/<session_id>/invoices/<int:invoice_id>/duplicates")
def duplicates_page(session_id: str, invoice_id: int) -> str:
    owned(session_id)
    view = services().store.invoice(session_id, invoice_id)
    return render_template(
        "duplicates.html",
        session_id=session_id,
        view=view,
        matches=duplicates_json(session_id, invoice_id),
    )


@supplier_pages.post("/s/<session_id>/invoices/<int:invoice_id>/not-duplicate")
def not_duplicate(session_id: str, invoice_id: int) -> BaseResponse:
    owned(session_id)
    raw = request.form.get("of", "")
    other = int(raw) if raw.isdigit() else None
    service.confirm_not_duplicate(services().store, session_id, invoice_id, author(), other)
    target = url_for(".duplicates_page", session_id=session_id, invoice_id=invoice_id)
    return redirect(target, code=303)


def _suppliers_page(message: str | None = None, status: int = 200) -> tuple[str, int]:
    if not owned_session_ids():
        raise NotFound("the supplier list is shown to the owners of a session of this installation")
    with services().store.db.session() as db:
        rows = listing(db)
    return render_template("suppliers.html", rows=rows, message=message), status


@supplier_pages.get("/suppliers")
def suppliers_page() -> tuple[str, int]:
    return _suppliers_page()


@supplier_pages.post("/suppliers/import")
def import_suppliers() -> BaseResponse | tuple[str, int]:
    upload = request.files.get("file")
    data = upload.read(supplier_csv.MAX_BYTES + 1) if upload else b""
    if not owned_session_ids():
        raise NotFound("the supplier list is shown to the owners of a session of this installation")
    try:
        with services().store.db.session() as db:
            result = supplier_csv.import_csv(db, data)
    except InvalidSupplierCsv as exc:
        return _suppliers_page(str(exc), 422)
    return _suppliers_page(f"Imported: {result.added} added, {result.updated} updated.")


@supplier_pages.post("/suppliers/<int:supplier_id>")
def edit_supplier(supplier_id: int) -> BaseResponse | tuple[str, int]:
    if not owned_session_ids():
        raise NotFound("the supplier list is shown to the owners of a session of this installation")
    values = {k: request.form.get(k) for k in supplier_csv.COLUMNS if k in request.form}
    try:
        with services().store.db.session() as db:
            supplier_csv.update(db, supplier_id, values)
    except LookupError as exc:
        raise NotFound(str(exc)) from exc
    except ValueError as exc:
        return _suppliers_page(f"Supplier {supplier_id} not saved: {exc}", 400)
    return redirect(url_for(".suppliers_page"), code=303)
