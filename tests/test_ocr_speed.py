"""What keeps OCR within its time and memory budget (docs/ocr.md, "Speed and memory"): the text
detector run on strips of the page, a light estimate's maximum filter computed along rows then
columns, a page in another language read with its pack alone (after a first look at a sample of
its lines), and the recogniser's character boxes computed with arrays. Timings are never asserted
here: ``benchmarks/ocr_engines.py`` prints them."""

from __future__ import annotations

import importlib
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from conftest import InvoicePdf
from invoice_extractor.ingest.ocr import (
    char_boxes,
    cleanup,
    onnx_sessions,
    photo,
    rapid,
    tesseract,
)
from invoice_extractor.ingest.ocr.auto import PageKindRouter
from invoice_extractor.ingest.ocr.base import OcrWord
from invoice_extractor.ingest.ocr.tesseract import TesseractEngine
from invoice_extractor.ingest.pdf import render_image

needs_rapidocr = pytest.mark.skipif(
    not rapid.RapidOcrEngine().available(),
    reason="rapidocr-onnxruntime (or the OpenCV libraries it needs) is not installed",
)


def test_max_filter_gives_pillows_pixels() -> None:
    rng = np.random.default_rng(7)
    for shape, size in (((45, 60), 15), ((37, 23), 5), ((60, 31), 31)):
        image = Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode="L")
        expected = np.asarray(image.filter(ImageFilter.MaxFilter(size)))
        assert (np.asarray(photo.max_filter(image, size)) == expected).all()


def test_the_text_map_is_computed_in_overlapping_strips() -> None:
    rng = np.random.default_rng(3)
    width = 320
    plane = rng.random((2048, width), dtype=np.float32)
    seen: list[tuple[int, int]] = []

    def local(part: np.ndarray) -> list[np.ndarray]:
        """A stand-in detector: each pixel's score from its column's pixels two rows around it
        (the map of a strip equals the whole page's wherever the strip covers both)."""
        # The detector's input: the plane in each of its three channels.
        assert part.shape[:2] == (1, 3) and (part == part[:, :1]).all()
        seen.append((part.shape[2], part.shape[3]))
        padded = np.pad(part[:, :1], ((0, 0), (0, 0), (2, 2), (0, 0)), mode="edge")
        return [padded[:, :, :-4] + padded[:, :, 4:]]

    whole = local(np.repeat(plane[None, None], 3, axis=1))[0]
    seen.clear()
    stripped = rapid.text_map(local, plane)
    assert np.array_equal(stripped, whole)
    assert len(seen) > 1
    rows = rapid.DET_STRIP_PIXELS // width // 32 * 32
    assert all(height <= rows + 2 * rapid.DET_OVERLAP for height, _ in seen)
    # A page within one strip is seen whole, once.
    short = plane[:rows]
    expected = local(np.repeat(short[None, None], 3, axis=1))[0]
    seen.clear()
    assert np.array_equal(rapid.text_map(local, short), expected)
    assert seen == [(rows, width)]


@needs_rapidocr
def test_rapidocr_reads_a_page_seen_by_its_detector_in_strips(
    invoice_pdf: InvoicePdf, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = render_image(invoice_pdf(), "invoice.pdf", 1, 400, grayscale=True)
    engine = rapid.RapidOcrEngine()
    detector = engine._load().text_det
    seen: list[tuple[int, ...]] = []
    infer = detector.infer

    def recording(tensor: np.ndarray) -> object:
        seen.append(tensor.shape)
        return infer(tensor)

    monkeypatch.setattr(detector, "infer", recording)
    words = [w.text for w in engine.recognize(page)]
    # A4 at 400 dpi: the detector sees it at 2000 pixels high, in strips a fraction of that.
    assert len(seen) > 2 and max(shape[2] for shape in seen) < 0.5 * rapid.DET_MAX_SIDE
    for expected in ("Acme", "Trading", "INV-2024-0042", "2024-03-05", "100.00", "119.00"):
        assert expected in words


def test_a_page_in_another_language_is_read_again_with_its_pack_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[tuple[str, ...]] = []
    german = "Rechnung Rechnungsdatum Gesamtbetrag Umsatzsteuer und der die für"

    def read(
        self: TesseractEngine, image: Image.Image, languages: tuple[str, ...]
    ) -> list[OcrWord]:
        asked.append(tuple(languages))
        return [OcrWord(word, 0, 0, 10, 10, 0.9) for word in german.split()]

    monkeypatch.setattr(TesseractEngine, "_read", read)
    monkeypatch.setattr(tesseract, "installed_languages", lambda binary="": ("deu", "eng"))
    TesseractEngine().recognize(Image.new("L", (100, 100), 255))
    assert asked == [("eng",), ("deu",)]


@needs_rapidocr
def test_rapidocrs_models_run_with_the_memory_arena() -> None:
    engine = rapid.RapidOcrEngine()._load()
    for model in (engine.text_det.infer, engine.text_rec.session):
        options = model.session.get_session_options()
        assert options.enable_cpu_mem_arena and options.intra_op_num_threads == 1
        # A block planned per input shape: the recogniser's lines each have their own.
        assert not options.enable_mem_pattern


@needs_rapidocr
def test_only_the_sessions_that_run_stay_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    """rapidocr's own sessions (its line classifier too, never run here) and the models as
    shipped, once checked against their rewrite, are released: two sessions stay."""
    import gc
    import weakref

    import onnxruntime

    created: list[weakref.ref[object]] = []

    class Recorded(onnxruntime.InferenceSession):  # type: ignore[misc]
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            created.append(weakref.ref(self))

    monkeypatch.setattr(onnxruntime, "InferenceSession", Recorded)
    monkeypatch.setattr(
        importlib.import_module("rapidocr_onnxruntime.utils.infer_engine"),
        "InferenceSession",
        Recorded,
    )
    engine = rapid.RapidOcrEngine()._load()
    gc.collect()
    alive = [ref() for ref in created if ref() is not None]
    assert len(created) >= 5  # rapidocr's three, then the detector's and the recogniser's
    running = [model.session for model in (engine.text_det.infer, engine.text_rec.session)]
    assert sorted(map(id, alive)) == sorted(map(id, running))


@needs_rapidocr
def test_rapidocr_reads_the_same_after_giving_back_its_arenas(
    invoice_pdf: InvoicePdf, monkeypatch: pytest.MonkeyPatch
) -> None:
    shrunk: list[object] = []
    shrink = onnx_sessions.shrink

    def recording(session: object) -> None:
        shrunk.append(session)
        shrink(session)

    monkeypatch.setattr(onnx_sessions, "shrink", recording)
    engine = rapid.RapidOcrEngine()
    engine.release_memory()  # nothing loaded: nothing to give back, nothing loaded for it
    assert engine._engine is None and not shrunk
    page = render_image(invoice_pdf(), "invoice.pdf", 1, 150, grayscale=True)
    first = engine.recognize(page)
    engine.release_memory()
    models = engine._engine.text_det.infer, engine._engine.text_rec.session
    assert shrunk == [model.session for model in models]
    engine.release_memory()  # no page read since: the arenas are not run again
    assert len(shrunk) == 2
    again = engine.recognize(page)
    assert [(w.text, w.x0, w.y0, w.x1, w.y1, w.confidence) for w in again] == [
        (w.text, w.x0, w.y0, w.x1, w.y1, w.confidence) for w in first
    ]
    assert "INV-2024-0042" in [w.text for w in again]


class _Releasing:
    def __init__(self, name: str) -> None:
        self.name, self.min_text_height, self.released = name, 0.0, 0

    def available(self) -> bool:
        return True

    def recognize(self, image: Image.Image) -> list[OcrWord]:
        return []

    def release_memory(self) -> None:
        self.released += 1


def test_auto_asks_the_engine_it_does_not_use_to_give_back_its_memory() -> None:
    slips, pages = _Releasing("rapidocr"), _Releasing("tesseract")
    router = PageKindRouter(slips=slips, pages=pages)
    assert router.engine_for(False) is pages
    assert (slips.released, pages.released) == (1, 0)
    assert router.engine_for(True) is slips
    assert (slips.released, pages.released) == (1, 1)
    # An engine without the method is left alone.
    plain = PageKindRouter(slips=slips, pages=TesseractEngine())
    assert plain.engine_for(True) is slips and plain.engine_for(False) is plain.pages


def _ruled(lines: list[int | str], height: int = 12, gap: int = 10) -> Image.Image:
    """A page of text lines: ``n`` marks 6 pixels wide and apart, or a solid bar as long as
    ``"-" * n`` (a bold heading's ink in one piece)."""
    page = Image.new("L", (400, gap + len(lines) * (height + gap)), 255)
    for k, line in enumerate(lines):
        top = gap + k * (height + gap)
        if isinstance(line, str):
            page.paste(0, (10, top, 10 + len(line), top + height))
        for mark in range(line if isinstance(line, int) else 0):
            page.paste(0, (10 + 12 * mark, top, 16 + 12 * mark, top + height))
    return page


def _sampled_marks(sample: Image.Image) -> list[int]:
    """The marks of each text line of a sample, top to bottom."""
    rows = np.asarray(sample) < 128
    lines = [row for row in rows if row.any()]
    marks = [int(np.count_nonzero(np.diff(row.astype(np.int8)) == 1)) for row in lines]
    return sorted(set(marks), key=marks.index)


def test_line_samples_hold_the_lines_with_most_marks_in_page_order() -> None:
    page = _ruled([3, 20, "-" * 380, 5, 25, 4, 6, 2])
    samples = cleanup.line_samples(page, 40, 2)
    assert all(sample.width == page.width for sample in samples)
    # The lines with most marks until 40 of them, the 20 before the 25 as on the page (not the
    # solid bar, which holds the most ink); then the next ones, up to half the lines.
    assert [_sampled_marks(sample) for sample in samples] == [[20, 25], [5, 6]]
    assert [_sampled_marks(sample) for sample in cleanup.line_samples(page, 40, 1)] == [[20, 25]]
    assert cleanup.line_samples(_ruled([10, 20, 30]), 40, 2) == []  # too few lines
    assert cleanup.line_samples(Image.new("L", (50, 50), 255), 40, 2) == []  # no ink


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        # Nothing shown by the first sample: a second one, then the page in English.
        ("12,50 19 % 100,00", [("sample", ("eng",)), ("sample", ("eng",)), ("page", ("eng",))]),
        # English shown already: no second sample.
        ("Invoice total amount due for the payment", [("sample", ("eng",)), ("page", ("eng",))]),
    ],
)
def test_a_second_sample_is_read_only_while_the_first_shows_no_language(
    monkeypatch: pytest.MonkeyPatch, first: str, expected: list[tuple[str, tuple[str, ...]]]
) -> None:
    page = _ruled([25] * 30)
    asked: list[tuple[str, tuple[str, ...]]] = []

    def read(
        self: TesseractEngine, image: Image.Image, languages: tuple[str, ...]
    ) -> list[OcrWord]:
        asked.append(("page" if image.size == page.size else "sample", tuple(languages)))
        return [OcrWord(word, 0, 0, 10, 10, 0.9) for word in first.split()]

    monkeypatch.setattr(TesseractEngine, "_read", read)
    monkeypatch.setattr(tesseract, "installed_languages", lambda binary="": ("deu", "eng"))
    monkeypatch.setattr(tesseract, "SAMPLE_MARKS", 100)
    TesseractEngine().recognize(page)
    assert asked == expected


def test_a_page_whose_sample_shows_its_language_is_read_once_with_its_pack(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = _ruled([25] * 12)
    asked: list[tuple[tuple[int, int], tuple[str, ...]]] = []
    german = "Rechnung Rechnungsdatum Gesamtbetrag Umsatzsteuer und der die für"

    def read(
        self: TesseractEngine, image: Image.Image, languages: tuple[str, ...]
    ) -> list[OcrWord]:
        asked.append((image.size, tuple(languages)))
        return [OcrWord(word, 0, 0, 10, 10, 0.9) for word in german.split()]

    monkeypatch.setattr(TesseractEngine, "_read", read)
    monkeypatch.setattr(tesseract, "installed_languages", lambda binary="": ("deu", "eng"))
    TesseractEngine().recognize(page)
    (sample, first), (whole, second) = asked
    assert first == ("eng",) and sample[1] < page.height / 2
    assert second == ("deu",) and whole == page.size


@needs_rapidocr
def test_character_boxes_are_rapidocrs() -> None:
    from rapidocr_onnxruntime.cal_rec_boxes import CalRecBoxes

    rng = np.random.default_rng(5)
    text = "TOTAL 12.50 RM"
    for tilt in (0.0, 0.03, -0.05):
        width, height = 420, 40
        corners = np.array([[30, 50], [30 + width, 50], [30 + width, 50 + height], [30, 90]])
        corners = corners + np.array([[0, 0], [0, tilt * width], [0, tilt * width], [0, 0]])
        columns = np.sort(rng.choice(np.arange(2, 100), len(text), replace=False))
        words = [list(text[:5]), list(text[5:])]
        word_columns = [[int(c) for c in columns[:5]], [int(c) for c in columns[5:]]]
        confidences = [float(c) for c in rng.random(len(text))]
        info = [105, words, word_columns, ["en&num", "en&num"], confidences]
        crop = np.zeros((height, width, 3), dtype=np.uint8)
        read = [(text, 0.9, info)]
        box = corners.astype(np.float32)
        theirs = CalRecBoxes()([crop], [box], read)
        ours = char_boxes.line_boxes(CalRecBoxes(), [crop], [box], read)
        assert ours[0][0:2] == theirs[0][0:2] and ours[0][3:] == theirs[0][3:]
        assert [sorted(map(tuple, b)) for b in ours[0][2]] == [
            sorted(map(tuple, b)) for b in theirs[0][2]
        ]


_FREED_ARRAY_PROBE = """
import sys
from pathlib import Path

import numpy as np

from invoice_extractor.ingest.ocr import heap, page


def resident_mb() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 >> 20


if sys.argv[1] == "fixed":
    heap.freed_blocks_returned()
for _ in range(2):
    array = np.ones(16 << 20, dtype=np.uint8)
    held = resident_mb()
    del array
print(held - resident_mb())
"""


def _returned_mb(mode: str) -> int:
    # A fresh interpreter: in this long test process, earlier tests leave freed heap blocks that
    # glibc reuses for the array whatever its threshold, and nothing would be measured.
    done = subprocess.run(
        [sys.executable, "-c", _FREED_ARRAY_PROBE, mode],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return int(done.stdout.strip())


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads Linux's /proc")
@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="measures glibc's heap")
def test_a_freed_page_array_goes_back_to_the_system() -> None:
    """glibc would keep the second page's array in its heap after freeing the first one."""
    assert _returned_mb("fixed") >= 12
    assert _returned_mb("default") < 12  # what the fixed threshold prevents


def test_a_page_read_in_the_samples_language_but_showing_english_is_read_in_english(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The sample is the page's longest lines: here a German company's footer on an English bill.
    page = _ruled([25] * 12)
    footer = "Muster GmbH Amtsgericht Bankverbindung Seite DE Straße Rechnung"
    body = "Invoice number date total amount due for the payment of the services"
    asked: list[tuple[str, tuple[str, ...]]] = []

    def read(
        self: TesseractEngine, image: Image.Image, languages: tuple[str, ...]
    ) -> list[OcrWord]:
        whole = image.size == page.size
        asked.append(("page" if whole else "sample", tuple(languages)))
        return [OcrWord(word, 0, 0, 10, 10, 0.9) for word in (body if whole else footer).split()]

    monkeypatch.setattr(TesseractEngine, "_read", read)
    monkeypatch.setattr(tesseract, "installed_languages", lambda binary="": ("deu", "eng"))
    TesseractEngine().recognize(page)
    assert asked == [("sample", ("eng",)), ("page", ("deu",)), ("page", ("eng",))]


def test_a_failed_release_of_rapidocrs_arenas_is_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Giving memory back is a saving: the tesseract page that asked for it must not fail.
    from types import SimpleNamespace

    from invoice_extractor.ingest.ocr import onnx_sessions
    from invoice_extractor.ingest.ocr.rapid import RapidOcrEngine

    def refuse(session: object) -> None:
        raise RuntimeError("Did not find an arena based allocator")

    session = SimpleNamespace(session=object())
    engine = RapidOcrEngine()
    engine._engine = SimpleNamespace(text_det=SimpleNamespace(infer=session), text_rec=session)
    engine._used = True
    monkeypatch.setattr(onnx_sessions, "shrink", refuse)
    engine.release_memory()
    assert "arenas not given back" in caplog.text and not engine._used
