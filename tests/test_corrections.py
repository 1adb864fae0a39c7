"""Corrections within bounds (issue 15): plain amounts of a sane size, capped text, canonical
paths; each refusal is a clear 400 and leaves the invoice as it was."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Api, InvoicePdf, NewApi


@pytest.fixture
def api_invoice(new_api: NewApi, invoice_pdf: InvoicePdf) -> tuple[Api, int]:
    api = new_api()
    assert api.upload((invoice_pdf(), "a.pdf")).status_code == 202
    api.wait(1)
    (invoice,) = api.invoices()
    return api, invoice["id"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"total": "1e20000000"}, "plain decimal notation"),
        ({"total": "1E+3"}, "plain decimal notation"),
        ({"total": "1" * 16}, "plain decimal notation"),
        ({"total": "1.0000001"}, "plain decimal notation"),
        ({"seller.name": "A" * 5_000_000}, "longer than 2000 characters"),
        ({"line_items.-1.description": "x"}, "no editable field"),
        ({"line_items.00.description": "x"}, "no editable field"),
        ({"line_items.+0.description": "x"}, "no editable field"),
    ],
    ids=[
        "huge-exponent",
        "exponent",
        "16-digits",
        "7-decimals",
        "5-mb-name",
        "negative",
        "00",
        "+0",
    ],
)
def test_an_unbounded_correction_is_refused(
    api_invoice: tuple[Api, int], fields: dict[str, str], message: str
) -> None:
    api, invoice_id = api_invoice
    response = api.patch(invoice_id, {"fields": fields})
    assert response.status_code == 400, response.get_data(as_text=True)[:200]
    assert message in response.get_json()["error"]["message"]
    (invoice,) = api.invoices()
    assert invoice["total"] == "119.00" and invoice["line_items"][0]["description"] == "Consulting"


def test_plain_corrections_within_the_bounds_are_stored(api_invoice: tuple[Api, int]) -> None:
    api, invoice_id = api_invoice
    fields = {"total": "-123456789012345.123456", "line_items.0.description": "D" * 2000}
    response = api.patch(invoice_id, {"fields": fields})
    assert response.status_code == 200, response.get_data(as_text=True)[:200]
    body = response.get_json()
    assert body["total"] == "-123456789012345.123456"
    assert body["line_items"][0]["description"] == "D" * 2000
