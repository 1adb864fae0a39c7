"""Shared fixtures: a temp data dir, a PDF factory, and a stand-in for the extraction pipeline."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import pytest
from fpdf import FPDF

import invoice_extractor
from invoice_extractor.model import Invoice

TextItem = tuple[float, float, str, float]
"""``(x, y, text, size)``: ``x`` and the baseline ``y`` in PDF points from the top-left corner."""
PageSpec = Sequence[str | TextItem]
"""One page: plain lines (stacked from the top-left) and/or placed text items, in any mix."""

_UNICODE_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/Library/Fonts/Arial Unicode.ttf"),
)


class MakePdf(Protocol):
    def __call__(
        self,
        pages: Sequence[PageSpec],
        name: str = "document.pdf",
        *,
        directory: Path | None = None,
        size: float = 10,
    ) -> Path: ...


ExtractFile = Callable[..., list[Invoice]]


class InstallPipeline(Protocol):
    def __call__(self, extract_file: ExtractFile = ...) -> None: ...


@pytest.fixture
def tmp_data_dir(tmp_path: Path) -> Path:
    """An empty directory for a test's input and output files."""
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def make_pdf(tmp_data_dir: Path) -> MakePdf:
    """A factory writing a PDF with a real text layer, one ``PageSpec`` per page; returns its path.

    ``make_pdf([["Invoice 1", (400, 60, "Total 119,00", 10)]], "a.pdf")``. Text outside Latin-1
    (``€``) needs a Unicode TrueType font; the test is skipped where none is installed.
    """

    def make(
        pages: Sequence[PageSpec],
        name: str = "document.pdf",
        *,
        directory: Path | None = None,
        size: float = 10,
    ) -> Path:
        pdf = FPDF(unit="pt", format="A4")
        pdf.set_auto_page_break(False)
        font = _font_for(
            pdf, [item if isinstance(item, str) else item[2] for p in pages for item in p]
        )
        for page in pages:
            pdf.add_page()
            y = 50.0
            for item in page:
                if isinstance(item, str):
                    pdf.set_font(font, size=size)
                    pdf.text(50, y, item)
                    y += size * 1.5
                else:
                    x, baseline, text, item_size = item
                    pdf.set_font(font, size=item_size)
                    pdf.text(x, baseline, text)
        path = (directory or tmp_data_dir) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        pdf.output(str(path))
        return path

    return make


def _font_for(pdf: FPDF, texts: Sequence[str]) -> str:
    """Helvetica (built in) when Latin-1 covers the text, else a Unicode TrueType font."""
    try:
        "".join(texts).encode("latin-1")
        return "Helvetica"
    except UnicodeEncodeError:
        pass
    for path in _UNICODE_FONTS:
        if path.is_file():
            pdf.add_font("Unicode", fname=str(path))
            return "Unicode"
    pytest.skip("no Unicode TrueType font installed for non-Latin-1 test text")


def fake_extract_file(
    path: Path, *, settings: object = None, extractor: str | None = None
) -> list[Invoice]:
    """``pipeline.extract_file``'s contract without the engine: a readable ``%PDF`` file gives one
    ok invoice numbered after its stem, anything else one failed invoice."""
    name = extractor or "embedded"
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [Invoice.failed(path.name, f"{path.name}: cannot be read ({exc.strerror})", name)]
    if not data.startswith(b"%PDF"):
        return [Invoice.failed(path.name, f"{path.name}: not a PDF", name)]
    return [Invoice(file=path.name, pages=[1], extractor=name, invoice_number=path.stem)]


@pytest.fixture
def fake_pipeline(monkeypatch: pytest.MonkeyPatch) -> InstallPipeline:
    """Install a function as ``invoice_extractor.pipeline.extract_file`` for one test.

    A stand-in module replaces the pipeline (rather than patching one attribute) so that tests of
    the CLI and the evaluation do not depend on the engine importing: they test what calls it.
    """

    def install(extract_file: ExtractFile = fake_extract_file) -> None:
        module = types.ModuleType("invoice_extractor.pipeline")
        module.extract_file = extract_file  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "invoice_extractor.pipeline", module)
        monkeypatch.setattr(invoice_extractor, "pipeline", module, raising=False)

    return install
