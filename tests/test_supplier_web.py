"""The matcher through the web app, on real extractions (the offline engine reads generated PDFs
and their scans), on SQLite and PostgreSQL: duplicates across sessions, a rescan at another
resolution, the IBAN change, the supplier list and its CSV import, the books exports."""

from __future__ import annotations

import io
import re
import time
from typing import TYPE_CHECKING, Any

import pytest

from invoice_extractor.ingest.pdf import render_page

if TYPE_CHECKING:
    from conftest import Api, MakePdf, NewApi, TextItem

IBAN = "DE89 3704 0044 0532 0130 00"
NEW_IBAN = "DE02 1203 0000 0000 2020 51"
COLUMNS_X = (50.0, 300.0, 380.0, 490.0)


def _stack(y: float, *pairs: tuple[str, str]) -> list[TextItem]:
    return [
        item
        for n, (label, value) in enumerate(pairs)
        for item in ((330.0, y + 16 * n, label, 10.0), (460.0, y + 16 * n, value, 10.0))
    ]


@pytest.fixture
def supplier_pdf(make_pdf: MakePdf) -> Any:
    """A one-page invoice of "Nordwind Handel GmbH" with VAT id and IBAN, 119.00 EUR."""
    counter = iter(range(1000))

    def make(number: str = "RE-2024-0815", *, iban: str = IBAN, seller: str = "Nordwind") -> bytes:
        page: list[str | TextItem] = [
            (50.0, 60.0, f"{seller} Handel GmbH", 16.0),
            (50.0, 80.0, "Hafenstr. 5, 20457 Hamburg", 10.0),
            (50.0, 96.0, "USt-IdNr.: DE136695976", 10.0),
            *_stack(120, ("Invoice No:", number), ("Date:", "2024-03-05")),
            *[
                (x, 210.0, text, 10.0)
                for x, text in zip(
                    COLUMNS_X, ("Description", "Qty", "Unit Price", "Amount"), strict=True
                )
            ],
            (50.0, 230.0, "Consulting", 10.0),
            (300.0, 230.0, "2", 10.0),
            (380.0, 230.0, "50.00", 10.0),
            (490.0, 230.0, "100.00", 10.0),
            *_stack(
                310, ("Subtotal", "100.00 EUR"), ("VAT 19%", "19.00 EUR"), ("Total", "119.00 EUR")
            ),
            (50.0, 420.0, f"IBAN: {iban}", 10.0),
        ]
        return make_pdf([page], f"nordwind-{next(counter)}.pdf").read_bytes()

    return make


def _done(api: Api, *files: tuple[bytes, str]) -> list[dict[str, Any]]:
    before = len(api.invoices())
    assert api.upload(*files).status_code == 202
    api.wait(count=before + len(files))
    return api.invoices()[before:]


def _codes(invoice: dict[str, Any], code: str) -> list[str]:
    return [w for w in invoice["warnings"] if w.startswith(f"{code}:")]


def test_the_same_file_in_two_sessions_is_flagged_once(new_api: NewApi, supplier_pdf: Any) -> None:
    pdf = supplier_pdf()
    first_api, second_api = new_api(), new_api()
    [first] = _done(first_api, (pdf, "a.pdf"))
    [second] = _done(second_api, (pdf, "copy.pdf"))
    assert _codes(first, "DUPLICATE") == []
    [warning] = _codes(second, "DUPLICATE")
    assert warning.startswith("DUPLICATE: file: the same file as invoice #")
    assert second["status"] == "needs_review"
    # The viewer does not own the first session: its date, no link.
    [match] = second_api.get(f"/invoices/{second['id']}/duplicates").get_json()["duplicates"]
    assert (match["invoice_id"], match["reason"], match["url"]) == (first["id"], "file", None)
    assert match["issue_date"] == "2024-03-05" and match["same_session"] is False


def test_a_rescan_at_another_resolution_is_found(new_api: NewApi, supplier_pdf: Any) -> None:
    pdf = supplier_pdf()
    api = new_api()
    [original] = _done(api, (pdf, "original.pdf"))
    scans = [(render_page(pdf, "x.pdf", 1, dpi), f"scan-{dpi}.png") for dpi in (150, 300)]
    low, high = _done(api, *scans)
    for scan in (low, high):
        warnings = _codes(scan, "DUPLICATE")
        assert any(f"as invoice #{original['id']} " in w for w in warnings), scan["warnings"]
    # The 300 DPI scan duplicates the original and the 150 DPI scan.
    match, other = api.get(f"/invoices/{high['id']}/duplicates").get_json()["duplicates"]
    assert other["invoice_id"] == low["id"]
    assert match["invoice_id"] == original["id"] and match["reason"] in ("number", "date_total")
    assert match["url"] == f"/s/{api.session_id}/invoices/{original['id']}"


def test_not_a_duplicate_clears_the_badge(new_api: NewApi, supplier_pdf: Any) -> None:
    api = new_api()
    pdf = supplier_pdf()
    # Two workers: the invoice stored second (whichever file) is the copy, with the warning.
    first, second = sorted(_done(api, (pdf, "a.pdf"), (pdf, "b.pdf")), key=lambda i: i["id"])
    assert _codes(first, "DUPLICATE") == [] and _codes(second, "DUPLICATE")
    answer = api.client.post(
        f"{api.base}/invoices/{second['id']}/not-duplicate",
        json={"of": first["id"]},
        headers=api.auth,
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["duplicates"] == [] and _codes(body["invoice"], "DUPLICATE") == []
    wrong = api.client.post(
        f"{api.base}/invoices/{first['id']}/not-duplicate", json={"of": 999999}, headers=api.auth
    )
    assert wrong.status_code == 400


def test_the_same_number_from_another_seller_is_not_a_duplicate(
    new_api: NewApi, supplier_pdf: Any
) -> None:
    api = new_api()
    _done(api, (supplier_pdf(), "a.pdf"))
    other = supplier_pdf(seller="Sonnenschein", iban=NEW_IBAN)
    # Same number, date and total, another seller name and IBAN, but the same VAT id line:
    # the VAT id decides (a copy of one supplier), so make the VAT differ by editing it.
    [second] = _done(api, (other, "b.pdf"))
    patched = api.patch(second["id"], {"fields": {"seller.vat_id": "ATU13585627"}})
    assert patched.status_code == 200
    assert _codes(patched.get_json(), "DUPLICATE") == []


def test_an_iban_change_of_a_known_supplier_is_warned(new_api: NewApi, supplier_pdf: Any) -> None:
    api = new_api()
    [first] = _done(api, (supplier_pdf("RE-1"), "a.pdf"))
    assert _codes(first, "SUPPLIER-NEW")
    [changed] = _done(api, (supplier_pdf("RE-2", iban=NEW_IBAN), "b.pdf"))
    [warning] = _codes(changed, "SUPPLIER-IBAN")
    assert "payment.iban DE02120300000000202051 is not the IBAN DE89370400440532013000" in warning
    suppliers = api.client.get("/api/v1/suppliers", headers=api.auth).get_json()["suppliers"]
    [supplier] = suppliers
    assert (supplier["vat_id"], supplier["iban"]) == ("DE136695976", "DE89370400440532013000")
    assert supplier["invoice_count"] == 2 and supplier["vat_id_valid"] is True
    # The clerk confirms the new account with the supplier and updates the list.
    edit = api.client.patch(
        f"/api/v1/suppliers/{supplier['id']}", json={"iban": NEW_IBAN}, headers=api.auth
    )
    assert edit.status_code == 200 and edit.get_json()["source"] == "edit"
    [third] = _done(api, (supplier_pdf("RE-3", iban=NEW_IBAN), "c.pdf"))
    assert _codes(third, "SUPPLIER-IBAN") == []


def test_a_malformed_supplier_csv_is_refused_whole(new_api: NewApi) -> None:
    api = new_api()
    good = "name;vat_id;iban;account\nAlpha GmbH;DE136695976;DE89370400440532013000;70100\n"
    bad = good + "Beta AG;;DE00 1234;70101\nGamma KG;;\n"
    answer = api.client.post(
        "/api/v1/suppliers/import", data=bad.encode(), headers=api.auth, content_type="text/csv"
    )
    assert answer.status_code == 422
    message = answer.get_json()["error"]["message"]
    assert "nothing imported" in message
    assert "line 3: iban 'DE00 1234' fails its checksum" in message
    assert "line 4: 3 fields, the header has 4" in message
    listed = api.client.get("/api/v1/suppliers", headers=api.auth).get_json()["suppliers"]
    assert listed == []
    data = {"file": (io.BytesIO(good.encode()), "suppliers.csv")}
    ok = api.client.post("/api/v1/suppliers/import", data=data, headers=api.auth)
    assert ok.get_json() == {"added": 1, "updated": 0}
    exported = api.client.get("/api/v1/suppliers?format=csv", headers=api.auth)
    assert (
        exported.get_data(as_text=True)
        .splitlines()[1]
        .startswith("Alpha GmbH,DE136695976,DE89370400440532013000,,,70100,0,")
    )


def test_the_supplier_list_is_for_members_only(client: Any) -> None:
    assert client.get("/api/v1/suppliers").status_code == 404


def test_books_exports_carry_the_supplier_account(new_api: NewApi, supplier_pdf: Any) -> None:
    api = new_api()
    _done(api, (supplier_pdf(), "a.pdf"))
    datev = api.get("/export?format=datev")
    assert datev.status_code == 200
    assert "EXTF_invoices-" in datev.headers["Content-Disposition"]
    lines = datev.get_data().decode("cp1252").split("\r\n")
    assert lines[0].startswith('"EXTF";700;21;"Buchungsstapel";13;')
    assert lines[1].startswith('"Umsatz (ohne Soll/Haben-Kz)";"Soll/Haben-Kennzeichen"')
    assert lines[2].startswith(
        '119,00;"S";"EUR";;;;3400;70001;9;0503;"RE-2024-0815";;;"Nordwind Handel GmbH";'
    )
    assert lines[2].count(";") == 124  # all 125 columns of the layout
    xero = api.get("/export?format=bills-xero").get_data(as_text=True).splitlines()
    assert xero[0].startswith("*ContactName,EmailAddress,POAddressLine1")
    assert ",RE-2024-0815,05/03/2024,05/03/2024,119.00,,Consulting,2,50.00,," in xero[1]
    assert xero[1].endswith(",19% (VAT on Expenses),19.00,,,,,EUR")
    quickbooks = api.get("/export?format=bills-quickbooks").get_data(as_text=True).splitlines()
    assert quickbooks[1] == (
        "RE-2024-0815,Nordwind Handel GmbH,05/03/2024,05/03/2024,,,,Consulting,100.00,19%,19.00,EUR"
    )


def _browser_session(client: Any) -> tuple[str, str]:
    """A session made through the start page, as a browser would: (session id, CSRF token)."""
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert token is not None
    response = client.post("/sessions", data={"csrf_token": token.group(1)})
    assert response.status_code == 303
    return response.headers["Location"].rsplit("/", 1)[-1], token.group(1)


def test_the_pages_show_the_badge_the_matches_and_confirm(
    web_app: Any, client: Any, new_api: NewApi, supplier_pdf: Any
) -> None:
    session_id, csrf = _browser_session(client)
    pdf = supplier_pdf()
    elsewhere = new_api(web_app.test_client())  # another owner's session holds the first copy
    [first] = _done(elsewhere, (pdf, "a.pdf"))
    data = {"files": [(io.BytesIO(pdf), "copy.pdf")]}
    headers = {"X-CSRF-Token": csrf}
    assert (
        client.post(f"/api/v1/sessions/{session_id}/files", data=data, headers=headers).status_code
        == 202
    )
    deadline = time.monotonic() + 30
    while not client.get(f"/api/v1/sessions/{session_id}/invoices").get_json()["invoices"]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    [copy] = client.get(f"/api/v1/sessions/{session_id}/invoices").get_json()["invoices"]
    listing = client.get(f"/s/{session_id}").get_data(as_text=True)
    assert "badge-duplicate" in listing and f"/invoices/{copy['id']}/duplicates" in listing
    page = client.get(f"/s/{session_id}/invoices/{copy['id']}/duplicates").get_data(as_text=True)
    assert f'#{first["id"]} <span class="state">another session, created' in page
    assert f'href="/s/{elsewhere.session_id}' not in page  # not the viewer's: no link
    confirmed = client.post(
        f"/s/{session_id}/invoices/{copy['id']}/not-duplicate",
        data={"csrf_token": csrf, "of": str(first["id"])},
    )
    assert confirmed.status_code == 303
    after = client.get(f"/s/{session_id}").get_data(as_text=True)
    assert "badge-duplicate" not in after


def test_the_suppliers_page_imports_and_refuses_with_the_line(client: Any) -> None:
    assert client.get("/suppliers").status_code == 404  # no session of this installation
    _, csrf = _browser_session(client)
    bad = b"name,iban\nAlpha GmbH,DE89370400440532013000\nBeta AG,DE00\n"
    refused = client.post(
        "/suppliers/import",
        data={"csrf_token": csrf, "file": (io.BytesIO(bad), "s.csv")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "nothing imported: line 3: iban &#39;DE00&#39; fails its checksum" in text
    assert "Alpha GmbH" not in text.split("<tbody>")[1]
    good = b"name,iban\nAlpha GmbH,DE89370400440532013000\n"
    client.post(
        "/suppliers/import",
        data={"csrf_token": csrf, "file": (io.BytesIO(good), "s.csv")},
        content_type="multipart/form-data",
    )
    page = client.get("/suppliers").get_data(as_text=True)
    assert 'value="Alpha GmbH"' in page and 'value="70001"' in page
    supplier_id = re.search(r'data-supplier="(\d+)"', page)
    assert supplier_id is not None
    saved = client.post(
        f"/suppliers/{supplier_id.group(1)}",
        data={"csrf_token": csrf, "name": "Alpha GmbH", "vat_id": "DE136695977"},
    )
    assert saved.status_code == 303
    assert "VAT id fails its checksum" in client.get("/suppliers").get_data(as_text=True)
