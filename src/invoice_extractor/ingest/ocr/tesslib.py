"""Tesseract in this process: libtesseract (Debian's ``libtesseract5``, which ``tesseract-ocr``
installs) through ctypes and its C API, with the command line's settings.

Each run of the ``tesseract`` command pays the process start and the model's loading (about
0.1 s); here one initialised API per thread and set of languages is kept and reused for the next
pages (``CACHED_LANGUAGE_SETS`` a thread; a handle is never shared between threads). ``load``
says whether the library can be used; without it ``tesseract.py`` runs the command.

The words are the command's: the same page segmentation mode, resolution (``user_defined_dpi``,
as ``--dpi`` sets it), variables and languages, the image given as its raw grey or RGB bytes
(what tesseract makes of the BMP the command is sent), and the same TSV (``parse_tsv``).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from time import monotonic
from typing import TYPE_CHECKING

from . import heap
from .base import OcrFailed

if TYPE_CHECKING:  # Pillow is loaded when an image is read or a page rendered, not before
    from PIL import Image

log = logging.getLogger(__name__)

SONAME = "libtesseract.so.5"
"""The library's name where ``ctypes.util.find_library`` finds none (it needs ldconfig or gcc)."""
GOMP_SONAME = "libgomp.so.1"
CACHED_LANGUAGE_SETS = 3
"""Initialised APIs a thread keeps (about 15 MB each for one language): English, a page's other
language and one more; the least recently used one is ended past that."""
TSV_HEADER = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\t"
    "left\ttop\twidth\theight\tconf\ttext\n"
)
"""The first line of the command's TSV (its renderer writes it; the API gives the rows)."""
VARIABLES = {"tessedit_create_tsv": "1"}
"""What the command is given with ``-c``."""
QUIET = {"debug_file": "/dev/null"}
"""Tesseract's messages ("Detected 17 diacritics"), which the command wrote to a pipe that was
read only when it failed, are dropped; so are Leptonica's (``LEPTONICA_SEVERITY_NONE``)."""
LEPTONICA_SEVERITY_NONE = 6

_PROTOTYPES: dict[str, tuple[object, list[object]]] = {
    "TessVersion": (ctypes.c_char_p, []),
    "TessBaseAPICreate": (ctypes.c_void_p, []),
    "TessBaseAPIInit3": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]),
    "TessBaseAPISetVariable": (
        ctypes.c_int,
        [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p],
    ),
    "TessBaseAPISetPageSegMode": (None, [ctypes.c_void_p, ctypes.c_int]),
    "TessBaseAPISetImage": (
        None,
        [ctypes.c_void_p, ctypes.c_char_p] + [ctypes.c_int] * 4,
    ),
    "TessBaseAPIRecognize": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_void_p]),
    "TessBaseAPIGetTsvText": (ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_int]),
    "TessDeleteText": (None, [ctypes.c_void_p]),
    "TessBaseAPIClear": (None, [ctypes.c_void_p]),
    "TessBaseAPIClearAdaptiveClassifier": (None, [ctypes.c_void_p]),
    "TessBaseAPIEnd": (None, [ctypes.c_void_p]),
    "TessBaseAPIDelete": (None, [ctypes.c_void_p]),
    "TessMonitorCreate": (ctypes.c_void_p, []),
    "TessMonitorSetDeadlineMSecs": (None, [ctypes.c_void_p, ctypes.c_int]),
    "TessMonitorDelete": (None, [ctypes.c_void_p]),
}

_load_lock = threading.Lock()
_local = threading.local()


@functools.cache
def load() -> ctypes.CDLL | None:
    """libtesseract with its functions declared; None when it cannot be loaded (not installed,
    another OS) or would not run on one thread (below)."""
    with _load_lock:
        # Tesseract's OpenMP loops ask for up to 10 threads: held to one as the command's
        # OMP_THREAD_LIMIT=1 holds it. libgomp reads the variable when it is loaded, with the
        # library unless something loaded it before (then its limit is checked below).
        previous = os.environ.get("OMP_THREAD_LIMIT")
        os.environ["OMP_THREAD_LIMIT"] = "1"
        try:
            lib = ctypes.CDLL(ctypes.util.find_library("tesseract") or SONAME)
            for name, (restype, argtypes) in _PROTOTYPES.items():
                function = getattr(lib, name)
                function.restype, function.argtypes = restype, argtypes
        except (OSError, AttributeError) as exc:
            log.debug("libtesseract cannot be used (%s); the tesseract command is run", exc)
            return None
        finally:
            if previous is None:
                del os.environ["OMP_THREAD_LIMIT"]
            else:
                os.environ["OMP_THREAD_LIMIT"] = previous
    limit = _omp_thread_limit()
    if limit is not None and limit != 1:
        log.info("OpenMP was loaded with %d threads: the tesseract command is run", limit)
        return None
    with contextlib.suppress(AttributeError):  # Leptonica, which libtesseract loads
        lib.setMsgSeverity(LEPTONICA_SEVERITY_NONE)
    return lib


def _omp_thread_limit() -> int | None:
    """The thread limit of the OpenMP runtime in this process; None when none is loaded."""
    try:
        gomp = ctypes.CDLL(GOMP_SONAME, mode=os.RTLD_NOLOAD)
        limit = gomp.omp_get_thread_limit
    except (OSError, AttributeError):
        return None
    limit.restype, limit.argtypes = ctypes.c_int, []
    return int(limit())


class _Api:
    """One initialised ``TessBaseAPI`` for ``languages``; ended when dropped."""

    def __init__(self, lib: ctypes.CDLL, languages: str) -> None:
        self._lib = lib
        self.handle = lib.TessBaseAPICreate()
        if not self.handle:
            raise OcrFailed("tesseract's library could not create an API")
        # No data path: the library's own, or TESSDATA_PREFIX, as the command finds it.
        if lib.TessBaseAPIInit3(self.handle, None, languages.encode()) != 0:
            self.close()
            raise OcrFailed(f"tesseract could not load its {languages!r} language data")
        for name, value in QUIET.items():
            lib.TessBaseAPISetVariable(self.handle, name.encode(), value.encode())

    def close(self) -> None:
        if getattr(self, "handle", None):
            self._lib.TessBaseAPIEnd(self.handle)
            self._lib.TessBaseAPIDelete(self.handle)
            self.handle = None

    def __del__(self) -> None:
        self.close()


def _api(lib: ctypes.CDLL, languages: str) -> _Api:
    """This thread's API for ``languages``, initialised on first use."""
    apis: OrderedDict[str, _Api] | None = getattr(_local, "apis", None)
    if apis is None:
        apis = _local.apis = OrderedDict()
    api = apis.get(languages)
    if api is None:
        api = apis[languages] = _Api(lib, languages)
        while len(apis) > CACHED_LANGUAGE_SETS:
            apis.popitem(last=False)[1].close()
    apis.move_to_end(languages)
    return api


def drop_cached() -> None:
    """End this thread's APIs (their models' memory goes back)."""
    apis: OrderedDict[str, _Api] | None = getattr(_local, "apis", None)
    while apis:
        apis.popitem()[1].close()


def _raw(image: Image.Image) -> tuple[bytes, int, int]:
    """The pixels as the C API takes them: the bytes, bytes a pixel, bytes a row. Grey and RGB
    as they are; a bilevel image 1 bit a pixel (0 means black, as in Pillow); others flattened on
    white, as tesseract removes a PNG's alpha."""
    from PIL import Image as PILImage

    if image.mode == "1":
        return image.tobytes(), 0, (image.width + 7) // 8
    if image.mode not in {"L", "RGB"}:
        rgba = image.convert("RGBA")
        white = PILImage.new("RGBA", image.size, (255, 255, 255, 255))
        image = PILImage.alpha_composite(white, rgba).convert("RGB")
    depth = 1 if image.mode == "L" else 3
    return image.tobytes(), depth, image.width * depth


def read_tsv(
    lib: ctypes.CDLL,
    image: Image.Image,
    languages: Sequence[str],
    *,
    psm: int,
    dpi: int,
    timeout: float,
) -> str:
    """Tesseract's TSV of ``image``, as ``tesseract stdin stdout --psm --dpi -l`` writes it with
    ``-c tessedit_create_tsv=1``. Recognition past ``timeout`` seconds is stopped (tesseract's
    deadline) and raises ``OcrFailed``."""
    api = _api(lib, "+".join(languages))
    data, depth, row = _raw(image)
    with _page(lib, api.handle):
        lib.TessBaseAPISetPageSegMode(api.handle, psm)
        for name, value in {**VARIABLES, "user_defined_dpi": str(dpi)}.items():
            lib.TessBaseAPISetVariable(api.handle, name.encode(), value.encode())
        lib.TessBaseAPISetImage(api.handle, data, image.width, image.height, depth, row)
        del data  # tesseract copied the pixels: a page's bytes (13 MB enlarged) not held twice
        monitor = lib.TessMonitorCreate()
        try:
            start = monotonic()
            lib.TessMonitorSetDeadlineMSecs(monitor, max(1, round(timeout * 1000)))
            failed = lib.TessBaseAPIRecognize(api.handle, monitor) != 0
            # The deadline bounds the recognition, not the layout analysis before it: a reading
            # that ran past the time fails all the same, as the command was ended.
            if monotonic() - start >= timeout:
                raise OcrFailed(f"tesseract took more than {timeout:g} s on one page")
            if failed:
                raise OcrFailed("tesseract failed on a page")
        finally:
            lib.TessMonitorDelete(monitor)
        text = lib.TessBaseAPIGetTsvText(api.handle, 0)
        if not text:
            raise OcrFailed("tesseract gave no text for a page")
        try:
            return TSV_HEADER + ctypes.string_at(text).decode("utf-8", "replace")
        finally:
            lib.TessDeleteText(text)


@contextlib.contextmanager
def _page(lib: ctypes.CDLL, handle: int) -> Iterator[None]:
    """One page on a reused API: nothing of it is left for the next one (its image and results,
    and the words it added to the document's dictionary, which a new process would not know)."""
    try:
        yield
    finally:
        lib.TessBaseAPIClear(handle)
        lib.TessBaseAPIClearAdaptiveClassifier(handle)
        # The heap the reading freed, given back (about 10 MB a page, 1 ms): the next page's
        # arrays are mapped on their own (``heap.freed_blocks_returned``) and would not reuse it.
        heap.trim()
