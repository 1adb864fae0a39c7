"""The review of 10 invoices by keyboard alone, timed in the browser (issue 13).

Starts ``invoice-extractor serve`` (the packaged engine, SQLite) on a temporary DATA_DIR, uploads
ten synthetic invoices (three with a line amount that does not add up) through the session page
in headless Debian Chromium, then reviews every invoice with keys only: ``n`` (next field to
check), a typed correction, ``Ctrl+S`` (save), ``r`` (mark reviewed), ``Esc`` and ``j`` (next
invoice). Each step is timed inside the page (``performance.now()`` from the key press to the
answer shown; navigation timing for page loads) and the run fails if any step takes 300 ms or
more. Run from the repository root:

    python benchmarks/review_keyboard.py [--invoices 10] [--limit-ms 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from playwright.sync_api import Page, sync_playwright

from helpers_review import chromium, files_payload, invoice_pdf
from helpers_server import start_serve

# Key press -> the change it causes, measured in the page: the time of the last key press, and
# the time #message or #status last changed.
TIMERS = """(() => {
  window.__keyAt = 0; window.__shownAt = 0;
  document.addEventListener("keydown", () => { window.__keyAt = performance.now(); }, true);
  document.addEventListener("DOMContentLoaded", () => {
    const seen = () => { window.__shownAt = performance.now(); };
    const watch = new MutationObserver(seen);
    for (const id of ["message", "status"]) {
      const node = document.getElementById(id);
      if (node) watch.observe(node, { childList: true, characterData: true, subtree: true });
    }
  });
})();"""
LOAD = """() => { const n = performance.getEntriesByType("navigation")[0];
  return {ready: n.domContentLoadedEventEnd, loaded: n.loadEventEnd, request: n.requestStart,
          response: n.responseEnd, interactive: n.domInteractive}; }"""


def _after_key(page: Page, key: str, expected: str) -> float:
    page.evaluate("window.__shownAt = 0")
    page.keyboard.press(key)
    page.wait_for_function(
        "(text) => document.getElementById('message').textContent.includes(text)", arg=expected
    )
    took: float = page.evaluate("window.__shownAt - window.__keyAt")
    return took


def run(count: int, limit_ms: float, verbose: bool = False) -> int:
    steps: dict[str, list[float]] = {
        "page ready": [],
        "page + image": [],
        "save": [],
        "mark reviewed": [],
    }
    with (
        tempfile.TemporaryDirectory() as tmp,
        start_serve(Path(tmp) / "data") as server,
        sync_playwright() as playwright,
    ):
        browser = chromium(playwright)
        context = browser.new_context(base_url=server.url, viewport={"width": 1400, "height": 900})
        context.add_init_script(TIMERS)
        page = context.new_page()
        page.goto("/")
        page.get_by_role("button", name="Start a new session").click()
        page.wait_for_url("**/s/*")
        files = [
            (
                f"inv-{n:02d}.pdf",
                invoice_pdf(
                    f"R-{n:03d}",
                    seller=f"Supplier {n} Ltd",
                    printed_amount="90.00" if n % 4 == 1 else "100.00",
                ),
                "application/pdf",
            )
            for n in range(count)
        ]
        page.set_input_files("#file-input", files_payload(*files))
        page.locator("#invoices tbody tr").nth(count - 1).wait_for(timeout=120_000)
        busy = "#files .state-queued, #files .state-reading, #files .state-extracting"
        page.wait_for_function(f"() => !document.querySelector('{busy}')", timeout=120_000)
        page.locator("#invoices tbody a").first.click()
        for n in range(count):
            page.wait_for_url("**/invoices/*")
            page.wait_for_load_state("load")
            timing = page.evaluate(LOAD)
            steps["page ready"].append(timing["ready"])
            steps["page + image"].append(timing["loaded"])
            if verbose:
                print({k: round(v, 1) for k, v in timing.items()})
            page.locator("body").click(position={"x": 2, "y": 2})  # no field focused
            page.keyboard.press("n")  # the first field to check (the seller's name)
            field = page.evaluate("document.activeElement.dataset.path || ''")
            if not field:
                page.keyboard.press("Tab")
            page.keyboard.press("End")
            page.keyboard.type(" (checked)")
            steps["save"].append(_after_key(page, "Control+s", "Saved"))
            page.keyboard.press("Escape")
            steps["mark reviewed"].append(_after_key(page, "r", "Marked reviewed"))
            if n + 1 < count:
                here = page.url
                page.keyboard.press("j")
                page.wait_for_url(lambda url, here=here: url != here)
        browser.close()
    worst = 0.0
    print(f"{count} invoices reviewed by keyboard; milliseconds per step (in the page)")
    print(f"{'step':<16}{'median':>9}{'max':>9}")
    for name, values in steps.items():
        print(f"{name:<16}{statistics.median(values):>9.1f}{max(values):>9.1f}")
        worst = max(worst, max(values))
    print(f"slowest step {worst:.1f} ms (limit {limit_ms:.0f} ms)")
    return 0 if worst < limit_ms else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10)
    parser.add_argument("--limit-ms", type=float, default=300.0)
    parser.add_argument("--verbose", action="store_true", help="print each page's timings")
    args = parser.parse_args()
    return run(args.invoices, args.limit_ms, args.verbose)


if __name__ == "__main__":
    raise SystemExit(main())
