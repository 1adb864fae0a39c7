"""Ingest: PDF bytes to pages of words with boxes, page images, and every bad input as one failed
invoice (through ``pipeline.extract_file`` / ``extract_bytes``, which must never raise)."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pikepdf
import pytest
from fpdf import FPDF
from PIL import Image

from invoice_extractor import pipeline
from invoice_extractor.cli import main
from invoice_extractor.errors import EmptyFile
from invoice_extractor.ingest.document import DocumentKind
from invoice_extractor.ingest.loader import display_name, load_bytes
from invoice_extractor.ingest.pdf import render_page
from invoice_extractor.model import Invoice
from invoice_extractor.settings import Settings

if TYPE_CHECKING:
    from conftest import MakePdf, PageSpec, TextItem

A4 = (595.28, 841.89)
LIMITS = {"max_pages": 500, "max_bytes": 50 * 1024 * 1024}
INVOICE_PAGE: PageSpec = [
    (50, 60, "Acme Trading Ltd", 16),
    (50, 120, "Bill to:", 10),
    (50, 136, "Kunde AG", 10),
    (330, 120, "Invoice No:", 10),
    (450, 120, "INV-2024-0042", 10),
    (330, 136, "Date:", 10),
    (450, 136, "2024-03-05", 10),
    (330, 300, "Total", 10),
    (460, 300, "EUR 1,234.56", 10),
]


def _bytes(make_pdf: MakePdf, pages: list[PageSpec], name: str = "doc.pdf") -> bytes:
    return make_pdf(pages, name).read_bytes()


# --- good PDFs --------------------------------------------------------------------------------


def test_words_have_boxes_on_the_page_with_a_top_left_origin(make_pdf: MakePdf) -> None:
    # The right column is written first: reading order comes from geometry, not the stream.
    page: PageSpec = [
        (50, 60, "Top Title", 16),
        (300, 200, "Right words", 10),
        (50, 200, "Left words", 10),
        (50, 800, "Bottom line", 10),
    ]
    data = _bytes(make_pdf, [page, ["Second page"]])
    document = load_bytes(data, "doc.pdf", **LIMITS)

    assert (document.name, document.kind, document.page_count) == ("doc.pdf", DocumentKind.PDF, 2)
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    first, second = document.pages
    assert (first.number, round(first.width, 2), round(first.height, 2)) == (1, *A4)
    assert [line.text for line in first.lines] == [
        "Top Title",
        "Left words Right words",
        "Bottom line",
    ]
    assert first.text == "Top Title\nLeft words Right words\nBottom line"
    assert [w.text for w in second.words] == ["Second", "page"] and second.number == 2
    for page_ in document.pages:
        for word in page_.words:
            assert word.page == page_.number
            assert 0 <= word.x0 < word.x1 <= page_.width, word
            assert 0 <= word.y0 < word.y1 <= page_.height, word

    top = {w.text: w for w in first.words}
    # Printed on the baseline y=60 (16 pt) and y=800 from the top: small y0 means near the top.
    assert 60 - 16 < top["Top"].y0 < 60 < top["Top"].y1 < 60 + 16 * 0.3
    assert 800 - 10 < top["Bottom"].y0 < 800 < top["Bottom"].y1
    assert abs(top["Top"].x0 - 50) < 1 and abs(top["Right"].x0 - 300) < 1
    assert top["Top"].x1 < top["Title"].x0  # left to right within a line
    assert top["Left"].y0 == top["Right"].y0  # one row shares its top


def test_the_file_is_hashed_only_when_its_digest_is_asked(
    make_pdf: MakePdf, monkeypatch: pytest.MonkeyPatch
) -> None:
    from invoice_extractor.ingest import document as document_module

    hashed: list[int] = []

    def counting_sha256(data: bytes) -> hashlib._Hash:
        hashed.append(len(data))
        return hashlib.sha256(data)

    monkeypatch.setattr(document_module.hashlib, "sha256", counting_sha256)
    data = _bytes(make_pdf, [INVOICE_PAGE])
    document = load_bytes(data, "doc.pdf", **LIMITS)
    assert hashed == []  # a batch's extraction never reads the digest
    monkeypatch.undo()
    assert document.sha256 == hashlib.sha256(data).hexdigest()


def test_lines_follow_rows_top_to_bottom_each_left_to_right(make_pdf: MakePdf) -> None:
    page: list[TextItem] = [(400, 100, "c", 10), (50, 300, "e", 10), (200, 100, "b", 10)]
    page += [(50, 100, "a", 10), (300, 300, "f", 10), (50, 200, "d", 10)]
    document = load_bytes(_bytes(make_pdf, [page]), "order.pdf", **LIMITS)
    assert [line.text for line in document.pages[0].lines] == ["a b c", "d", "e f"]


def test_the_untyped_char_box_call_gives_the_bindings_boxes(make_pdf: MakePdf) -> None:
    # The word reader calls PDFium without ctypes' conversion: same boxes, char by char.
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    from invoice_extractor.ingest.pdf import _LOOSE_CHAR_BOX

    pdf = pdfium.PdfDocument(_bytes(make_pdf, [INVOICE_PAGE]))
    textpage = pdf[0].get_textpage()
    rect = pdfium_c.FS_RECTF()
    handle = ctypes.cast(textpage.raw, ctypes.c_void_p)
    count = textpage.count_chars()
    assert count > 50
    for index in range(count):
        assert _LOOSE_CHAR_BOX(handle, index, ctypes.byref(rect))
        left, bottom, right, top = textpage.get_charbox(index, loose=True)
        assert (rect.left, rect.bottom, rect.right, rect.top) == pytest.approx(
            (left, bottom, right, top), abs=1e-4
        ), index
    assert not _LOOSE_CHAR_BOX(handle, count + 5, ctypes.byref(rect))  # out of range: false
    textpage.close()
    pdf.close()


def test_the_char_box_call_keeps_the_gil() -> None:
    # One call per character: releasing the GIL around each costs more than PDFium's own work.
    import ctypes

    from invoice_extractor.ingest.pdf import _LOOSE_CHAR_BOX

    flags = int(_LOOSE_CHAR_BOX._flags_)  # type: ignore[attr-defined]
    assert flags & ctypes._FUNCFLAG_PYTHONAPI  # type: ignore[attr-defined]


def _sized_pdf(width: float, height: float) -> bytes:
    pdf = FPDF(unit="pt", format=(width, height))
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.text(20, 30, "Rendered")
    return bytes(pdf.output())


@pytest.mark.parametrize(("dpi", "size"), [(72, (360, 144)), (150, (750, 300)), (200, (1000, 400))])
def test_render_page_gives_a_png_of_the_page_at_the_dpi(dpi: int, size: tuple[int, int]) -> None:
    png = render_page(_sized_pdf(360, 144), "r.pdf", 1, dpi)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(png)) as image:
        assert (image.format, image.size) == ("PNG", size)


def test_render_page_outside_the_document_is_an_input_error() -> None:
    with pytest.raises(EmptyFile, match=r"^r\.pdf: no page 2$"):
        render_page(_sized_pdf(360, 144), "r.pdf", 2)


# --- bad inputs: one failed invoice each, with the file and the problem named -----------------

Builder = Callable[["MakePdf"], bytes]


def _encrypted(make_pdf: MakePdf) -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(_bytes(make_pdf, [INVOICE_PAGE]))) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(user="x", owner="y"))
    return out.getvalue()


def _no_pages(make_pdf: MakePdf) -> bytes:
    out = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.save(out)
    return out.getvalue()


def _png(make_pdf: MakePdf) -> bytes:
    return render_page(_bytes(make_pdf, [INVOICE_PAGE]), "p.pdf", 1, 36)


def _half(make_pdf: MakePdf) -> bytes:
    data = _bytes(make_pdf, [INVOICE_PAGE])
    return data[: len(data) // 2]


# (case, bytes, settings, the problem as the error states it after "NAME: ")
BAD_INPUTS: list[tuple[str, Builder, Settings, str]] = [
    ("empty", lambda m: b"", Settings(), "the file is empty"),
    ("truncated", _half, Settings(), "the PDF is damaged and cannot be read"),
    (
        "garbage-after-header",
        lambda m: b"%PDF-1.7\n" + bytes(range(256)) * 8,
        Settings(),
        "the PDF is damaged and cannot be read",
    ),
    ("encrypted", _encrypted, Settings(), "the PDF is encrypted with a password"),
    ("text", lambda m: b"Invoice 42\nTotal 10.00 EUR\n", Settings(), "not a PDF"),
    ("truncated-png", lambda m: _png(m)[:100], Settings(), "the image is damaged"),
    (
        "too-large",
        lambda m: b"%PDF-1.7\n" + b"0" * (2 * 1024 * 1024),
        Settings(max_file_mb=1),
        "2.0 MB, more than the limit of 1 MB",
    ),
    (
        "too-many-pages",
        lambda m: _bytes(m, [INVOICE_PAGE, ["Page 2"], ["Page 3"]]),
        Settings(max_pages=2),
        "3 pages, more than the limit of 2",
    ),
]


BAD_IDS = [case for case, *_ in BAD_INPUTS]


def assert_failed(invoices: list[Invoice], name: str, problem: str) -> None:
    assert len(invoices) == 1
    invoice = invoices[0]
    assert (invoice.file, invoice.status, invoice.pages, invoice.extractor) == (
        name,
        "failed",
        [],
        "embedded",
    )
    assert invoice.error is not None and invoice.error.startswith(f"{name}: {problem}")
    assert invoice.invoice_number is None and invoice.total is None and invoice.evidence == {}
    assert json.loads(json.dumps(invoice.to_json_dict()))["status"] == "failed"


def _tree(root: Path) -> list[tuple[str, int]]:
    return sorted((str(p.relative_to(root)), p.stat().st_size) for p in root.rglob("*"))


@pytest.mark.parametrize(("case", "build", "settings", "problem"), BAD_INPUTS, ids=BAD_IDS)
def test_bad_file_is_one_failed_invoice(
    make_pdf: MakePdf, tmp_path: Path, case: str, build: Builder, settings: Settings, problem: str
) -> None:
    path = tmp_path / f"{case}.pdf"
    path.write_bytes(build(make_pdf))
    before = _tree(tmp_path)
    assert_failed(pipeline.extract_file(path, settings=settings), path.name, problem)
    assert _tree(tmp_path) == before


@pytest.mark.parametrize(("case", "build", "settings", "problem"), BAD_INPUTS, ids=BAD_IDS)
def test_bad_bytes_are_one_failed_invoice(
    make_pdf: MakePdf, case: str, build: Builder, settings: Settings, problem: str
) -> None:
    data = build(make_pdf)
    assert_failed(
        pipeline.extract_bytes(data, f"{case}.pdf", settings=settings), f"{case}.pdf", problem
    )


def test_encryption_without_a_user_password_still_reads(make_pdf: MakePdf) -> None:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(_bytes(make_pdf, [INVOICE_PAGE]))) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(user="", owner="y"))
    [invoice] = pipeline.extract_bytes(out.getvalue(), "owner-only.pdf")
    assert (invoice.status, invoice.invoice_number) == ("ok", "INV-2024-0042")


@pytest.mark.parametrize(
    ("where", "problem"),
    [("missing.pdf", "cannot be read (No such file or directory)"), ("", "cannot be read (")],
)
def test_unreadable_path_is_one_failed_invoice(tmp_path: Path, where: str, problem: str) -> None:
    path = tmp_path / "dir" / where
    (tmp_path / "dir").mkdir()
    assert_failed(pipeline.extract_file(path), path.name, problem)


def _sparse(path: Path, size: int) -> Path:
    with path.open("wb") as handle:  # the size on paper, nothing on disk
        handle.truncate(size)
    return path


def test_the_size_limit_is_checked_before_reading(tmp_path: Path) -> None:
    path = _sparse(tmp_path / "sparse.pdf", 3 * 1024**3)  # reading 3 GB would hurt
    assert_failed(pipeline.extract_file(path), "sparse.pdf", "3072.0 MB, more than the limit of ")


def test_the_size_error_names_the_configured_limit(tmp_path: Path) -> None:
    path = _sparse(tmp_path / "big.pdf", 60 * 1024 * 1024)
    [invoice] = pipeline.extract_file(path, settings=Settings(max_file_mb=50))
    assert invoice.error is not None and invoice.error.endswith("more than the limit of 50 MB")


def test_a_pdf_without_pages_is_one_failed_invoice(make_pdf: MakePdf) -> None:
    assert_failed(pipeline.extract_bytes(_no_pages(make_pdf), "none.pdf"), "none.pdf", "the PDF ")


def test_a_pdf_without_pages_says_so_even_after_an_encrypted_one(make_pdf: MakePdf) -> None:
    pipeline.extract_bytes(_encrypted(make_pdf), "locked.pdf")
    [invoice] = pipeline.extract_bytes(_no_pages(make_pdf), "none.pdf")
    assert invoice.error == "none.pdf: the PDF has no pages"


# --- hostile file names: the output names the base name only, and nothing is written -----------

HOSTILE_NAMES = ["line\nbreak.pdf", "Rechnung März €✓.pdf", "x" * 240 + ".pdf", "-rf .pdf"]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=["newline", "unicode", "long", "dash"])
def test_hostile_file_names(
    make_pdf: MakePdf, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.chdir(tmp_path)
    data = _bytes(make_pdf, [INVOICE_PAGE])
    (tmp_path / "in").mkdir()
    good, bad = tmp_path / "in" / name, tmp_path / "in" / f"bad{name}"
    good.write_bytes(data)
    bad.write_bytes(b"not a pdf")
    before = _tree(tmp_path)

    shown = display_name(name)  # control characters never reach logs or exports
    assert "\n" not in shown and shown.endswith(".pdf")
    [invoice] = pipeline.extract_file(good)
    assert (invoice.file, invoice.status, invoice.invoice_number) == (shown, "ok", "INV-2024-0042")
    assert_failed(pipeline.extract_file(bad), display_name(f"bad{name}"), "not a PDF")
    [from_bytes] = pipeline.extract_bytes(data, name)
    assert (from_bytes.file, from_bytes.invoice_number) == (shown, "INV-2024-0042")
    assert _tree(tmp_path) == before


def test_dot_dot_path_gives_the_base_name(
    make_pdf: MakePdf, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd.pdf").write_bytes(_bytes(make_pdf, [INVOICE_PAGE]))
    monkeypatch.chdir(tmp_path / "a" / "b")
    before = _tree(tmp_path)
    [invoice] = pipeline.extract_file(Path("../../etc/passwd.pdf"))
    assert (invoice.file, invoice.status, invoice.invoice_number) == (
        "passwd.pdf",
        "ok",
        "INV-2024-0042",
    )
    assert_failed(
        pipeline.extract_file(Path("../../etc/shadow.pdf")), "shadow.pdf", "cannot be read"
    )
    assert _tree(tmp_path) == before


@pytest.mark.parametrize("name", ["../../etc/passwd.pdf", "/tmp/x/passwd.pdf"])
def test_extract_bytes_reports_the_base_name_of_a_path_like_name(
    make_pdf: MakePdf, name: str
) -> None:
    data = _bytes(make_pdf, [INVOICE_PAGE])
    assert [inv.file for inv in pipeline.extract_bytes(data, name)] == ["passwd.pdf"]
    assert [inv.file for inv in pipeline.extract_bytes(b"", name)] == ["passwd.pdf"]


# --- a batch through the CLI ------------------------------------------------------------------


def test_cli_batch_keeps_the_good_file(
    make_pdf: MakePdf,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    for key in ("EXTRACTOR", "MAX_FILE_MB", "MAX_PAGES"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("MAX_PAGES", "2")
    files: list[Path] = []
    for case, build, _, _ in BAD_INPUTS:
        if case != "too-large":
            files.append(tmp_path / f"{case}.pdf")
            files[-1].write_bytes(build(make_pdf))
    good = make_pdf([INVOICE_PAGE], "good.pdf", directory=tmp_path)
    files.insert(3, good)
    files.append(tmp_path / "missing.pdf")
    before = _tree(tmp_path)

    code = main(["extract", "--quiet", *map(str, files)])
    out, _ = capsys.readouterr()
    assert code == 0
    data = json.loads(out)
    assert [obj["file"] for obj in data] == [p.name for p in files]
    assert [
        (obj["status"], obj["invoice_number"]) for obj in data if obj["file"] == "good.pdf"
    ] == [("ok", "INV-2024-0042")]
    failed = [obj for obj in data if obj["file"] != "good.pdf"]
    assert all(obj["status"] == "failed" for obj in failed) and len(failed) == len(files) - 1
    assert all(obj["error"].startswith(obj["file"] + ": ") for obj in failed)
    errors = {obj["file"]: obj["error"] for obj in failed}
    assert errors["too-many-pages.pdf"] == "too-many-pages.pdf: 3 pages, more than the limit of 2"
    assert errors["missing.pdf"].startswith("missing.pdf: cannot be read")
    assert _tree(tmp_path) == before
