"""OCR cost per engine: CPU seconds per page and peak RSS, each engine in its own process pinned
to one core, on the same pages (receipt photos and rendered e-invoice pages).

Only the OCR of each page is timed (``ocr_page``: clean-up, engine, repairs), not extraction
nor the decoding of the image, which is done right before it: one decoded image at a time.
Figures are printed, never asserted; on a shared machine compare runs made together.

    python benchmarks/ocr_engines.py [--receipts 12] [--pages 12]
        [--engines auto tesseract rapidocr] [--interleaved]

The receipts and pages are spread evenly over the corpus's receipts and e-invoices (the first
page of each), not its first cases: the corpus is sorted by source, and the first sources' pages
are sparse (130-180 words) where others hold 400-760 words and cost twice as much to read.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PIL import Image

T = TypeVar("T")
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _spread(cases: list[T], count: int) -> list[T]:
    """``count`` of ``cases`` at even steps over the whole list (all of them when fewer)."""
    if count >= len(cases):
        return cases
    return [cases[i * len(cases) // count] for i in range(count)]


def _status_mb(field: str) -> float:
    """A figure of this process's ``/proc/self/status`` (``VmRSS``, ``VmHWM``) in MB; 0 where
    there is none (not Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


Loader = Callable[[], tuple[Image.Image, tuple[float, float] | None]]


def _samples(receipts: int, pages: int) -> list[tuple[str, Loader]]:
    """The receipt photos and rendered e-invoice pages (each spread evenly over its set), each
    as a function that decodes it: a user's process reads one file or page at a time."""
    from invoice_extractor.evaluation import find_cases
    from invoice_extractor.ingest.pdf import render_image

    def photo(path: Path) -> Loader:
        return lambda: (Image.open(path).convert("RGB"), None)

    def page(path: Path) -> Loader:
        def load() -> tuple[Image.Image, tuple[float, float] | None]:
            image = render_image(path.read_bytes(), path.name, 1, 200, grayscale=True)
            return image, (200.0, 200.0)

        return load

    samples = [("receipt", photo(c.input)) for c in _spread(find_cases(CORPUS, "sroie"), receipts)]
    einvoices = _spread(find_cases(CORPUS, "einvoice"), pages)
    return samples + [("page", page(c.input)) for c in einvoices]


def measure(
    engine_name: str, receipts: int, pages: int, interleaved: bool = False
) -> dict[str, object]:
    """In this process: OCR ``receipts`` receipt photos and ``pages`` rendered e-invoice pages
    (each spread evenly over its set) with ``engine_name``, one decoded image at a time, as the
    command line and the web's worker read them (the decoding is not timed). ``peak_rss_mb``:
    the process's peak so; ``peak_rss_held_mb``: that peak plus what the decoded images take
    when held all at once, as this benchmark held them before 2026-12-07 (issue 14): the figure
    comparable with the earlier runs in docs/ocr.md."""
    from invoice_extractor.ingest.ocr import registry
    from invoice_extractor.ingest.ocr.page import ocr_page

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    engine = registry.resolve(engine_name)
    if engine is None:
        return {"engine": engine_name, "error": "not installed"}
    samples = _samples(receipts, pages)
    if interleaved:  # a receipt, a page, a receipt ...: each change of engine paid
        kinds = [[s for s in samples if s[0] == kind] for kind in ("receipt", "page")]
        samples = [s for pair in itertools.zip_longest(*kinds) for s in pair if s is not None]
    figures: dict[str, object] = {"engine": engine.name}
    cpu: dict[str, float] = collections.defaultdict(float)
    wall: dict[str, float] = collections.defaultdict(float)
    counts: collections.Counter[str] = collections.Counter()
    for kind, load in samples:
        counts[kind] += 1
        image, dpi = load()
        start, clock = _cpu(), time.perf_counter()
        ocr_page(image, counts[kind], dpi, engine)
        cpu[kind] += _cpu() - start
        wall[kind] += time.perf_counter() - clock
        del image
    for kind in ("receipt", "page"):
        if counts[kind]:
            figures[f"{kind}_cpu_s"] = round(cpu[kind] / counts[kind], 2)
            figures[f"{kind}_wall_s"] = round(wall[kind] / counts[kind], 2)
            figures[f"{kind}s"] = counts[kind]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # What holding every decoded image at once adds (measured after the run: the peak above
    # is not raised by it).
    before = _status_mb("VmRSS")
    held = [load()[0] for _, load in samples]
    held_mb = _status_mb("VmRSS") - before
    del held
    figures["peak_rss_mb"] = round(peak)
    figures["peak_rss_held_mb"] = round(peak + held_mb)
    figures["child_peak_rss_mb"] = round(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receipts", type=int, default=12)
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--engines", nargs="+", default=["auto", "tesseract", "rapidocr"])
    parser.add_argument(
        "--interleaved", action="store_true", help="a receipt, a page, ... (not all receipts first)"
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the child: measure one engine
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one, args.receipts, args.pages, args.interleaved)))
        return 0
    for name in args.engines:
        command = [sys.executable, __file__, "--one", name]
        command += ["--receipts", str(args.receipts), "--pages", str(args.pages)]
        command += ["--interleaved"] if args.interleaved else []
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        lines = done.stdout.strip().splitlines()
        print(lines[-1] if lines else f"{name}: failed: {done.stderr.strip()[-300:]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
