"""Synthetic European receipts: deterministic, printing what their truth files say, rendered to
images, and read by the engine from their words (the OCR-free page the renderer lays out)."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from PIL import Image

from invoice_extractor.evaluation import find_cases
from invoice_extractor.extract.embedded.engine import EmbeddedExtractor
from invoice_extractor.ingest.document import Document, DocumentKind
from invoice_extractor.training.synth_receipt import (
    DPI,
    draw_receipt,
    receipt_page,
    render_png,
    write_receipts,
)


def test_the_same_seed_gives_the_same_receipt() -> None:
    assert draw_receipt(3, 7) == draw_receipt(3, 7)
    assert draw_receipt(3, 7) != draw_receipt(4, 7)


def test_a_receipt_prints_its_truth_in_six_languages() -> None:
    languages = set()
    for index in range(0, 36, 3):
        receipt = draw_receipt(1, index)
        text = " ".join(" ".join(f"{row.left} {row.right}" for row in receipt.rows).split())
        truth = receipt.truth
        languages.add(truth["extra"]["language"])
        assert truth["seller_name"] in text
        assert " ".join(truth["extra"]["date_as_printed"].split()) in text
        assert truth["total"].replace(".", "") in text.replace(".", "").replace(",", "")
        assert truth["_meta"]["seller_group"] == f"receipt-1-{index // 3}"
    assert languages == {"en", "de", "fr", "es", "it", "nl"}


def test_receipts_are_written_as_images_with_truth_files(tmp_path: Path) -> None:
    paths = write_receipts(tmp_path, 2, seed=5)
    assert [p.suffix for p in paths] == [".png", ".png"]
    image = Image.open(io.BytesIO(paths[0].read_bytes()))
    assert round(image.info["dpi"][0]) == DPI
    assert image.height > image.width  # a slip
    truth = json.loads(paths[0].with_name(paths[0].stem + ".truth.json").read_text())
    assert truth["_qc"]["recommended_fields_for_visual_eval"] == [
        "issue_date",
        "seller_name",
        "total",
    ]
    assert len(find_cases(tmp_path, "images")) == 2
    assert render_png(draw_receipt(5, 0)) == paths[0].read_bytes()


def test_the_engine_reads_seller_date_and_total_of_synthetic_receipts() -> None:
    right = {"seller_name": 0, "issue_date": 0, "total": 0}
    count = 24
    for index in range(count):
        receipt = draw_receipt(11, index)
        page = receipt_page(receipt)
        invoice = EmbeddedExtractor().extract(Document("r.png", DocumentKind.IMAGE, [page]), [1])
        truth = receipt.truth
        right["seller_name"] += invoice.seller.name == truth["seller_name"]
        right["issue_date"] += invoice.issue_date == date.fromisoformat(truth["issue_date"])
        right["total"] += invoice.total == Decimal(truth["total"])
    shares = {field: n / count for field, n in right.items()}
    assert min(shares.values()) >= 0.75, shares
