"""Python source and regexes compiled once per machine, not once per process: the ranker's trees
are tens of thousands of lines, and compiling them cost a short CLI run more than scoring with
them; the label and amount alternations take tens of milliseconds to compile (``re``'s parser
is Python) in every process, more than a short run spends matching with them.

The compiled code is stored with ``marshal`` under the user's cache directory, named by the
SHA-256 of the source and by the interpreter's bytecode tag, so a new model or another Python
gets its own entry and a stale one is never read. Like ``__pycache__``: a cache that cannot be
read or written is only skipped (the source is then compiled as before).
"""

from __future__ import annotations

import builtins
import dataclasses
import hashlib
import marshal
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import CodeType
from typing import Any

# re's compiler, whose steps compile_regex runs itself to keep the program it makes.
_re_compiler: Any = getattr(re, "_compiler", None)
_re_parser: Any = getattr(re, "_parser", None)


def cache_dir() -> Path | None:
    """``$XDG_CACHE_HOME/invoice-extractor``, by default ``~/.cache/invoice-extractor`` (the
    freedesktop convention); None for a user without a home (a container's arbitrary uid)."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base or not os.path.isabs(base):  # a relative one is to be ignored (the XDG spec)
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:
            return None
    return Path(base) / "invoice-extractor"


def compile_cached(source: str, filename: str) -> CodeType:
    """``compile(source, filename, "exec")``, read from the cache when it holds this source."""
    return compile_made(f"{filename}\0{source}", filename, lambda: source)


def compile_made(key: str, filename: str, make_source: Callable[[], str]) -> CodeType:
    """``compile(make_source(), filename, "exec")``, read from the cache when it holds ``key``'s:
    a hit skips making the source too. ``key`` must determine the source entirely (what it is
    made from, and how: the caller's own code that makes it)."""
    directory = cache_dir()
    if directory is None:
        return compile(make_source(), filename, "exec")
    digest = hashlib.sha256(key.encode()).hexdigest()
    path = directory / f"{digest}.{sys.implementation.cache_tag}.marshal"
    try:
        code = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        code = None
    if isinstance(code, CodeType):
        return code
    code = compile(make_source(), filename, "exec")
    _store(path, marshal.dumps(code))
    return code


def data_made(key: str, make: Callable[[], Any]) -> Any:
    """``make()``: plain data (what JSON holds), read from the cache when it holds ``key``'s
    (``key`` must determine it entirely: the digest of the file it is parsed from). ``marshal``
    reads it back several times faster than ``json`` parses it (floats stored as binary, not
    text); the caller checks what it gets, like anything read from a file."""
    directory = cache_dir()
    if directory is None:
        return make()
    digest = hashlib.sha256(key.encode()).hexdigest()
    path = directory / f"data-{digest}.{sys.implementation.cache_tag}.marshal"
    try:
        return marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        pass
    data = make()
    _store(path, marshal.dumps(data))  # JSON's types are all marshal's
    return data


def compile_regex(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, its compiled program read from the cache when it holds
    this pattern. The program is what ``re``'s own compiler hands the ``_sre`` engine (the
    opcode list and the group names), keyed by the interpreter's full version and the engine's
    ``MAGIC`` as well as the pattern, so only the very engine that made it reads it back; the
    engine checks a program before running it (``RuntimeError``), and anything unexpected falls
    back to ``re.compile``."""
    directory = cache_dir()
    sre = getattr(_re_compiler, "_sre", None)
    if directory is None or sre is None or not hasattr(_re_compiler, "_code"):
        return re.compile(pattern, flags)
    flags = int(flags)
    key = f"{sys.version}\0{getattr(sre, 'MAGIC', '')}\0{flags}\0{pattern}"
    digest = hashlib.sha256(key.encode()).hexdigest()
    path = directory / f"re-{digest}.{sys.implementation.cache_tag}.marshal"
    try:
        return _sre_compile(sre, pattern, marshal.loads(path.read_bytes()))
    except Exception:  # unreadable, or a program the engine refuses (OverflowError too)
        pass
    try:
        program = _program(pattern, flags)
        compiled = _sre_compile(sre, pattern, program)
    except (AttributeError, TypeError, ValueError, RuntimeError):
        return re.compile(pattern, flags)  # another engine's internals: the plain way
    _store(path, marshal.dumps(program))
    return compiled


def _program(pattern: str | bytes, flags: int) -> tuple[Any, ...]:
    """What ``re._compiler.compile`` hands ``_sre.compile`` after the pattern itself."""
    parsed = _re_parser.parse(pattern, flags)
    # Plain ints: the opcodes are int subclasses, which marshal cannot store.
    code = [int(op) for op in _re_compiler._code(parsed, flags)]
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, number in groupindex.items():
        indexgroup[number] = name
    final_flags = int(flags | parsed.state.flags)
    return (final_flags, code, parsed.state.groups - 1, groupindex, tuple(indexgroup))


def _sre_compile(sre: Any, pattern: str | bytes, program: Any) -> re.Pattern[Any]:
    final_flags, code, groups, groupindex, indexgroup = program
    compiled: re.Pattern[Any] = sre.compile(
        pattern, final_flags, code, groups, groupindex, indexgroup
    )
    return compiled


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


# The compiled methods of dataclasses, by their source text: loaded once per process.
_dataclass_codes: dict[str, CodeType] = {}
_MAX_DATACLASS_CODES = 4096  # beyond: the file is written afresh (old versions' classes go)


@contextmanager
def cached_dataclass_code() -> Iterator[None]:
    """While open, the methods ``dataclasses`` writes for each class (``__init__``, ``__eq__``,
    ``__hash__``...: source text it compiles, hundreds per CLI process, about a tenth of a short
    run's instructions) are read compiled from one cache file, keyed by their text and by the
    interpreter's full version. This wraps the ``exec`` that module calls (compiling as it does,
    without this module's ``__future__`` flags); a Python whose ``dataclasses`` calls no ``exec``
    is not changed. For a short process's imports (the CLI): not thread-safe, not nestable."""
    directory = cache_dir()
    module: Any = dataclasses
    if directory is None or "exec" in vars(module):
        yield
        return
    version = hashlib.sha256(sys.version.encode()).hexdigest()[:16]
    path = directory / f"dataclasses-{version}.{sys.implementation.cache_tag}.marshal"
    if not _dataclass_codes:
        _dataclass_codes.update(_read_table(path, _is_code))
    missed: dict[str, CodeType] = {}

    def cached_exec(source: Any, globals: dict[str, Any] | None = None, locals: Any = None) -> None:
        code = _dataclass_codes.get(source) if isinstance(source, str) else None
        if code is None and isinstance(source, str):
            code = compile(source, "<string>", "exec", dont_inherit=True)
            missed[source] = _dataclass_codes[source] = code
        builtins.exec(code if code is not None else source, globals, locals)

    module.exec = cached_exec
    try:
        yield
    finally:
        del module.exec
        if missed:
            kept = _dataclass_codes if len(_dataclass_codes) <= _MAX_DATACLASS_CODES else missed
            _store(path, marshal.dumps(kept))


def _read_table(path: Path, entry: Callable[[Any, Any], bool]) -> dict[Any, Any]:
    """The dict stored at ``path``, only its items that ``entry`` accepts; {} if unreadable."""
    try:
        loaded = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {k: v for k, v in loaded.items() if entry(k, v)}


def _is_code(key: Any, value: Any) -> bool:
    return isinstance(key, str) and isinstance(value, CodeType)
