"""The seller memory in a real browser (issue 12): a clerk corrects a due date in the review page,
and the seller's next invoice, uploaded in a new session, shows the value with "learned from your
correction of ..." under it; the known sellers page lists the seller and forgets it. Screenshots:
``tests/artifacts/seller-memory-review.png`` and ``tests/artifacts/seller-memory-sellers.png``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from helpers_sellers import FIRST, SECOND, Issue, iso, seller_pdf
from test_browser import ARTIFACTS, CHROMIUM, IMAGES_LOADED, page, server, sync_api

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = sync_api.expect
pytestmark = pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"no Debian Chromium at {CHROMIUM}")
__all__ = ["page", "server"]  # the fixtures of test_browser, used here by name


def _review_new_upload(page: Page, issue: Issue, tmp_path: Path) -> None:
    """Start a session, upload the issue's invoice, open its review page."""
    pdf = tmp_path / f"{issue.number}.pdf"
    pdf.write_bytes(seller_pdf(issue))
    page.goto("/")
    page.get_by_role("button", name="Start a new session").click()
    page.wait_for_url("**/s/*")
    page.set_input_files("#file-input", [str(pdf)])
    expect(page.locator("#files tbody .state-done")).to_have_count(1, timeout=60_000)
    page.locator("#invoices tbody a", has_text=pdf.name).click()
    page.wait_for_url("**/invoices/*")
    page.wait_for_function(IMAGES_LOADED)


def test_a_correction_in_the_review_page_is_shown_as_learned_on_the_next_invoice(
    page: Page, tmp_path: Path
) -> None:
    _review_new_upload(page, FIRST, tmp_path)
    due = page.locator('input[data-path="due_date"]')
    assert due.input_value() == ""
    due.fill(iso(FIRST.due))
    page.locator("#save").click()
    expect(page.locator("#message")).to_have_text("Saved 1 correction(s).")

    _review_new_upload(page, SECOND, tmp_path)
    due = page.locator('input[data-path="due_date"]')
    assert due.input_value() == iso(SECOND.due)
    hint = page.locator(".field", has=due).locator(".learned")
    expect(hint).to_contain_text("learned from your correction of")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "seller-memory-review.png"))

    page.get_by_role("link", name="Known sellers").click()
    page.wait_for_url("**/sellers")
    expect(page.locator("table.sellers tbody tr")).to_have_count(1)
    expect(page.locator("table.sellers")).to_contain_text(FIRST.seller)
    expect(page.locator("table.sellers")).to_contain_text("erwarten ihre uberweisung bis")
    page.screenshot(path=str(ARTIFACTS / "seller-memory-sellers.png"))
    page.get_by_role("button", name="Forget", exact=True).click()
    expect(page.get_by_text("No seller learned yet.")).to_be_visible()
