"""OCR benchmark: the corpus read through OCR, scored like ``invoice-extractor eval``.

``--subset einvoice`` (default) renders every page of the dev e-invoices' ``.visual.pdf`` to a
200 dpi greyscale image, puts each document's pages in one multi-page TIFF (``--container pdf``:
an image-only PDF, the scanned-PDF path), extracts it through OCR and scores it against the truth
file; the same documents are also extracted from their text layer, and both header macro
accuracies are printed with their difference. ``--subset sroie`` reads the receipt photos as they
are. Prints seconds per page (wall clock, and CPU time of this process and its OCR child
processes, the one-core cost), and peak RSS of this process and of the largest child.

    /work/venv/bin/python benchmarks/ocr_einvoices.py [--engine tesseract] [--subset sroie]
        [--dpi 200] [--container tiff|pdf] [--no-contrast] [--no-deskew] [--no-orientation]
        [--no-perspective] [--no-light] [--no-sharpen] [--no-rules]
        [--limit N] [--verbose] [--json out.json]
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from invoice_extractor import pipeline
from invoice_extractor.errors import InvoiceExtractorError
from invoice_extractor.evaluation import (
    Case,
    EvalReport,
    find_cases,
    format_report,
    load_truth,
    peak_rss_mb,
    run_eval,
)
from invoice_extractor.ingest.image import read_image
from invoice_extractor.ingest.loader import load_bytes
from invoice_extractor.ingest.ocr import page as ocr_page
from invoice_extractor.ingest.ocr import registry
from invoice_extractor.ingest.ocr.scanned import ocr_scanned_pages
from invoice_extractor.ingest.pdf import page_count, read_pdf, render_image
from invoice_extractor.model import Invoice
from invoice_extractor.scoring import CaseScore, score_case
from invoice_extractor.settings import Settings

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
MAX_PAGES = 500


@dataclass(slots=True)
class Clock:
    wall: float = 0.0
    cpu: float = 0.0
    _wall: float = 0.0
    _cpu: float = 0.0

    def __enter__(self) -> Clock:
        self._wall, self._cpu = time.perf_counter(), _cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall += time.perf_counter() - self._wall
        self.cpu += _cpu() - self._cpu


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (tesseract runs as one)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _child_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def render(path: Path, dpi: int, container: str) -> bytes:
    """The document's pages as images: a multi-page TIFF, or an image-only PDF."""
    data = path.read_bytes()
    images = [
        render_image(data, path.name, n, dpi, grayscale=True)
        for n in range(1, page_count(data, path.name) + 1)
    ]
    buffer = io.BytesIO()
    first, rest = images[0], images[1:]
    if container == "pdf":
        first.save(buffer, format="PDF", save_all=True, append_images=rest, resolution=dpi)
    else:
        first.save(
            buffer,
            format="TIFF",
            save_all=True,
            append_images=rest,
            compression="tiff_deflate",
            dpi=(dpi, dpi),
        )
    return buffer.getvalue()


def extract(
    data: bytes, name: str, engine: str, options: ocr_page.Options, settings: Settings
) -> tuple[list[Invoice], list[str]]:
    """Load ``data`` reading every page through OCR with ``options``, then run the pipeline;
    also the name of the engine that read each page."""
    chosen = registry.resolve(engine)
    if chosen is None:
        raise SystemExit(f"OCR engine {engine!r} is not installed")
    try:
        if options == ocr_page.DEFAULT_OPTIONS:  # the product's own path
            document = load_bytes(
                data, name, max_pages=MAX_PAGES, max_bytes=1 << 30, ocr_engine=engine
            )
        elif data.startswith(b"%PDF"):
            document = read_pdf(data, name, max_pages=MAX_PAGES)
            document = ocr_scanned_pages(document, data, engine, options=options)
        else:
            document = read_image(data, name, max_pages=MAX_PAGES, engine=chosen, options=options)
        engines = [page.ocr_engine for page in document.pages]
        return pipeline.extract_document(document, settings=settings), engines
    except InvoiceExtractorError as exc:
        return [Invoice.failed(name, str(exc), extractor=settings.extractor)], []


def add_clean_up_flags(parser: argparse.ArgumentParser) -> None:
    """A ``--no-STEP`` flag for each clean-up step of ``ocr_page.Options``."""
    for step in fields(ocr_page.Options):
        parser.add_argument(f"--no-{step.name}", action="store_true", help=f"skip {step.name}")


def clean_up_options(args: argparse.Namespace) -> ocr_page.Options:
    """The clean-up steps the ``--no-STEP`` flags leave on."""
    steps = fields(ocr_page.Options)
    return ocr_page.Options(**{s.name: not getattr(args, f"no_{s.name}") for s in steps})


def run(args: argparse.Namespace) -> int:
    settings = Settings.model_validate({})
    cases: list[Case] = find_cases(args.corpus, args.subset)[: args.limit or None]
    if not cases:
        print(f"no {args.subset} cases under {args.corpus}", file=sys.stderr)
        return 1
    engine = registry.resolve(args.engine)
    if engine is None:
        print(f"OCR engine {args.engine!r}: none installed", file=sys.stderr)
        return 1
    options = clean_up_options(args)
    baseline = run_eval(cases, settings=settings) if args.subset == "einvoice" else None
    clock = Clock()
    scores: list[CaseScore] = []
    pages = 0
    read_by: Counter[str] = Counter()
    for position, case in enumerate(cases, start=1):
        print(f"[{position}/{len(cases)}] {case.id}", file=sys.stderr, flush=True)
        if args.subset == "einvoice":
            data = render(case.input, args.dpi, args.container)
            name = case.input.name.replace(".pdf", ".tiff" if args.container == "tiff" else ".pdf")
        else:
            data, name = case.input.read_bytes(), case.input.name
        with clock:
            invoices, engines = extract(data, name, engine.name, options, settings)
        read_by.update(engines)
        pages += max(1, sum(len(inv.pages) for inv in invoices))
        scores.append(score_case(case.id, load_truth(case.truth), invoices))
    report = EvalReport(scores, f"embedded + OCR ({engine.name})", pages, clock.wall, peak_rss_mb())
    print(format_report(report, verbose=args.verbose))
    print()
    print(
        f"OCR engine {engine.name}: {pages} pages, {clock.wall / pages:.2f} s/page wall, "
        f"{clock.cpu / pages:.2f} s/page CPU (this process + OCR processes), "
        f"peak RSS {peak_rss_mb():.0f} MB (largest OCR child process {_child_rss_mb():.0f} MB); "
        "pages read by " + ", ".join(f"{k or 'none'}: {v}" for k, v in sorted(read_by.items()))
    )
    summary: dict[str, object] = {
        "engine": engine.name,
        "pages_read_by": dict(read_by),
        "subset": args.subset,
        "options": asdict(options),
        "pages": pages,
        "seconds_per_page_wall": round(clock.wall / pages, 3),
        "seconds_per_page_cpu": round(clock.cpu / pages, 3),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "child_peak_rss_mb": round(_child_rss_mb(), 1),
        "ocr": report.to_dict(),
    }
    if baseline is not None:
        text, ocr = baseline.header_accuracy or 0.0, report.header_accuracy or 0.0
        print(
            f"header macro accuracy: text layer {100 * text:.1f}%, OCR at {args.dpi} dpi "
            f"{100 * ocr:.1f}%, difference {100 * (ocr - text):+.1f} points"
        )
        summary["text_layer"] = baseline.to_dict()
        summary["header_macro_difference"] = round(ocr - text, 4)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--subset", choices=("einvoice", "sroie"), default="einvoice")
    parser.add_argument("--engine", default=registry.AUTO, help="OCR engine (registry name)")
    parser.add_argument("--dpi", type=int, default=200, help="resolution of the rendered pages")
    parser.add_argument("--container", choices=("tiff", "pdf"), default="tiff")
    add_clean_up_flags(parser)
    parser.add_argument("--limit", type=int, default=0, help="only the first N documents")
    parser.add_argument("--verbose", action="store_true", help="list every wrong value")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
