"""Page images for review: rendered on demand from the stored upload, cached on disk by hash.

A page OCR read turned or deskewed (a scan upside down, a crooked photo) has its words' boxes on
the upright image OCR saw; its turn and skew are kept beside the cached images
(``remember_views``) and the shown image is turned alike, so highlights sit on their words.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterable
from pathlib import Path

from ..errors import NotFound, StorageError
from ..ingest.document import Page
from ..ingest.image import frame_count, frame_png, is_image
from ..ingest.pdf import is_pdf, page_count, render_page
from .blobs import BlobStore, write_whole

log = logging.getLogger(__name__)


class PageImages:
    def __init__(self, blobs: BlobStore, cache_dir: Path, dpi: int) -> None:
        self.blobs = blobs
        self.cache_dir = cache_dir
        self.dpi = dpi

    def count(self, sha256: str) -> int:
        data = self.blobs.get(sha256)
        if is_pdf(data):
            return page_count(data, sha256)
        return frame_count(data, sha256) if is_image(data) else 0

    def png(self, sha256: str, name: str, number: int) -> bytes:
        cached = self.cache_dir / sha256[:2] / f"{sha256}-{number}-{self.dpi}.png"
        if cached.is_file():
            return cached.read_bytes()
        data = self.blobs.get(sha256)
        if is_image(data):
            if not 1 <= number <= frame_count(data, name):
                raise NotFound(f"no page {number}")
            image = frame_png(data, name, number, self.dpi)
        elif not is_pdf(data) or not 1 <= number <= page_count(data, name):
            raise NotFound(f"no page {number}")
        else:
            image = render_page(data, name, number, self.dpi)
        turn, skew = self.views(sha256).get(number, (0, 0.0))
        if turn or skew:
            image = _upright_png(image, turn, skew)
        write_whole(cached, image, what="the page image", durable=False)
        return image

    def _views_path(self, sha256: str) -> Path:
        return self.cache_dir / sha256[:2] / f"{sha256}-views.json"

    def views(self, sha256: str) -> dict[int, tuple[int, float]]:
        """Page number -> (turn, skew) of the pages OCR read turned; {} when none was."""
        try:
            raw = json.loads(self._views_path(sha256).read_text(encoding="utf-8"))
            return {int(k): (int(v[0]), float(v[1])) for k, v in raw.items()}
        except (OSError, ValueError, TypeError, IndexError, AttributeError):
            return {}

    def remember_views(self, sha256: str, pages: Iterable[Page]) -> None:
        """Keep the turn and skew of the pages OCR read turned, and drop cached images shown
        before they were known. A failed write is logged: the review then shows the page as
        stored, the extraction itself does not depend on it."""
        views = {p.number: [p.ocr_turn, p.ocr_skew] for p in pages if p.ocr_turn or p.ocr_skew}
        if not views and not self._views_path(sha256).is_file():
            return
        try:
            write_whole(
                self._views_path(sha256),
                json.dumps(views).encode(),
                what="the page views",
                durable=False,
            )
        except StorageError as exc:
            log.warning("page views of %s not kept: %s", sha256, exc)
            return
        for image in (self.cache_dir / sha256[:2]).glob(f"{sha256}-*.png"):
            image.unlink(missing_ok=True)


def _upright_png(png: bytes, turn: int, skew: float) -> bytes:
    """``png`` turned and deskewed as OCR turned the page before reading it."""
    from PIL import Image

    from ..ingest.ocr.cleanup import upright  # numpy: loaded only for a turned page

    with Image.open(io.BytesIO(png)) as image:
        shown = upright(
            image.convert("RGB" if image.mode not in {"L", "RGB"} else image.mode), turn, skew
        )
    buffer = io.BytesIO()
    shown.save(buffer, format="PNG")
    return buffer.getvalue()
