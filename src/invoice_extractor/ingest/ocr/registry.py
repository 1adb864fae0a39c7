"""OCR engine registry: built-ins registered exactly as a plugin would be.

Third-party engines register through the ``invoice_extractor.ocr_engines`` entry-point group; the
entry point names a zero-argument callable returning an ``OcrEngine``. A broken plugin is logged
and skipped, never fatal. ``resolve`` picks the engine a setting asks for, falling back to another
installed one, so a machine with either engine reads scans.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from importlib.metadata import entry_points

from ...errors import ConfigurationError
from .base import OcrEngine

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "invoice_extractor.ocr_engines"
DEFAULT = "tesseract"
"""The measured choice (docs/ocr.md); ``auto`` means this one, or the next installed."""
PREFERENCE = ("tesseract", "rapidocr")
"""Fallback order when the engine asked for is not installed."""
OFF = "none"
AUTO = "auto"

EngineFactory = Callable[[], OcrEngine]

_factories: dict[str, EngineFactory] = {}
_instances: dict[str, OcrEngine] = {}
_loaded = False
_lock = threading.RLock()


class UnknownOcrEngine(ConfigurationError):
    status = 400
    code = "unknown_ocr_engine"


def register(name: str, factory: EngineFactory) -> None:
    with _lock:
        _factories[name] = factory
        _instances.pop(name, None)


def _register_defaults() -> None:
    from .rapid import RapidOcrEngine
    from .tesseract import TesseractEngine

    register("tesseract", TesseractEngine)
    register("rapidocr", RapidOcrEngine)


def _load() -> None:
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        _register_defaults()
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            try:
                register(ep.name, ep.load())
            except Exception:  # a broken plugin must not take the product down
                log.exception("OCR engine plugin %r failed to load; skipped", ep.name)
        _loaded = True


def names() -> list[str]:
    _load()
    return sorted(_factories)


def get(name: str) -> OcrEngine:
    """The engine called ``name`` (installed or not); an unknown name lists the valid ones."""
    _load()
    if name not in _factories:
        valid = ", ".join([AUTO, *names(), OFF])
        raise UnknownOcrEngine(f"unknown OCR engine {name!r}; valid: {valid}")
    with _lock:
        if name not in _instances:
            _instances[name] = _factories[name]()
        return _instances[name]


def resolve(name: str | None = None) -> OcrEngine | None:
    """The engine to use for ``name`` (None or ``auto``: the default): that engine when it is
    installed, else the first installed one of ``PREFERENCE`` and the plugins; None for ``none``
    or when no engine is installed."""
    wanted = DEFAULT if name in (None, "", AUTO) else name
    if wanted == OFF:
        return None
    first = get(wanted)
    if first.available():
        return first
    for other in [*PREFERENCE, *names()]:
        if other != wanted and other in _factories and get(other).available():
            log.warning("OCR engine %r is not installed; using %r", wanted, other)
            return get(other)
    return None


def reset() -> None:
    """Forget every registration (tests)."""
    global _loaded
    with _lock:
        _factories.clear()
        _instances.clear()
        _loaded = False
