"""OCR engine registry: built-ins registered exactly as a plugin would be.

Third-party engines register through the ``invoice_extractor.ocr_engines`` entry-point group; the
entry point names a zero-argument callable returning an ``OcrEngine``. A broken plugin is logged
and skipped, never fatal. ``resolve`` picks the engine a setting asks for, falling back to another
installed one, so a machine with either engine reads scans.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ...errors import ConfigurationError
from ...plugins import PluginRegistry
from .auto import PageKindRouter
from .base import OcrEngine

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "invoice_extractor.ocr_engines"
DEFAULT = "tesseract"
"""The measured choice for typed pages (docs/ocr.md) ..."""
SLIP_DEFAULT = "rapidocr"
"""... and for till slips; ``auto`` routes each page to one of the two (``auto.PageKindRouter``),
or uses the one installed."""
PREFERENCE = ("tesseract", "rapidocr")
"""Fallback order when the engine asked for is not installed."""
OFF = "none"
AUTO = "auto"

EngineFactory = Callable[[], OcrEngine]


class UnknownOcrEngine(ConfigurationError):
    status = 400
    code = "unknown_ocr_engine"


def _register_defaults(reg: PluginRegistry[OcrEngine]) -> None:
    from .rapid import RapidOcrEngine
    from .tesseract import TesseractEngine

    reg.register("tesseract", TesseractEngine)
    reg.register("rapidocr", RapidOcrEngine)


_REGISTRY: PluginRegistry[OcrEngine] = PluginRegistry(
    group=ENTRY_POINT_GROUP,
    kind="OCR engine",
    defaults=_register_defaults,
    unknown=UnknownOcrEngine,
    extra_names=lambda: [AUTO, *_REGISTRY.names(), OFF],
)
register = _REGISTRY.register
names = _REGISTRY.names
get = _REGISTRY.get
reset = _REGISTRY.reset
load = _REGISTRY.load


def resolve(name: str | None = None) -> OcrEngine | None:
    """The engine to use for ``name``: for None or ``auto`` both defaults behind a page router
    when both are installed; else that engine when it is installed, else the first installed one
    of ``PREFERENCE`` and the plugins; None for ``none`` or when no engine is installed."""
    auto = not name or name == AUTO
    wanted = name if name and not auto else DEFAULT
    if wanted == OFF:
        return None
    if auto and get(DEFAULT).available() and get(SLIP_DEFAULT).available():
        return PageKindRouter(slips=get(SLIP_DEFAULT), pages=get(DEFAULT))
    first = get(wanted)
    if first.available():
        return first
    for other in [*PREFERENCE, *names()]:
        if other != wanted and other in _REGISTRY and get(other).available():
            log.warning("OCR engine %r is not installed; using %r", wanted, other)
            return get(other)
    return None
