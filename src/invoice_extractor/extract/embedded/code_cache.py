"""Python source compiled once per machine, not once per process: the ranker's trees are tens of
thousands of lines, and compiling them cost a short CLI run more than scoring with them.

The compiled code is stored with ``marshal`` under the user's cache directory, named by the
SHA-256 of the source and by the interpreter's bytecode tag, so a new model or another Python
gets its own entry and a stale one is never read. Like ``__pycache__``: a cache that cannot be
read or written is only skipped (the source is then compiled as before).
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
from pathlib import Path
from types import CodeType


def cache_dir() -> Path | None:
    """``$XDG_CACHE_HOME/invoice-extractor``, by default ``~/.cache/invoice-extractor`` (the
    freedesktop convention); None for a user without a home (a container's arbitrary uid)."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:
            return None
    return Path(base) / "invoice-extractor"


def compile_cached(source: str, filename: str) -> CodeType:
    """``compile(source, filename, "exec")``, read from the cache when it holds this source."""
    directory = cache_dir()
    if directory is None:
        return compile(source, filename, "exec")
    digest = hashlib.sha256(f"{filename}\0{source}".encode()).hexdigest()
    path = directory / f"{digest}.{sys.implementation.cache_tag}.marshal"
    try:
        code = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        code = None
    if isinstance(code, CodeType):
        return code
    code = compile(source, filename, "exec")
    _store(path, marshal.dumps(code))
    return code


def _store(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a process reading at the same time sees all or nothing.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        pass  # a read-only or full disk: the next process compiles again
