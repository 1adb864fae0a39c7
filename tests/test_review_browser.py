"""The review workflow of issue 13 in a real browser (Playwright + headless Debian Chromium),
against the app served in-process on SQLite: a mixed upload, trust marks, a save that clears a
warning, unsaved edits and j, local formats, a page-2 highlight in view, 390 px, the session
list (rename, delete, retry), contrast and labels. Screenshots go to ``tests/artifacts/``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

from helpers_review import (
    CHROMIUM,
    chromium,
    contrast,
    einvoice_xml,
    files_payload,
    invoice_pdf,
    serve_app,
)
from helpers_server import REPO_ROOT
from invoice_extractor.extract.embedded.ranker import active_model, using_model
from invoice_extractor.ingest.pdf import render_page

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from conftest import MakeWebApp

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"
PDF, XML = "application/pdf", "application/xml"

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"no Debian Chromium at {CHROMIUM}"),
    pytest.mark.parametrize("web_settings", ["sqlite"], indirect=True),
]


@pytest.fixture
def threshold() -> Iterator[None]:
    """The review threshold between the sample's seller name (0.88) and its total (0.99)."""
    model = active_model()
    if model is None:
        pytest.skip("no ranker model packaged")
    with using_model(replace(model, ok_threshold=0.95)):
        yield


@pytest.fixture
def base_url(make_web_app: MakeWebApp, threshold: None) -> Iterator[str]:
    with serve_app(make_web_app()) as url:
        yield url


def _open(
    base_url: str, width: int = 1400, height: int = 900, touch: bool = False
) -> Iterator[Page]:
    with sync_api.sync_playwright() as playwright:
        browser = chromium(playwright)
        try:
            context = browser.new_context(
                base_url=base_url, viewport={"width": width, "height": height}, has_touch=touch
            )
            context.set_default_timeout(20_000)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            # The content security policy (no inline script) must hold: a refusal is an error.
            page.on(
                "console",
                lambda msg: (
                    errors.append(msg.text) if "Content Security Policy" in msg.text else None
                ),
            )
            yield page
            assert not errors, f"JavaScript errors on the page: {errors}"
        finally:
            browser.close()


@pytest.fixture
def page(base_url: str) -> Iterator[Page]:
    yield from _open(base_url)


def _shot(page: Page, name: str, *, full_page: bool = False) -> None:
    """What the user sees (the viewport: a full-page shot would misplace the sticky pages)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full_page)


def _new_session(page: Page) -> str:
    page.goto("/")
    page.get_by_role("button", name="Start a new session").click()
    page.wait_for_url("**/s/*")
    return page.url


def _upload(page: Page, *files: tuple[str, bytes, str], done: int) -> None:
    page.set_input_files("#file-input", files_payload(*files))
    expect(page.locator("#files tbody tr")).to_have_count(done, timeout=60_000)
    busy = "#files .state-queued, #files .state-reading, #files .state-extracting"
    expect(page.locator(busy)).to_have_count(0, timeout=60_000)


def _review(page: Page, file_name: str) -> None:
    page.locator("#invoices tbody a", has_text=file_name).click()
    page.wait_for_url("**/invoices/*")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.page img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )


def test_a_mixed_upload_lists_every_file_with_its_fate(page: Page) -> None:
    session_url = _new_session(page)
    expect(page.locator("#dropzone")).to_contain_text("JPEG, PNG, TIFF, WebP")
    accept = page.locator("#file-input").get_attribute("accept") or ""
    assert all(t in accept for t in (".pdf", ".xml", ".png", ".jpg", ".tif", ".webp"))
    _upload(
        page,
        ("good.pdf", invoice_pdf("A-1"), PDF),
        ("broken.pdf", b"%PDF-1.4 this is not really a PDF", PDF),
        ("notes.txt", b"just some text", "text/plain"),
        ("xrechnung.xml", einvoice_xml(), XML),
        ("receipt-photo.png", render_page(invoice_pdf("P-9"), "p.pdf", 1, 100), "image/png"),
        done=5,  # four stored files and one rejected
    )
    page.set_input_files("#file-input", files_payload(("again.pdf", invoice_pdf("A-1"), PDF)))
    expect(page.locator("#uploads li", has_text="again.pdf")).to_contain_text(
        "Already uploaded: same file as good.pdf"
    )
    expect(page.locator("#files tbody tr")).to_have_count(6, timeout=30_000)
    page.reload()
    rejected = page.locator("#files tbody tr", has_text="notes.txt")
    expect(rejected).to_contain_text("rejected")
    expect(rejected).to_contain_text("not a PDF, XML or image")
    broken = page.locator("#files tbody tr", has_text="broken.pdf")
    expect(broken.locator(".state-failed")).to_have_count(1, timeout=30_000)
    assert broken.inner_text().count("broken.pdf") == 1, broken.inner_text()
    photo = page.locator("#files tbody tr", has_text="receipt-photo.png")
    expect(photo.locator(".state-done, .state-failed")).to_have_count(1, timeout=60_000)
    expect(page.locator("#files tbody tr", has_text="again.pdf")).to_contain_text(
        "same file as good.pdf"
    )
    expect(page.locator("#invoices tbody tr", has_text="again.pdf")).to_contain_text(
        "Duplicate?", timeout=30_000
    )
    assert page.title().startswith("Session of ")
    _shot(page, "session-mixed.png", full_page=True)

    _review(page, "xrechnung.xml")
    expect(page.locator(".einvoice")).to_contain_text("Muster GmbH")
    expect(page.locator(".einvoice")).to_contain_text("238.00")
    expect(page.locator("#c-total")).to_have_text("✓ 100% XML")
    assert "XR-2024-7" in page.title()
    _shot(page, "review-xml.png")
    page.goto(session_url)


def test_trust_marks_a_save_that_clears_a_warning_and_marks_that_survive_a_reload(
    page: Page,
) -> None:
    _new_session(page)
    _upload(page, ("wrong-line.pdf", invoice_pdf("B-7", printed_amount="90.00"), PDF), done=1)
    row = page.locator("#invoices tbody tr", has_text="wrong-line.pdf")
    # The party names are what the model is least sure of on this page (how many of them clear
    # the threshold is the model's figure, not the test's).
    expect(row.locator(".to-check")).to_have_text(re.compile(r"^⚠ [12] fields?$"))
    _review(page, "wrong-line.pdf")
    expect(page.locator("#to-check-title")).to_have_text(re.compile(r"^⚠ [12] fields? to check$"))
    expect(page.locator("#to-check .chip", has_text="Seller name")).to_have_text(
        re.compile(r"^Seller name · \d+%$")
    )
    expect(page.locator('label[for="f-seller.vat_id"]')).to_contain_text("Seller VAT ID")
    expect(page.locator('label[for="f-tax_total"]')).to_contain_text("BT-110")
    seller = page.locator('[data-field="seller.name"]')
    expect(seller).to_have_class("field to-check")
    expect(page.locator("#c-seller\\.name")).to_have_text(re.compile(r"^⚠ check \d+%$"))
    amount_note = page.locator("#m-line_items\\.0\\.amount")
    expect(amount_note).to_contain_text("Line 1: 2 x 50.00 = 100.00, printed 90.00")
    expect(amount_note.locator("code")).to_have_text("line_items.N")
    expect(page.locator("#warnings")).to_contain_text("The line amounts add up to 90.00")
    # A warning's fields are highlighted on the page when the warning is chosen.
    page.locator("#warnings button", has_text="Line 1").click()
    assert page.evaluate("document.activeElement.dataset.path") == "line_items.0.amount"
    boxed = page.evaluate(
        """() => { const d = JSON.parse(document.getElementById('invoice-data').textContent);
          const w = d.checks.find((c) => c.code === 'line_items.N');
          return w.fields.filter((f) => d.evidence[f]).sort(); }"""
    )
    assert boxed, "none of the warning's fields has a box"
    expect(page.locator(".highlight")).to_have_count(len(boxed))
    shown = page.eval_on_selector_all(".highlight", "(hs) => hs.map((h) => h.dataset.for).sort()")
    assert shown == boxed
    _shot(page, "review-warnings.png")
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, "review-top.png")  # the summary: what docs/review.png shows

    page.evaluate("window.__same_document = true")
    page.locator('input[data-path="line_items.0.amount"]').fill("100.00")
    page.locator('input[data-path="seller.name"]').fill("Acme Trading Limited")
    buyer_to_check = page.locator('[data-field="buyer.name"].to-check').count() == 1
    if buyer_to_check:
        page.locator('input[data-path="buyer.name"]').fill("Kunde AG Berlin")
    page.locator("#save").click()
    expect(page.locator("#message")).to_have_text(
        f"Saved {3 if buyer_to_check else 2} correction(s)."
    )
    assert page.evaluate("window.__same_document === true"), "the page was reloaded"
    expect(page.locator("#warnings li")).to_have_count(0)
    expect(amount_note).to_be_empty()
    expect(page.locator("#to-check-title")).to_have_text("✓ No field below the review threshold")
    expect(page.locator("#status")).to_have_text("ok")
    # The highlight follows the corrected value (100.00 is printed as the subtotal) or goes.
    page.locator('input[data-path="line_items.0.amount"]').focus()
    expect(page.locator('.highlight[data-for="line_items.0.amount"]')).to_have_count(1)
    page.locator('input[data-path="seller.name"]').focus()
    expect(page.locator(".highlight")).to_have_count(0)  # "Limited" is printed nowhere
    page.reload()
    expect(page.locator("#c-line_items\\.0\\.amount")).to_have_text("✎ corrected")
    expect(page.locator('[data-field="seller.name"]')).to_have_class("field corrected")
    expect(page.locator("#status")).to_have_text("ok")


def test_every_bad_field_is_reported_at_once_and_local_formats_are_accepted(page: Page) -> None:
    _new_session(page)
    _upload(page, ("formats.pdf", invoice_pdf("C-3"), PDF), done=1)
    _review(page, "formats.pdf")
    page.locator('input[data-path="total"]').fill("12x")
    page.locator('input[data-path="due_date"]').fill("31.02.2024")
    page.locator("#save").click()
    expect(page.locator("#message")).to_contain_text("2 fields need fixing")
    expect(page.locator("#m-total")).to_contain_text("not an amount")
    expect(page.locator("#m-due_date")).to_contain_text("not a date")
    expect(page.locator('input[data-path="total"]')).to_have_attribute("aria-invalid", "true")
    _shot(page, "review-invalid.png")
    page.locator('input[data-path="total"]').fill("1.234,56")
    page.locator('input[data-path="due_date"]').fill("31.08.2024")
    page.locator("#save").click()
    expect(page.locator("#message")).to_have_text("Saved 2 correction(s).")
    expect(page.locator('input[data-path="total"]')).to_have_value("1234.56")
    expect(page.locator('input[data-path="due_date"]')).to_have_value("2024-08-31")


def test_unsaved_edits_survive_j_links_and_a_closed_tab(page: Page) -> None:
    _new_session(page)
    _upload(
        page,
        ("one.pdf", invoice_pdf("D-1"), PDF),
        ("two.pdf", invoice_pdf("D-2", seller="Beta Supplies Ltd"), PDF),
        done=2,
    )
    first_name, second_name = page.locator("#invoices tbody td a").all_inner_texts()
    _review(page, first_name)  # the list's order (j goes down it)
    first = page.url
    po = page.locator('input[data-path="po_number"]')
    po.fill("PO-991")
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    expect(page.locator("#leave")).to_be_visible()
    expect(page.locator("#leave-text")).to_contain_text("1 field")
    for _ in range(3):  # Tab cycles through the dialog's three buttons, never the page behind
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "leave-save"
    page.keyboard.press("Escape")  # stay
    expect(page.locator("#leave")).to_be_hidden()
    assert page.url == first and po.input_value() == "PO-991"
    page.keyboard.press("j")
    page.keyboard.press("Enter")  # save and go
    page.wait_for_url(lambda url: url != first)
    expect(page.locator("#review h1")).to_have_text(second_name)
    page.keyboard.press("k")  # nothing unsaved here: straight back
    page.wait_for_url(first)
    expect(page.locator('input[data-path="po_number"]')).to_have_value("PO-991")
    expect(page.locator("#c-po_number")).to_have_text("✎ corrected")

    # "Mark reviewed" saves the pending edit first.
    page.locator('input[data-path="buyer_reference"]').fill("REF-5")
    page.locator("#mark-reviewed").click()
    expect(page.locator("#message")).to_have_text("Saved 1 correction(s). Marked reviewed.")
    expect(page.locator("#status")).to_have_text("✓ reviewed")

    # A closed tab (here: a reload, confirmed) leaves a draft that comes back.
    page.locator('input[data-path="payment.terms"]').fill("14 days net")
    page.on("dialog", lambda dialog: dialog.accept())
    page.reload()
    expect(page.locator('input[data-path="payment.terms"]')).to_have_value("14 days net")
    expect(page.locator("#message")).to_contain_text("Restored 1 unsaved edit(s)")
    page.locator("#discard-draft").click()
    page.wait_for_load_state()
    expect(page.locator('input[data-path="payment.terms"]')).to_have_value("")


def _in_view(page: Page, selector: str, pane: str = ".pages") -> bool:
    result: bool = page.evaluate(
        """([sel, paneSel]) => {
          const box = document.querySelector(sel).getBoundingClientRect();
          const pane = document.querySelector(paneSel).getBoundingClientRect();
          const top = Math.max(pane.top, 0), bottom = Math.min(pane.bottom, window.innerHeight);
          return box.height > 0 && box.top >= top - 1 && box.bottom <= bottom + 1;
        }""",
        [selector, pane],
    )
    return result


def test_a_value_on_page_two_is_highlighted_in_view(page: Page) -> None:
    _new_session(page)
    _upload(page, ("two-pages.pdf", invoice_pdf("E-2", pages=2), PDF), done=1)
    _review(page, "two-pages.pdf")
    total = page.locator('input[data-path="total"]')
    assert (
        page.evaluate(
            "() => JSON.parse(document.getElementById('invoice-data').textContent)"
            ".evidence.total.page"
        )
        == 2
    )
    page.locator('input[data-path="invoice_number"]').focus()
    expect(page.locator('.page[data-page="1"] .highlight')).to_have_count(1)
    total.focus()
    expect(page.locator('.page[data-page="2"] .highlight')).to_have_count(1)
    page.wait_for_function("() => true")
    assert _in_view(page, ".highlight"), "the page-2 highlight is off screen"
    _shot(page, "review-page2.png")


def test_phone_width_has_no_sideways_scroll_and_a_tap_shows_the_spot(base_url: str) -> None:
    for page in _open(base_url, width=390, height=844, touch=True):
        session_url = _new_session(page)
        _upload(
            page,
            (
                "phone.pdf",
                invoice_pdf("F-1", seller="A Rather Long Seller Name Trading Limited"),
                PDF,
            ),
            done=1,
        )
        wide = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        assert page.evaluate(wide) <= 0, "the session page scrolls sideways"
        _shot(page, "phone-session.png", full_page=True)
        _review(page, "phone.pdf")
        assert page.evaluate(wide) <= 0, "the review page scrolls sideways"
        total = page.locator('input[data-path="total"]')
        total.scroll_into_view_if_needed()
        total.tap()
        expect(page.locator(".highlight")).to_have_count(1)
        assert _in_view(page, ".highlight"), "the tapped field's spot is not on screen"
        box = total.bounding_box()
        assert box is not None and box["width"] >= 120, box  # readable, not squeezed
        _shot(page, "phone-review.png")
        page.goto("/")
        assert page.evaluate(wide) <= 0, "the start page scrolls sideways"
        page.goto(session_url)


def test_the_start_page_lists_renames_and_deletes_sessions_and_a_failed_file_is_retried(
    page: Page,
) -> None:
    session_url = _new_session(page)
    _upload(
        page, ("paid.pdf", invoice_pdf("G-1"), PDF), ("broken.pdf", b"%PDF-1.4 nope", PDF), done=2
    )
    broken = page.locator("#files tbody tr", has_text="broken.pdf")
    expect(broken.locator(".state-failed")).to_have_count(1)
    broken.get_by_role("button", name="Retry broken.pdf").click()
    expect(broken.locator(".state-failed")).to_have_count(1, timeout=30_000)
    api = page.locator("#session").get_attribute("data-api") or ""
    attempts = {f["name"]: f["attempts"] for f in page.request.get(api).json()["files"]}
    assert attempts["broken.pdf"] == 2, attempts
    page.on("dialog", lambda dialog: dialog.accept())
    broken.get_by_role("button", name="Remove broken.pdf").click()
    expect(page.locator("#files tbody tr", has_text="broken.pdf")).to_have_count(0)

    page.goto("/")
    row = page.locator("#sessions tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("1 done")
    expect(row).to_contain_text("0 of 1 reviewed")
    expect(row).to_contain_text("119.00 EUR")
    row.get_by_label("New name for").fill("March suppliers")
    row.get_by_role("button", name="Rename").click()
    expect(page.locator("#sessions tbody tr")).to_contain_text("March suppliers")
    assert page.title() == "Your sessions · Invoice Extractor"
    _shot(page, "start-sessions.png", full_page=True)
    page.goto(session_url)
    assert page.title().startswith("March suppliers")
    page.get_by_role("link", name="Delete session…").click()
    expect(page.locator("h1")).to_contain_text("Delete “March suppliers”?")
    page.locator("#confirm-delete").click()
    page.wait_for_url("**/")
    expect(page.locator("#sessions")).to_have_count(0)
    assert page.request.get(api).status == 404


def _colours(page: Page, selector: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)].map((n) => {
          const s = getComputedStyle(n);
          let bg = s.backgroundColor, p = n;
          while (bg === "rgba(0, 0, 0, 0)" && p.parentElement) {
            p = p.parentElement;
            bg = getComputedStyle(p).backgroundColor;
          }
          return {text: n.textContent.trim().slice(0, 30), color: s.color, bg: bg,
                  border: s.borderTopColor, outline: s.outlineColor};
        })""",
        selector,
    )
    return found


def test_contrast_labels_and_the_keyboard_help(page: Page) -> None:
    _new_session(page)
    _upload(
        page,
        ("a11y.pdf", invoice_pdf("H-1", printed_amount="90.00"), PDF),
        ("bad.pdf", b"%PDF-1.4 x", PDF),
        done=2,
    )
    expect(page.locator("#invoices .pick").first).to_have_attribute(
        "aria-label", "Select invoice H-1 (a11y.pdf)"
    )
    ratios = {}
    for item in _colours(page, ".state, .note, .exports span, a"):
        ratios[item["text"]] = contrast(item["color"], item["bg"])
    _review(page, "a11y.pdf")
    for item in _colours(
        page,
        ".state, .conf:not(:empty), .warn-text, .code, .field label, .chip, .summary-title, .bt",
    ):
        ratios[item["text"]] = contrast(item["color"], item["bg"])
    low = {text: round(r, 2) for text, r in ratios.items() if r < 4.5}
    assert not low, f"text below 4.5:1: {low}"
    # Input borders and the focus ring are user-interface components: 3:1 against the page.
    field = page.locator('input[data-path="total"]')
    field.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    (style,) = _colours(page, 'input[data-path="total"]')
    assert contrast(style["border"], style["bg"]) >= 3, style
    assert contrast(style["outline"], style["bg"]) >= 3, style
    conf = page.locator("#c-seller\\.name")
    expect(conf).to_have_attribute("aria-label", re.compile(r"^confidence: check \d+%$"))
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll('input, button, a, select')].filter((n) => {
          if (n.type === 'hidden' || n.closest('[hidden]')) return false;
          const label = n.labels && n.labels.length && n.labels[0].textContent.trim();
          const name = n.getAttribute('aria-label') || label || n.textContent.trim();
          return !name;
        }).map((n) => n.outerHTML.slice(0, 80))"""
    )
    assert not unnamed, unnamed
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("?")
    expect(page.locator("#help")).to_be_visible()
    expect(page.locator("#help")).to_contain_text("next field to check")
    _shot(page, "review-help.png")
    page.keyboard.press("Escape")
    expect(page.locator("#help")).to_be_hidden()
    page.keyboard.press("n")
    assert page.evaluate("document.activeElement.dataset.path") == "seller.name"
