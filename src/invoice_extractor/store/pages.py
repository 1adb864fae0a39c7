"""Page images for review: rendered on demand from the stored upload, cached on disk by hash."""

from __future__ import annotations

from pathlib import Path

from ..errors import NotFound
from ..ingest.image import frame_count, frame_png, is_image
from ..ingest.pdf import is_pdf, page_count, render_page
from .blobs import BlobStore, write_whole


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
        write_whole(cached, image, what="the page image", durable=False)
        return image
