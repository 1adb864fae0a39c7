"""Extractor registry: built-ins registered exactly as a plugin would be.

Third-party backends register through the ``invoice_extractor.extractors`` entry-point group; the
entry point names a zero-argument callable returning an ``Extractor``. A broken plugin is logged and
skipped, never fatal.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import UnknownExtractor
from ..plugins import PluginRegistry
from .base import Extractor

ENTRY_POINT_GROUP = "invoice_extractor.extractors"
ExtractorFactory = Callable[[], Extractor]


def _register_defaults(reg: PluginRegistry[Extractor]) -> None:
    from .einvoice.backend import EInvoiceExtractor
    from .embedded.engine import EmbeddedExtractor

    reg.register("embedded", EmbeddedExtractor)
    reg.register("einvoice", EInvoiceExtractor)
    # The LLM backends register without their SDK or key: they decline when used, not here.
    # Their modules are imported when one is first asked for: a run of the offline engine
    # does not pay for them.
    reg.register("gemini", _gemini)
    reg.register("openai", _openai)
    reg.register("auto", _auto)


def _gemini() -> Extractor:
    from .llm.gemini import GeminiExtractor

    return GeminiExtractor()


def _openai() -> Extractor:
    from .llm.openai_compat import OpenAIExtractor

    return OpenAIExtractor()


def _auto() -> Extractor:
    from .llm.auto import AutoExtractor

    return AutoExtractor()


_REGISTRY: PluginRegistry[Extractor] = PluginRegistry(
    group=ENTRY_POINT_GROUP, kind="extractor", defaults=_register_defaults, unknown=UnknownExtractor
)
register = _REGISTRY.register
names = _REGISTRY.names
get = _REGISTRY.get
reset = _REGISTRY.reset
