"""The review shows a page turned as OCR turned it: the words' boxes are measured on the upright
page, so a scan read upside down or deskewed is shown upright, with its highlights on its words."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from conftest import MakePdf
from invoice_extractor import pipeline
from invoice_extractor.ingest.document import Page
from invoice_extractor.ingest.loader import load_bytes
from invoice_extractor.jobs.runner import run_job
from invoice_extractor.settings import Settings
from invoice_extractor.store.blobs import BlobStore
from invoice_extractor.store.pages import PageImages
from invoice_extractor.store.repository import Store
from test_ocr import LIMITS, encode, invoice_scan, needs_ocr

SHOWN_DPI = 72  # one pixel of the shown image per PDF point: a box is its own pixel box


def page_images(tmp_path: Path) -> PageImages:
    return PageImages(BlobStore(tmp_path / "blobs"), tmp_path / "cache", SHOWN_DPI)


def ink_in(png: bytes, bbox: tuple[float, float, float, float]) -> float:
    """Share of dark pixels of ``png`` inside ``bbox`` (PDF points)."""
    shown = Image.open(io.BytesIO(png)).convert("L")
    x0, y0, x1, y1 = (round(v) for v in bbox)
    return float((np.asarray(shown.crop((x0, y0, x1, y1))) < 128).mean())


def test_a_page_read_turned_is_shown_turned_and_a_stale_image_is_dropped(tmp_path: Path) -> None:
    pages = page_images(tmp_path)
    picture = Image.new("L", (200, 100), 255)
    picture.paste(0, (0, 0, 40, 20))  # ink in the top-left corner
    sha = pages.blobs.put(encode(picture))
    before = Image.open(io.BytesIO(pages.png(sha, "scan.png", 1))).convert("L")
    assert before.getpixel((5, 5)) < 128  # shown as stored, and cached so
    pages.remember_views(sha, [Page(1, 100, 50, source="ocr", ocr_turn=180)])
    after = Image.open(io.BytesIO(pages.png(sha, "scan.png", 1))).convert("L")
    assert after.size == before.size
    assert (
        after.getpixel((5, 5)) > 128 and after.getpixel((after.width - 5, after.height - 5)) < 128
    )
    # A page read upright forgets an earlier turn (the file read again by a newer engine).
    pages.remember_views(sha, [Page(1, 100, 50, source="ocr")])
    again = Image.open(io.BytesIO(pages.png(sha, "scan.png", 1))).convert("L")
    assert again.getpixel((5, 5)) < 128


@needs_ocr
def test_an_upside_down_scan_is_shown_upright_with_the_total_on_its_ink(
    make_pdf: MakePdf, tmp_path: Path
) -> None:
    data = encode(invoice_scan(make_pdf).rotate(180))
    document = load_bytes(data, "upside-down.png", **LIMITS)
    assert document.pages[0].ocr_turn == 180
    [invoice] = pipeline.extract_document(document, settings=Settings())
    pages = page_images(tmp_path)
    sha = pages.blobs.put(data)
    bbox = invoice.evidence["total"].bbox
    assert ink_in(pages.png(sha, "upside-down.png", 1), bbox) < 0.02  # unturned: blank paper
    pages.remember_views(sha, document.pages)
    assert ink_in(pages.png(sha, "upside-down.png", 1), bbox) > 0.05


@needs_ocr
def test_an_extraction_job_keeps_the_turn_the_review_shows(
    make_pdf: MakePdf, web_settings: Settings
) -> None:
    store = Store(web_settings)
    store.migrate()
    try:
        data = encode(invoice_scan(make_pdf).rotate(180))
        session_id, _ = store.create_session()
        stored, _ = store.add_upload(session_id, "upside-down.png", data)
        job = store.claim_next("worker")
        assert job is not None
        run_job(store, job, "worker")
        [invoice] = store.invoices(session_id)
        bbox = invoice.invoice.evidence["total"].bbox
        shown = PageImages(store.blobs, store.pages.cache_dir, SHOWN_DPI)
        assert ink_in(shown.png(stored.sha256, stored.name, 1), bbox) > 0.05
    finally:
        store.db.dispose()
