"""Photo benchmark: the dev e-invoices as phone photos, read through OCR and scored like
``invoice-extractor eval`` against their text layer.

Each page of a ``NAME.visual.pdf`` is rendered (250 dpi) and photographed synthetically: laid on a
dark textured surface in a 12-megapixel frame (3000 x 4000), seen at a tilt of 5 to 15 degrees
(the far edge shorter) and turned by up to 4 degrees, lit by a shadow gradient (down to 55 % of
the light), blurred (Gaussian, radius 1.5 pixels), given sensor noise, and saved as JPEG at
quality 60 (one multi-page TIFF of JPEG frames per document, stating no resolution, like a
camera). A fixed seed per document: every run makes the same photos.

    python benchmarks/photo_einvoices.py [--limit N] [--engine auto] [--no-perspective]
        [--no-light] [--no-sharpen] [--no-rules] [--no-contrast] [--no-deskew] [--save DIR]
        [--json out.json]

prints the header macro from the text layer and from the photos, their difference, seconds per
page and peak RSS. Figures, never timed asserts.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from invoice_extractor.evaluation import (
    EvalReport,
    find_cases,
    format_report,
    load_truth,
    peak_rss_mb,
    run_eval,
)
from invoice_extractor.ingest.ocr import registry
from invoice_extractor.ingest.ocr.photo import homography
from invoice_extractor.ingest.pdf import page_count, render_image
from invoice_extractor.scoring import CaseScore, score_case
from invoice_extractor.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ocr_einvoices import CORPUS, Clock, add_clean_up_flags, clean_up_options, extract

FRAME = (3000, 4000)  # 12 megapixels, portrait
RENDER_DPI = 250


def photograph(page: Image.Image, rng: random.Random) -> Image.Image:
    """One rendered page as a phone photo of it (see the module's docstring)."""
    width, height = FRAME
    scale = 0.8 * min(width / page.width, height / page.height)
    w, h = page.width * scale, page.height * scale
    cx, cy = width / 2 + rng.uniform(-0.04, 0.04) * width, height / 2
    tilt = np.deg2rad(rng.uniform(5, 15))
    inset = 0.5 * w * np.sin(tilt) * 0.6  # the far (top) edge looks shorter
    corners = np.array(
        [
            [-w / 2 + inset, -h / 2 * np.cos(tilt)],
            [w / 2 - inset, -h / 2 * np.cos(tilt)],
            [w / 2, h / 2],
            [-w / 2, h / 2],
        ]
    )
    turn = np.deg2rad(rng.uniform(-4, 4))
    rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    corners = corners @ rotation.T + [cx, cy]
    source = np.array([[0, 0], [page.width, 0], [page.width, page.height], [0, page.height]])
    # Pillow maps each output pixel back into the page: the homography from photo to page.
    coefficients = homography(corners, source.astype(np.float64))
    paper = page.convert("RGB").transform(
        FRAME, Image.Transform.PERSPECTIVE, tuple(coefficients), Image.Resampling.BICUBIC
    )
    mask = Image.new("L", page.size, 255).transform(
        FRAME, Image.Transform.PERSPECTIVE, tuple(coefficients), Image.Resampling.BILINEAR
    )
    np_rng = np.random.default_rng(rng.randrange(1 << 30))
    texture = np_rng.normal(0, 12, (FRAME[1] // 8, FRAME[0] // 8, 1))
    base = np.array([92.0, 78.0, 64.0]) + texture  # a wooden desk
    surface = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB").resize(FRAME)
    photo = Image.composite(paper, surface, mask)
    # The shadow: light falling off linearly across the frame in a random direction (drawn on a
    # small grid and enlarged: the ramp is smooth).
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:1.0:100j, 0:1.0:75j].astype(np.float32)
    ramp = (xs - 0.5) * np.cos(angle) + (ys - 0.5) * np.sin(angle)
    small = Image.fromarray((1.0 - 0.45 * np.clip(ramp + 0.5, 0, 1)).astype(np.float32), "F")
    light = np.asarray(small.resize(FRAME, Image.Resampling.BILINEAR), np.float32)
    pixels = np.asarray(photo.filter(ImageFilter.GaussianBlur(1.5)), np.float32)
    noise = np_rng.normal(0, 4, (height, width)).astype(np.float32)
    pixels = pixels * light[:, :, None] + noise[:, :, None]
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def photos(path: Path, seed: int) -> bytes:
    """The document's pages as phone photos: a multi-page TIFF of JPEG (quality 60) frames."""
    data = path.read_bytes()
    rng = random.Random(seed)
    frames = [
        photograph(render_image(data, path.name, n, RENDER_DPI, grayscale=True), rng)
        for n in range(1, page_count(data, path.name) + 1)
    ]
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        format="TIFF",
        save_all=True,
        append_images=frames[1:],
        compression="jpeg",
        quality=60,
    )
    return buffer.getvalue()


def run(args: argparse.Namespace) -> int:
    settings = Settings.model_validate({})
    cases = find_cases(args.corpus, "einvoice")[: args.limit or None]
    if not cases:
        print(f"no e-invoices under {args.corpus}", file=sys.stderr)
        return 1
    engine = registry.resolve(args.engine)
    if engine is None:
        print(f"OCR engine {args.engine!r}: none installed", file=sys.stderr)
        return 1
    options = clean_up_options(args)
    baseline = run_eval(cases, settings=settings)
    clock, scores, pages = Clock(), list[CaseScore](), 0
    for position, case in enumerate(cases, start=1):
        print(f"[{position}/{len(cases)}] {case.id}", file=sys.stderr, flush=True)
        data = photos(case.input, position)
        name = case.input.name.replace(".pdf", ".photo.tiff")
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            (args.save / name).write_bytes(data)
        with clock:
            invoices, _ = extract(data, name, engine.name, options, settings)
        pages += max(1, sum(len(inv.pages) for inv in invoices))
        scores.append(score_case(case.id, load_truth(case.truth), invoices))
    report = EvalReport(scores, f"photos ({engine.name})", pages, clock.wall, peak_rss_mb())
    text, photo = baseline.header_accuracy or 0.0, report.header_accuracy or 0.0
    if args.verbose:  # every wrong value, from the text layer and from the photos
        print(format_report(baseline, verbose=True), end="\n\n")
        print(format_report(report, verbose=True), end="\n\n")
    print(
        f"{len(cases)} e-invoices, {pages} pages photographed: header macro text layer "
        f"{100 * text:.1f}%, photos {100 * photo:.1f}%, difference {100 * (photo - text):+.1f} "
        f"points; {clock.cpu / pages:.2f} s/page CPU, peak RSS {peak_rss_mb():.0f} MB"
    )
    if args.json:
        summary = {
            "cases": len(cases),
            "pages": pages,
            "options": vars(args) | {"corpus": str(args.corpus), "json": None, "save": None},
            "text_layer": baseline.to_dict(),
            "photos": report.to_dict(),
            "header_macro_difference": round(photo - text, 4),
            "seconds_per_page_cpu": round(clock.cpu / pages, 3),
        }
        args.json.write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--engine", default=registry.AUTO, help="OCR engine (registry name)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N documents")
    add_clean_up_flags(parser)
    parser.add_argument("--save", type=Path, help="also write the photos to this folder")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
