"""Extractor registry: built-ins registered exactly as a plugin would be.

Third-party backends register through the ``invoice_extractor.extractors`` entry-point group; the
entry point names a zero-argument callable returning an ``Extractor``. A broken plugin is logged and
skipped, never fatal.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from importlib.metadata import entry_points

from ..errors import UnknownExtractor
from .base import Extractor

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "invoice_extractor.extractors"
ExtractorFactory = Callable[[], Extractor]

_factories: dict[str, ExtractorFactory] = {}
_instances: dict[str, Extractor] = {}
_loaded = False
_lock = threading.RLock()


def register(name: str, factory: ExtractorFactory) -> None:
    _factories[name] = factory
    _instances.pop(name, None)


def _register_defaults() -> None:
    from .einvoice.backend import EInvoiceExtractor
    from .embedded.engine import EmbeddedExtractor
    from .llm.auto import AutoExtractor
    from .llm.gemini import GeminiExtractor
    from .llm.openai_compat import OpenAIExtractor

    register("embedded", EmbeddedExtractor)
    register("einvoice", EInvoiceExtractor)
    # The LLM backends register without their SDK or key: they decline when used, not here.
    register("gemini", GeminiExtractor)
    register("openai", OpenAIExtractor)
    register("auto", AutoExtractor)


def _load() -> None:
    global _loaded
    if _loaded:
        return
    with _lock:  # worker threads may ask at the same moment: load once, completely
        if _loaded:
            return
        _register_defaults()
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            try:
                register(ep.name, ep.load())
            except Exception:  # a broken plugin must not take the product down
                log.exception("extractor plugin %r failed to load; skipped", ep.name)
        _loaded = True


def names() -> list[str]:
    _load()
    return sorted(_factories)


def get(name: str) -> Extractor:
    """The extractor called ``name``; an unknown name lists the valid ones."""
    _load()
    if name not in _factories:
        raise UnknownExtractor(f"unknown extractor {name!r}; valid: {', '.join(names())}")
    with _lock:
        if name not in _instances:
            _instances[name] = _factories[name]()
        return _instances[name]


def reset() -> None:
    """Forget every registration (tests)."""
    global _loaded
    _factories.clear()
    _instances.clear()
    _loaded = False
