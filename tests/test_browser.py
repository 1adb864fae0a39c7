"""The web app in a real browser: headless Debian Chromium driven by Playwright (sync API).

Start a session, upload three corpus PDFs through the file input, watch them finish without a
reload, review one invoice (the evidence highlight over the page image), correct its total, save,
and find the corrected value in the CSV export. A screenshot of the review page is written to
``tests/artifacts/review.png``.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from helpers_review import CHROMIUM, CHROMIUM_ARGS
from helpers_server import CORPUS, REPO_ROOT, Server, start_serve

if TYPE_CHECKING:
    from playwright.sync_api import Page

DOCUMENTS = (
    "zugferd-corpus/EN16931_Rabatte.visual.pdf",
    "4d-writepro-facturx/facturxSample_AlphaCars_de.visual.pdf",
    "securibox-facturx/Facture_F20260023-LE_FOURNISSEUR-POUR-LE_CLIENT_EXTENDED.visual.pdf",
)
REVIEWED = "facturxSample_AlphaCars_de.visual.pdf"  # one page: the highlight is in view
NEW_TOTAL = "1234.56"
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"
TIMEOUT_MS = 30_000
IMAGES_LOADED = "() => [...document.querySelectorAll('.page img')].every(i => i.naturalWidth > 0)"

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"no Debian Chromium at {CHROMIUM}"),
    pytest.mark.skipif(
        not all((CORPUS / d).is_file() for d in DOCUMENTS),
        reason=f"the three corpus PDFs are not under {CORPUS} (../shared/corpus)",
    ),
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with start_serve(tmp_path / "data") as running:
        yield running


@pytest.fixture
def page(server: Server) -> Iterator[Page]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(
                base_url=server.url, viewport={"width": 1400, "height": 900}, accept_downloads=True
            )
            context.set_default_timeout(TIMEOUT_MS)
            opened = context.new_page()
            errors: list[str] = []
            opened.on("pageerror", lambda exc: errors.append(str(exc)))
            yield opened
            assert not errors, f"JavaScript errors on the page: {errors}"
        finally:
            browser.close()


def _box(page: Page, selector: str) -> dict[str, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not rendered"
    return dict(box)


def _expected_highlight(page: Page) -> dict[str, float]:
    """Where review.js should draw the total's evidence: its bbox (points) scaled to the image."""
    found: dict[str, float] = page.evaluate(
        """() => {
          const input = document.querySelector('input[data-path="total"]');
          const img = document.querySelector(`.page[data-page="${input.dataset.page}"] img`);
          const dpi = Number(document.getElementById("review").dataset.dpi);
          const r = img.getBoundingClientRect();
          const s = (r.width / img.naturalWidth) * (dpi / 72);
          const [x0, y0, x1, y1] = input.dataset.bbox.split(",").map(Number);
          return {x: r.x + x0 * s, y: r.y + y0 * s, width: (x1 - x0) * s, height: (y1 - y0) * s};
        }"""
    )
    return found


def _inside(inner: dict[str, float], outer: dict[str, float], slack: float = 3.0) -> bool:
    return (
        inner["x"] >= outer["x"] - slack
        and inner["y"] >= outer["y"] - slack
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack
    )


def _close(a: dict[str, float], b: dict[str, float], tolerance: float = 5.0) -> bool:
    return all(abs(a[k] - b[k]) <= tolerance for k in ("x", "y", "width", "height"))


def _check_highlight(page: Page) -> None:
    highlight = page.locator(".highlight:visible")
    expect(highlight).to_have_count(1)
    figure = page.locator(".page", has=page.locator(".highlight:visible"))
    image = _box(page, f'.page[data-page="{figure.get_attribute("data-page")}"] img')
    box = _box(page, ".highlight:visible")
    assert box["width"] > 2 and box["height"] > 2, box
    assert _inside(box, image), f"highlight {box} is not over the page image {image}"
    assert _close(box, _expected_highlight(page)), (box, _expected_highlight(page))


def test_upload_review_correct_and_export_in_a_browser(page: Page) -> None:
    page.goto("/")
    page.get_by_role("button", name="Start a new session").click()
    page.wait_for_url("**/s/*")
    session_url = page.url

    page.set_input_files("#file-input", [str(CORPUS / d) for d in DOCUMENTS])
    # The page polls: every file reaches "done" and three invoices appear, with no reload.
    page.evaluate("window.__same_document = true")
    expect(page.locator("#files tbody tr")).to_have_count(3, timeout=60_000)
    expect(page.locator("#files tbody .state-done")).to_have_count(3, timeout=60_000)
    expect(page.locator("#invoices tbody tr")).to_have_count(3)
    assert page.evaluate("window.__same_document === true"), "the session page was reloaded"
    names = page.locator("#invoices tbody td a").all_inner_texts()
    assert sorted(names) == sorted(Path(d).name for d in DOCUMENTS)

    page.locator("#invoices tbody a", has_text=REVIEWED).click()
    page.wait_for_url("**/invoices/*")
    expect(page.locator("#review h1")).to_have_text(REVIEWED)
    page.wait_for_function(IMAGES_LOADED)
    total = page.locator('input[data-path="total"]')
    assert total.get_attribute("data-bbox"), "no evidence box for the total"
    old_total = total.input_value()
    assert old_total and old_total != NEW_TOTAL

    # Hovering shows the total's evidence over the page image; focusing another field moves it.
    total.hover()
    _check_highlight(page)
    first_box = _box(page, ".highlight:visible")
    # The pointer is parked first: focusing scrolls, and review.js re-highlights whatever field
    # scrolls under a resting pointer (mouseenter), which would hide the focused field's box.
    page.mouse.move(2, 2)
    other = page.locator('.field input[data-bbox]:not([data-path="total"])').first
    other.focus()
    expect(page.locator(".highlight:visible")).to_have_count(1)
    assert not _close(_box(page, ".highlight:visible"), first_box), "the highlight did not move"
    total.focus()
    _check_highlight(page)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "review.png"
    shot.unlink(missing_ok=True)
    page.screenshot(path=str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    total.fill(NEW_TOTAL)
    page.locator("#save").click()
    expect(page.locator("#message")).to_have_text("Saved 1 correction(s).")

    page.get_by_role("link", name="← Session").click()
    page.wait_for_url(session_url)
    row = page.locator("#invoices tbody tr", has_text=REVIEWED)
    expect(row).to_contain_text(NEW_TOTAL)

    with page.expect_download() as download_info:
        page.locator('a[data-export="csv"][data-kind="invoices"]').click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows: list[dict[str, Any]] = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3
    by_file = {r["file"]: r for r in rows}
    assert by_file[REVIEWED]["total"] == NEW_TOTAL, by_file[REVIEWED]
    assert all(r["total"] != NEW_TOTAL for name, r in by_file.items() if name != REVIEWED)


# Holds the first status poll (GET /api/v1/sessions/<id>) made after ``window.__arm`` is set, with
# its parsed body, until the test calls ``window.__held.release()``: a slow poll, made on demand.
HOLD_FIRST_POLL = """(() => {
  const original = window.fetch.bind(window);
  window.__held = null;
  window.fetch = async (input, init) => {
    const response = await original(input, init);
    const path = new URL(typeof input === "string" ? input : input.url, location.href).pathname;
    if (window.__arm && !window.__held && /^\\/api\\/v1\\/sessions\\/[^/]+$/.test(path)) {
      const body = await response.clone().json();
      await new Promise((release) => { window.__held = { body, release }; });
    }
    return response;
  };
})();"""


def test_a_file_uploaded_while_a_poll_is_in_flight_is_still_followed(page: Page) -> None:
    first, second = (CORPUS / d for d in DOCUMENTS[1:])
    page.add_init_script(HOLD_FIRST_POLL)
    page.goto("/")
    page.get_by_role("button", name="Start a new session").click()
    page.wait_for_url("**/s/*")
    page.evaluate("window.__arm = true")
    page.set_input_files("#file-input", [str(first)])
    page.wait_for_function("() => window.__held !== null")  # the first poll is answered, and held
    held = page.evaluate("window.__held.body.files.map(f => f.state)")
    if held != ["done"]:
        page.evaluate("window.__held.release()")
        pytest.skip(f"timing: the first file was not done by the first poll ({held})")
    page.set_input_files("#file-input", [str(second)])
    expect(page.locator("#uploads li .state").nth(1)).to_have_text("uploaded")
    page.evaluate("window.__held.release()")  # the stale answer arrives after the upload
    api = page.locator("#session").get_attribute("data-api")
    deadline = time.monotonic() + 60
    while [f["state"] for f in page.request.get(api or "").json()["files"]] != ["done", "done"]:
        assert time.monotonic() < deadline, "the server did not finish the second file"
        time.sleep(0.2)
    # The server is done with both files; the page, still polling, must show it within seconds.
    row = page.locator("#files tbody tr", has_text=second.name)
    expect(row.locator(".state-done")).to_have_count(1, timeout=5_000)
