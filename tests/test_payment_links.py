"""Matching a bank transaction to an invoice by hand, and unmatching it, on SQLite and
PostgreSQL: in the store, through the JSON API (in the OpenAPI document), the Payments page and
the CLI. A person's decision stands: the automatic matcher never undoes it."""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest

from invoice_extractor.cli import main
from invoice_extractor.errors import NotFound
from invoice_extractor.matching.payment_links import match_by_hand, unmatch_by_hand
from invoice_extractor.matching.payments import import_statement, rematch, transactions
from invoice_extractor.matching.views import match_states
from invoice_extractor.settings import Settings
from invoice_extractor.store.repository import Store
from matching_data import Entry, camt053, invoice, store_invoices

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from conftest import NewApi


def _tie(store: Store, session_id: str | None = None) -> tuple[int, int, int]:
    """Two unpaid invoices of 595.00 with the same IBAN, and one transaction that fits both
    (the automatic matcher leaves it unmatched); returns the two invoice ids and its id."""
    first, second = store_invoices(store, [invoice("X-1"), invoice("X-2")], session_id)
    result = import_statement(store, camt053([Entry("595.00", date(2024, 3, 20))]), "tie.xml")
    assert result.matched == 0
    (only,) = transactions(store, unmatched=True)
    return first, second, int(only["id"])


def test_a_tie_matched_by_hand_pays_the_chosen_invoice_and_stays(web_store: Store) -> None:
    first, second, tx = _tie(web_store)
    matched = match_by_hand(web_store, tx, second)
    assert (matched["invoice_id"], matched["manual_match"]) == (second, "matched")
    assert matched["match_reason"] == "matched by hand"
    states = match_states(web_store, [first, second])
    assert states[second].payment_status == "paid" and states[second].paid_on == "2024-03-20"
    assert states[first].payment_status == "unpaid"
    assert rematch(web_store) == 0
    assert match_states(web_store, [second])[second].payment_status == "paid"


def test_unmatched_by_hand_the_automatic_matcher_leaves_it_alone(web_store: Store) -> None:
    (inv,) = store_invoices(web_store, [invoice("INV-7")])
    data = camt053([Entry("595.00", date(2024, 3, 20), ustrd="INV-7")])
    assert import_statement(web_store, data, "s.xml").matched == 1
    (tx,) = transactions(web_store)
    freed = unmatch_by_hand(web_store, tx["id"])
    assert (freed["invoice_id"], freed["manual_match"]) == (None, "unmatched")
    assert match_states(web_store, [inv])[inv].payment_status == "unpaid"
    assert rematch(web_store) == 0  # the same reference would match it again: it does not
    assert transactions(web_store, unmatched=True)[0]["match_reason"] == "unmatched by hand"
    assert match_by_hand(web_store, tx["id"], inv)["invoice_id"] == inv  # and back by hand


def test_matching_by_hand_frees_what_either_side_was_linked_to(web_store: Store) -> None:
    first, second, tx = _tie(web_store)
    match_by_hand(web_store, tx, first)
    match_by_hand(web_store, tx, second)  # the clerk changes their mind
    states = match_states(web_store, [first, second])
    assert (states[first].payment_status, states[second].payment_status) == ("unpaid", "paid")
    # Another transaction for the second invoice: the first one returns to the matcher.
    data = camt053([Entry("595.00", date(2024, 3, 28), ustrd="X-1")])
    assert import_statement(web_store, data, "s2.xml").matched == 1  # pays X-1 automatically
    (late,) = [t for t in transactions(web_store) if t["booking_date"] == "2024-03-28"]
    match_by_hand(web_store, late["id"], second)
    earlier = next(t for t in transactions(web_store) if t["id"] == tx)
    assert (earlier["invoice_id"], earlier["manual_match"]) == (None, None)
    states = match_states(web_store, [first, second])
    assert states[first].payment_status == "unpaid"  # late paid X-1 before; now it pays X-2
    assert states[second].transaction is not None
    assert states[second].transaction["id"] == late["id"]


def test_unknown_transactions_and_invoices_are_not_found(web_store: Store) -> None:
    (inv,) = store_invoices(web_store, [invoice("INV-8")])
    with pytest.raises(NotFound):
        match_by_hand(web_store, 999_999, inv)
    with pytest.raises(NotFound):
        unmatch_by_hand(web_store, 999_999)
    _, _, tx = _tie(web_store)
    with pytest.raises(NotFound):
        match_by_hand(web_store, tx, 999_999)


def test_api_matches_only_to_an_invoice_of_your_session(
    client: FlaskClient, new_api: NewApi, web_store: Store
) -> None:
    api, stranger = new_api(), new_api()
    _, mine, tx = _tie(web_store, api.session_id)
    url = f"/api/v1/payments/transactions/{tx}/match"
    body = {"session_id": api.session_id, "invoice_id": mine}
    assert client.post(url, json=body, headers=stranger.auth).status_code == 404
    assert client.post(url, json={"invoice_id": mine}, headers=api.auth).status_code == 400
    response = client.post(url, json=body, headers=api.auth)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["invoice_id"] == mine
    state = api.get(f"/invoices/{mine}/matching").get_json()
    assert state["payment_status"] == "paid" and state["transaction"]["id"] == tx
    response = client.post(f"/api/v1/payments/transactions/{tx}/unmatch", headers=api.auth)
    assert response.status_code == 200 and response.get_json()["manual_match"] == "unmatched"
    assert api.get(f"/invoices/{mine}/matching").get_json()["payment_status"] == "unpaid"
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "post" in doc["paths"]["/payments/transactions/{transaction_id}/match"]
    assert "post" in doc["paths"]["/payments/transactions/{transaction_id}/unmatch"]
    assert "ManualMatch" in doc["components"]["schemas"]


def _csrf(client: FlaskClient) -> str:
    page = client.get("/payments").get_data(as_text=True)
    marker = 'name="csrf-token" content="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def test_the_payments_page_matches_and_unmatches_by_hand(
    client: FlaskClient, web_store: Store
) -> None:
    # The browser's own session: the page offers its unpaid invoices.
    created = client.post("/sessions", data={"csrf_token": _csrf(client)})
    assert created.status_code in (302, 303), created.get_data(as_text=True)
    session_id = created.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    _, mine, tx = _tie(web_store, session_id)
    page = client.get("/payments").get_data(as_text=True)
    assert f'value="{session_id}:{mine}">X-2' in page and "(same amount)" in page
    token = _csrf(client)
    url = f"/payments/transactions/{tx}/match"
    assert client.post(url, data={"invoice": f"{session_id}:{mine}"}).status_code == 403
    response = client.post(url, data={"invoice": f"{session_id}:{mine}", "csrf_token": token})
    assert response.status_code == 303
    shown = client.get("/payments").get_data(as_text=True)
    assert "matched by hand" in shown and "Unmatch" in shown
    response = client.post(f"/payments/transactions/{tx}/unmatch", data={"csrf_token": token})
    assert response.status_code == 303
    assert match_states(web_store, [mine])[mine].payment_status == "unpaid"
    assert "unmatched by hand" in client.get("/payments").get_data(as_text=True)


def test_cli_matches_and_unmatches_by_hand(
    cli_on_web_store: Settings,
    web_store: Store,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, _, tx = _tie(web_store)
    capsys.readouterr()
    assert main(["payments", "match", str(tx)]) == 2  # the invoice is missing
    assert main(["payments", "match", str(tx), str(first)]) == 0
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert (out["invoice_id"], out["manual_match"]) == (first, "matched")
    assert main(["payments", "unmatch", str(tx)]) == 0
    assert json.loads(capsys.readouterr().out)["invoice_id"] is None
    assert main(["payments", "unmatch", "999999"]) == 1
    assert "no bank transaction 999999" in capsys.readouterr().err
