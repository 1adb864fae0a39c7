"""Tesseract in this process (``tesslib``, libtesseract through ctypes) against its command: the
same words on a page made here, a deadline that ends a reading with ``OcrFailed``, one API per
thread and set of languages, and the command run where the library cannot be loaded. Skipped,
saying so, where tesseract (its command, its library, its English pack) is not installed."""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from conftest import MakePdf
from invoice_extractor.ingest.ocr import tesseract, tesslib
from invoice_extractor.ingest.ocr.base import OcrFailed
from invoice_extractor.ingest.ocr.tesseract import TesseractEngine, installed_languages
from test_ocr import invoice_scan

needs_tesseract = pytest.mark.skipif(
    "eng" not in installed_languages(),
    reason="needs tesseract with its English pack (apt-get install tesseract-ocr): docs/ocr.md",
)
needs_library = pytest.mark.skipif(
    "eng" not in installed_languages() or tesslib.load() is None,
    reason="needs tesseract's library (libtesseract5, which tesseract-ocr installs)",
)


@pytest.fixture
def scan(make_pdf: MakePdf) -> Image.Image:
    return invoice_scan(make_pdf)


@pytest.fixture
def commands(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[str]]]:
    """The commands run through ``subprocess.run`` in the tesseract module."""
    run = subprocess.run
    seen: list[list[str]] = []

    def recording(command: list[str], **kwargs: Any) -> Any:
        seen.append(list(command))
        return run(command, **kwargs)

    monkeypatch.setattr(tesseract.subprocess, "run", recording)
    yield seen


@needs_library
def test_the_library_reads_the_words_the_command_reads(
    scan: Image.Image, commands: list[list[str]]
) -> None:
    engine = TesseractEngine(["eng"])
    command = engine._run(scan, ("eng",), 300)
    assert commands and commands[-1][0] == "tesseract"
    del commands[:]
    for _ in range(2):  # the second time on the API kept from the first
        library = engine.recognize(scan)
        assert library == command
    assert not commands  # read in this process
    texts = {w.text for w in library}
    for expected in ("ACME", "INV-2024-0815", "15/03/2024", "120.00"):
        assert any(expected in text for text in texts)
    # Enlarged and turned, as pages are read again: still the command's words.
    other = scan.resize((scan.width * 3 // 2, scan.height * 3 // 2)).rotate(180)
    assert engine.recognize(other) == engine._run(other, ("eng",), 300)


@needs_library
def test_grey_rgb_and_bilevel_images_read_as_the_command_reads_them(scan: Image.Image) -> None:
    engine = TesseractEngine(["eng"])
    crop = scan.crop((0, 0, scan.width, scan.height // 2))
    for image in (crop.convert("RGB"), crop.point(lambda v: 255 if v > 128 else 0, mode="1")):
        words = engine.recognize(image)
        assert words and words == engine._run(image, ("eng",), 300)


@needs_library
def test_a_reading_past_its_deadline_fails(
    scan: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tesseract, "TIMEOUT_SECONDS", 0.001)
    with pytest.raises(OcrFailed, match=r"took more than 0\.001 s"):
        TesseractEngine(["eng"]).recognize(scan)
    # Tesseract's own deadline stops the recognition: with a clock that says no time passed,
    # the reading still fails (its recognition was ended), it does not run to its end.
    monkeypatch.setattr(tesslib, "monotonic", lambda: 0.0)
    with pytest.raises(OcrFailed, match="failed on a page"):
        TesseractEngine(["eng"]).recognize(scan)
    monkeypatch.undo()
    assert TesseractEngine(["eng"]).recognize(scan)  # the API kept still reads


@needs_tesseract
def test_the_command_is_run_where_the_library_cannot_be_loaded(
    scan: Image.Image, commands: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tesslib.ctypes.util, "find_library", lambda name: None)
    monkeypatch.setattr(tesslib, "SONAME", "libtesseract-not-installed.so.99")
    tesslib.load.cache_clear()
    try:
        assert tesslib.load() is None
        words = TesseractEngine(["eng"]).recognize(scan)
    finally:
        tesslib.load.cache_clear()
    assert [c[:3] for c in commands] == [["tesseract", "stdin", "stdout"]]
    assert any("INV-2024-0815" in w.text for w in words)


@needs_tesseract
def test_a_tesseract_of_its_own_path_is_run_as_a_command(
    scan: Image.Image, commands: list[list[str]]
) -> None:
    binary = shutil.which("tesseract")
    assert binary is not None
    words = TesseractEngine(["eng"], binary=binary).recognize(scan)
    assert [c[0] for c in commands if "stdin" in c] == [binary] and words


@needs_library
def test_threads_reading_at_once_read_what_one_reads_alone(scan: Image.Image) -> None:
    engine = TesseractEngine(["eng"])
    crop = scan.crop((0, 0, scan.width, scan.height // 3))
    alone = engine.recognize(crop)
    read: list[object] = []
    threads = [threading.Thread(target=lambda: read.append(engine.recognize(crop))) for _ in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert alone and read == [alone, alone]


@needs_library
def test_each_thread_keeps_its_own_apis_and_only_a_few() -> None:
    lib = tesslib.load()
    assert lib is not None
    mine = tesslib._api(lib, "eng")
    assert tesslib._api(lib, "eng") is mine
    theirs: list[tesslib._Api] = []
    thread = threading.Thread(target=lambda: theirs.append(tesslib._api(lib, "eng")))
    thread.start()
    thread.join()
    assert theirs[0] is not mine
    packs = [lang for lang in installed_languages() if lang != "eng"]
    if len(packs) < tesslib.CACHED_LANGUAGE_SETS:
        pytest.skip("needs tesseract's packs of three more languages (.ci/run installs them)")
    kept = [tesslib._api(lib, lang) for lang in packs[: tesslib.CACHED_LANGUAGE_SETS]]
    assert mine.handle is None  # the least recently used one was ended
    assert all(api.handle for api in kept)
    tesslib.drop_cached()
    assert not any(api.handle for api in kept)


LOAD_PROBE = """
import ctypes, ctypes.util, os, sys
if sys.argv[1] == "openmp-first":  # OpenMP loaded before, without a thread limit
    os.environ.pop("OMP_THREAD_LIMIT", None)
    ctypes.CDLL(ctypes.util.find_library("gomp") or "libgomp.so.1")
from invoice_extractor.ingest.ocr import tesslib
print(tesslib.load() is not None, tesslib._omp_thread_limit(), os.environ.get("OMP_THREAD_LIMIT"))
"""


def _probe(case: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "OMP_THREAD_LIMIT"}
    done = subprocess.run(
        [sys.executable, "-c", LOAD_PROBE, case],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    return done.stdout.split()


@needs_tesseract
@pytest.mark.skipif(
    ctypes.util.find_library("tesseract") is None, reason="libtesseract is not installed"
)
def test_the_library_loads_where_installed_with_openmp_on_one_thread() -> None:
    # In a fresh process (this one may have loaded OpenMP for another test): libgomp, which
    # libtesseract loads, read OMP_THREAD_LIMIT=1, and the variable is not left set.
    assert _probe("plain") == ["True", "1", "None"]
    # OpenMP loaded before with no limit: tesseract's loops would start threads, so the command
    # is run instead.
    loaded, limit, _ = _probe("openmp-first")
    assert loaded == "False" and limit != "1"


def test_raw_pixels_are_what_the_c_api_takes() -> None:
    grey = Image.new("L", (5, 2), 200)
    assert tesslib._raw(grey) == (bytes([200] * 10), 1, 5)
    assert tesslib._raw(grey.convert("RGB"))[1:] == (3, 15)
    bilevel = Image.new("1", (10, 1), 1)
    assert tesslib._raw(bilevel) == (b"\xff\xc0", 0, 2)
    clear = Image.new("RGBA", (2, 1), (0, 0, 0, 0))
    assert tesslib._raw(clear) == (bytes([255] * 6), 3, 6)  # transparent: white, not black
