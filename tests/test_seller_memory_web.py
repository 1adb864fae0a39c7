"""The seller memory through the web app, as a clerk uses it (issue 12), on SQLite and
PostgreSQL: upload, correct, mark reviewed, and the seller's next invoice in a new session is
read the corrected way; the memory listed, exported, forgotten and imported; the switch; absurd
corrections refused with a 400 that teaches nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from helpers_sellers import FIRST, OTHER, SECOND, Issue, iso, seller_pdf

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from conftest import Api, MakeWebApp, NewApi


def _read(api: Api, issue: Issue) -> dict[str, Any]:
    assert api.upload((seller_pdf(issue), f"{issue.number}.pdf")).status_code == 202
    api.wait()
    invoices = api.invoices()
    return next(i for i in invoices if i["invoice_number"] == issue.number)


def _teach(new_api: NewApi) -> dict[str, Any]:
    """The clerk's first invoice of the seller: the due date corrected, marked reviewed."""
    api = new_api()
    invoice = _read(api, FIRST)
    assert invoice["due_date"] is None
    body = {"fields": {"due_date": iso(FIRST.due)}, "reviewed": True}
    response = api.patch(invoice["id"], body)
    assert response.status_code == 200, response.get_data(as_text=True)
    result: dict[str, Any] = response.get_json()
    return result


def test_a_correction_teaches_the_next_invoice_in_a_new_session(
    new_api: NewApi, client: FlaskClient
) -> None:
    taught = _teach(new_api)
    assert "due_date" in taught["learned"] and "invoice_number" in taught["learned"]
    api = new_api()
    invoice = _read(api, SECOND)
    assert invoice["due_date"] == iso(SECOND.due)
    assert invoice["learned_from"]["due_date"].startswith("correction ")
    page = client.get(f"/s/{api.session_id}/invoices/{invoice['id']}", headers=api.auth)
    assert page.status_code == 200
    assert "learned from your correction of" in page.get_data(as_text=True)
    # Another seller in the same session is read as if nothing had been learned.
    other = _read(api, OTHER)
    assert other["due_date"] is None and "learned_from" not in other


def test_sellers_are_listed_exported_forgotten_and_imported(
    new_api: NewApi, client: FlaskClient
) -> None:
    _teach(new_api)
    # A program speaks with a bearer token (a browser with its cookie and the CSRF token).
    auth = new_api().auth
    (seller,) = client.get("/api/v1/sellers").get_json()["sellers"]
    assert seller["name"] == FIRST.seller
    assert seller["fields"]["due_date"]["label"] == "erwarten ihre uberweisung bis"
    assert seller["fields"]["due_date"]["origin"] == "correction"
    assert FIRST.seller in client.get("/sellers").get_data(as_text=True)
    exported = client.get("/api/v1/sellers/export").get_json()
    assert FIRST.buyer not in str(exported)  # label words and places, never a buyer's values

    assert client.delete("/api/v1/sellers", headers=auth).status_code == 204
    assert client.get("/api/v1/sellers").get_json()["sellers"] == []
    assert _read(new_api(), SECOND)["due_date"] is None  # forgotten: nothing applied

    response = client.post("/api/v1/sellers/import", json=exported, headers=auth)
    assert response.status_code == 200 and response.get_json() == {"imported": 1}
    assert _read(new_api(), SECOND)["due_date"] == iso(SECOND.due)
    (again,) = client.get("/api/v1/sellers").get_json()["sellers"]
    assert client.delete(f"/api/v1/sellers/{again['id']}", headers=auth).status_code == 204
    assert client.delete(f"/api/v1/sellers/{again['id']}", headers=auth).status_code == 404
    assert (
        client.post("/api/v1/sellers/import", json={"sellers": []}, headers=auth).status_code == 400
    )


def test_a_wrong_correction_is_undone_by_editing_the_field_again(
    new_api: NewApi, client: FlaskClient
) -> None:
    api = new_api()
    invoice = _read(api, FIRST)
    # Wrong first: the due date is the date after "Datum" ...
    assert api.patch(invoice["id"], {"fields": {"due_date": iso(FIRST.date)}}).status_code == 200
    (seller,) = client.get("/api/v1/sellers").get_json()["sellers"]
    assert seller["fields"]["due_date"]["label"] == "datum"
    # ... then right: what the memory holds is replaced.
    assert api.patch(invoice["id"], {"fields": {"due_date": iso(FIRST.due)}}).status_code == 200
    (seller,) = client.get("/api/v1/sellers").get_json()["sellers"]
    assert seller["fields"]["due_date"]["label"] == "erwarten ihre uberweisung bis"
    assert _read(new_api(), SECOND)["due_date"] == iso(SECOND.due)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"due_date": "9999-12-31"}, "a date between 1900 and 2100"),
        ({"seller.name": "<script>alert(1)</script>"}, "markup"),
        ({"invoice_number": "RE-1\x00"}, "control characters"),
    ],
    ids=["year-9999", "markup", "nul"],
)
def test_an_absurd_correction_is_refused_and_teaches_nothing(
    new_api: NewApi, client: FlaskClient, fields: dict[str, str], message: str
) -> None:
    api = new_api()
    invoice = _read(api, FIRST)
    response = api.patch(invoice["id"], {"fields": fields, "reviewed": True})
    assert response.status_code == 400, response.get_data(as_text=True)
    assert message in response.get_json()["error"]["message"]
    assert client.get("/api/v1/sellers").get_json()["sellers"] == []


def test_the_switch_turns_learning_and_applying_off(
    new_api: NewApi, make_web_app: MakeWebApp
) -> None:
    _teach(new_api)  # learned with the memory on
    app = make_web_app(seller_memory=False)
    client = app.test_client()
    response = client.post("/api/v1/sessions")
    body = response.get_json()
    from conftest import Api

    api = Api(client, body["id"], body["token"])
    invoice = _read(api, SECOND)
    assert invoice["due_date"] is None and "learned_from" not in invoice
    patched = api.patch(invoice["id"], {"fields": {"due_date": iso(SECOND.due)}})
    assert patched.get_json()["learned"] == []
