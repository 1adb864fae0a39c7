"""A registry of one kind of plug-in (extraction backends, OCR engines, ...).

Built-ins are registered exactly as a third-party plug-in would be: a name and a zero-argument
factory. Plug-ins come from an entry-point group; a broken one is logged and skipped, never fatal.
Loading happens once, under a lock, because worker threads may ask at the same moment.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from .errors import ConfigurationError

log = logging.getLogger(__name__)

T = TypeVar("T")


class PluginRegistry(Generic[T]):
    def __init__(
        self,
        *,
        group: str,
        kind: str,
        defaults: Callable[[PluginRegistry[T]], None],
        unknown: type[ConfigurationError],
        extra_names: Callable[[], list[str]] | None = None,
    ) -> None:
        self.group = group
        self.kind = kind  # "extractor", "OCR engine": how messages name one
        self._defaults = defaults
        self._unknown = unknown
        self._extra_names = extra_names  # values accepted besides the registered names
        self._factories: dict[str, Callable[[], T]] = {}
        self._instances: dict[str, T] = {}
        self._loaded = False
        self._lock = threading.RLock()

    def register(self, name: str, factory: Callable[[], T]) -> None:
        with self._lock:
            self._factories[name] = factory
            self._instances.pop(name, None)

    def load(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            self._defaults(self)
            for ep in entry_points(group=self.group):
                try:
                    self.register(ep.name, ep.load())
                except Exception:  # a broken plug-in must not take the product down
                    log.exception("%s plug-in %r failed to load; skipped", self.kind, ep.name)
            self._loaded = True

    def names(self) -> list[str]:
        self.load()
        return sorted(self._factories)

    def __contains__(self, name: str) -> bool:
        self.load()
        return name in self._factories

    def get(self, name: str) -> T:
        """The plug-in called ``name``; an unknown name lists the valid ones."""
        self.load()
        if name not in self._factories:
            valid = self._extra_names() if self._extra_names else self.names()
            raise self._unknown(f"unknown {self.kind} {name!r}; valid: {', '.join(valid)}")
        with self._lock:
            if name not in self._instances:
                self._instances[name] = self._factories[name]()
            return self._instances[name]

    def reset(self) -> None:
        """Forget every registration (tests)."""
        with self._lock:
            self._factories.clear()
            self._instances.clear()
            self._loaded = False
