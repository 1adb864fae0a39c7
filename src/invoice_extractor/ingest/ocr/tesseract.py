"""Tesseract (Debian's ``tesseract-ocr`` and its ``tesseract-ocr-LANG`` packs): in this process
through libtesseract's C API (``tesslib``) where the library loads, else through its command line
(one process per image); TSV out either way, on one thread (``OMP_THREAD_LIMIT=1``).

No Python binding is needed: the TSV output carries words, their line and their confidence.
"""

from __future__ import annotations

import functools
import io
import os
import shutil
import subprocess
from collections.abc import Sequence

from PIL import Image

from . import tesslib
from .base import OcrFailed, OcrWord

PREFERRED_LANGUAGES = ("eng",)
"""Packs used when installed, in this order (the first one installed leads)."""
DETECT_LANGUAGE = True
"""Without languages asked for, a page whose English reading shows another language
(``languages.guess``) is read again with that language's pack, when it is installed."""

SAMPLE_MARKS = 250
"""The language is first guessed from a sample of the page's lines holding about this many
marks (``cleanup.line_samples``: some 40 words) ..."""
SAMPLE_READS = 2
"""... and from a second such sample when the first shows neither another language nor English
clearly. On the 140 rendered pages of the corpus this chose a page's language with 0.21 against
0.41 CPU s of samples and full English readings a page (docs/ocr.md)."""

TIMEOUT_SECONDS = 120


@functools.cache
def installed_languages(binary: str = "tesseract") -> tuple[str, ...]:
    """Language packs ``binary`` can load (``osd`` excluded); () when it is not installed."""
    if shutil.which(binary) is None:
        return ()
    try:
        done = subprocess.run(
            [binary, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ()
    lines = done.stdout.splitlines()[1:]  # the first line says where the packs are
    return tuple(sorted({lang.strip() for lang in lines if lang.strip() not in {"", "osd"}}))


class TesseractEngine:
    """``languages`` defaults to the packs of ``PREFERRED_LANGUAGES`` that are installed; page
    segmentation mode 4 (one column of text of varying sizes) read both receipts and invoices
    better than the automatic mode 3 (docs/ocr.md)."""

    name = "tesseract"
    min_text_height = 20.0  # tesseract reads best with capitals of 20 to 40 pixels

    def __init__(
        self,
        languages: Sequence[str] | None = None,
        *,
        psm: int = 4,
        binary: str = "tesseract",
    ) -> None:
        self._languages = tuple(languages) if languages else None
        self.psm = psm
        self.binary = binary

    @property
    def languages(self) -> tuple[str, ...]:
        installed = installed_languages(self.binary)
        wanted = self._languages or PREFERRED_LANGUAGES
        return tuple(lang for lang in wanted if lang in installed)

    def available(self) -> bool:
        return bool(self.languages)

    def recognize(self, image: Image.Image) -> list[OcrWord]:
        languages = self.languages
        if not languages:
            raise OcrFailed("tesseract is not installed (or has none of its language packs)")
        if self._languages or not DETECT_LANGUAGE:
            return self._read(image, languages)
        from .cleanup import line_samples  # numpy: loaded only when a page is OCR'd
        from .languages import guess, shows_english

        # A first look at samples of the lines: a page that shows its language there is read
        # once, with its pack (docs/ocr.md); else the whole page is read as below.
        seen: list[str] = []
        language = None
        for sample in line_samples(image, SAMPLE_MARKS, SAMPLE_READS):
            seen += (w.text for w in self._read(sample, languages))
            language = guess(seen)
            if language is not None or shows_english(seen):
                break
        if language and language not in languages and language in installed_languages(self.binary):
            words = self._read(image, (language,))
            # A sample is a few long lines, often a footer's (a German company's register and
            # bank lines on an English invoice): the whole reading has the last word.
            if not shows_english(w.text for w in words):
                return words
            return self._read(image, languages)
        words = self._read(image, languages)
        language = guess(w.text for w in words)
        if language is None or language in languages:
            return words
        if language not in installed_languages(self.binary):
            return words
        # Its pack alone: with English beside it every line costs both models (0.95 against
        # 0.74 CPU s a page), and the English words of a German page read as well with "deu"
        # (docs/ocr.md: -5.2 -> -3.3 points on the first 8 e-invoices).
        return self._read(image, (language,))

    def _read(self, image: Image.Image, languages: Sequence[str]) -> list[OcrWord]:
        """One reading of ``image`` with ``languages``: in this process where libtesseract
        loads and this engine runs the system's ``tesseract``, else by the command."""
        dpi = int(image.info.get("dpi", (300, 300))[0]) or 300
        lib = tesslib.load() if self.binary == "tesseract" else None
        if lib is None:
            return self._run(image, languages, dpi)
        tsv = tesslib.read_tsv(
            lib, image, languages, psm=self.psm, dpi=dpi, timeout=TIMEOUT_SECONDS
        )
        return parse_tsv(tsv)

    def _run(self, image: Image.Image, languages: Sequence[str], dpi: int) -> list[OcrWord]:
        """One reading by the ``tesseract`` command."""
        buffer = io.BytesIO()
        # Uncompressed: tesseract decodes it at once, and PNG encoding would cost more than OCR.
        image.save(buffer, format="BMP" if image.mode in {"L", "RGB"} else "PNG")
        command = [
            self.binary,
            "stdin",
            "stdout",
            "-l",
            "+".join(languages),
            "--psm",
            str(self.psm),
            "--dpi",
            str(dpi),
            "-c",
            "tessedit_create_tsv=1",
        ]
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        try:
            done = subprocess.run(
                command,
                input=buffer.getvalue(),
                capture_output=True,
                timeout=TIMEOUT_SECONDS,
                env=env,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise OcrFailed(f"tesseract took more than {TIMEOUT_SECONDS} s on one page") from exc
        except OSError as exc:
            raise OcrFailed(f"tesseract could not be started: {exc.strerror}") from exc
        if done.returncode != 0:
            detail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
            raise OcrFailed(f"tesseract failed on a page: {detail[0]}")
        return parse_tsv(done.stdout.decode("utf-8", "replace"))


def parse_tsv(tsv: str) -> list[OcrWord]:
    """Words of tesseract's TSV, each given the height of its text line: glyph boxes ("a" vs "Ag",
    "." vs "8") would put words of one printed row at different heights. A line box much taller
    than its tallest word (a slanted or merged line) is not used."""
    lines: dict[tuple[str, ...], tuple[int, int]] = {}
    words: list[tuple[tuple[str, ...], str, tuple[int, int, int, int], float]] = []
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12:
            continue
        level, key = cols[0], tuple(cols[1:5])
        left, top, width, height = (int(c) for c in cols[6:10])
        if level == "4":
            lines[key] = (top, top + height)
        elif level == "5":
            text = cols[11].strip()
            conf = float(cols[10])
            if text and conf >= 0:
                words.append((key, text, (left, top, left + width, top + height), conf / 100))
    tallest: dict[tuple[str, ...], int] = {}
    for key, _, (_, y0, _, y1), _ in words:
        tallest[key] = max(tallest.get(key, 1), y1 - y0)
    result = []
    for key, text, (x0, y0, x1, y1), conf in words:
        line_y0, line_y1 = lines.get(key, (y0, y1))
        if line_y1 - line_y0 <= 1.8 * tallest[key]:
            y0, y1 = line_y0, line_y1
        result.append(OcrWord(text, float(x0), float(y0), float(x1), float(y1), conf))
    return result
