"""OCR cost per engine: CPU seconds per page and peak RSS, each engine in its own process pinned
to one core, on the same pages (receipt photos and rendered e-invoice pages).

Only the OCR of each page is timed (``ocr_page``: clean-up, engine, repairs), not extraction.
Figures are printed, never asserted; on a shared machine compare runs made together.

    python benchmarks/ocr_engines.py [--receipts 12] [--pages 12]
        [--engines auto tesseract rapidocr]

The receipts and pages are spread evenly over the corpus's receipts and e-invoices (the first
page of each), not its first cases: the corpus is sorted by source, and the first sources' pages
are sparse (130-180 words) where others hold 400-760 words and cost twice as much to read.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
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


def measure(engine_name: str, receipts: int, pages: int) -> dict[str, object]:
    """In this process: OCR ``receipts`` receipt photos and ``pages`` rendered e-invoice pages
    (each spread evenly over its set) with ``engine_name``."""
    from invoice_extractor.evaluation import find_cases
    from invoice_extractor.ingest.ocr import registry
    from invoice_extractor.ingest.ocr.page import ocr_page
    from invoice_extractor.ingest.pdf import render_image

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    engine = registry.resolve(engine_name)
    if engine is None:
        return {"engine": engine_name, "error": "not installed"}
    images: list[tuple[str, Image.Image, tuple[float, float] | None]] = []
    for case in _spread(find_cases(CORPUS, "sroie"), receipts):
        images.append(("receipt", Image.open(case.input).convert("RGB"), None))
    for case in _spread(find_cases(CORPUS, "einvoice"), pages):
        data = case.input.read_bytes()
        page = render_image(data, case.input.name, 1, 200, grayscale=True)
        images.append(("page", page, (200.0, 200.0)))
    figures: dict[str, object] = {"engine": engine.name}
    for kind in ("receipt", "page"):
        chosen = [(image, dpi) for k, image, dpi in images if k == kind]
        if not chosen:
            continue
        start, wall = _cpu(), time.perf_counter()
        for number, (image, dpi) in enumerate(chosen, start=1):
            ocr_page(image, number, dpi, engine)
        figures[f"{kind}_cpu_s"] = round((_cpu() - start) / len(chosen), 2)
        figures[f"{kind}_wall_s"] = round((time.perf_counter() - wall) / len(chosen), 2)
        figures[f"{kind}s"] = len(chosen)
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    figures["child_peak_rss_mb"] = round(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receipts", type=int, default=12)
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--engines", nargs="+", default=["auto", "tesseract", "rapidocr"])
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the child: measure one engine
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one, args.receipts, args.pages)))
        return 0
    for name in args.engines:
        command = [sys.executable, __file__, "--one", name]
        command += ["--receipts", str(args.receipts), "--pages", str(args.pages)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        lines = done.stdout.strip().splitlines()
        print(lines[-1] if lines else f"{name}: failed: {done.stderr.strip()[-300:]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
