"""A one-line progress bar for batch runs: ``[#####-----] 12/69 name.pdf``, redrawn with ``\\r``.

It writes to stderr only (stdout carries the JSON), and only to a terminal: piped or logged runs get
no control characters. No dependency: a bar is a few lines.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

Progress = Callable[[int, int, str], None]
"""``progress(position, total, label)``: called before item ``position`` (1-based) of ``total``."""


class ProgressBar:
    """A ``Progress`` callback drawing a bar; use it as a context manager to erase it at the end."""

    def __init__(
        self, *, stream: TextIO | None = None, enabled: bool = True, width: int = 10
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and self.stream.isatty()
        self.width = width
        self._drawn = 0  # length of the last line, to blank out its tail when the next is shorter

    def __call__(self, position: int, total: int, label: str) -> None:
        if not self.enabled:
            return
        filled = self.width * position // total if total else self.width
        line = f"[{'#' * filled}{'-' * (self.width - filled)}] {position}/{total} {label}"
        # A line that wraps cannot be redrawn with \r: keep it inside the terminal.
        line = line[: max(shutil.get_terminal_size().columns - 1, 20)]
        self.stream.write("\r" + line.ljust(self._drawn))
        self.stream.flush()
        self._drawn = len(line)

    def close(self) -> None:
        """Erase the bar so what follows on stderr starts on a clean line."""
        if self._drawn:
            self.stream.write("\r" + " " * self._drawn + "\r")
            self.stream.flush()
            self._drawn = 0

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
