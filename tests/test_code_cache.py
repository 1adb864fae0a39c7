"""The compiled-code cache behind the ranker's trees: keyed by the source, never stale."""

from __future__ import annotations

import marshal
import re
from pathlib import Path

import pytest

from invoice_extractor.extract.embedded import code_cache
from invoice_extractor.extract.embedded.code_cache import compile_cached, compile_regex


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "invoice-extractor"


def _run(code: object) -> object:
    namespace: dict[str, object] = {}
    exec(code, namespace)  # the code compiled from the test's own source
    return namespace["answer"]


def test_the_first_compile_is_stored_and_the_second_read_from_the_cache(cache: Path) -> None:
    assert _run(compile_cached("answer = 41 + 1", "<test>")) == 42
    (entry,) = cache.iterdir()
    # What the cache holds is what the next process runs: swap it to prove it is read.
    entry.write_bytes(marshal.dumps(compile("answer = 'from the cache'", "<test>", "exec")))
    assert _run(compile_cached("answer = 41 + 1", "<test>")) == "from the cache"


def test_another_source_is_another_entry(cache: Path) -> None:
    assert _run(compile_cached("answer = 1", "<test>")) == 1
    assert _run(compile_cached("answer = 2", "<test>")) == 2
    assert len(list(cache.iterdir())) == 2


def test_a_damaged_entry_is_compiled_again_and_replaced(cache: Path) -> None:
    compile_cached("answer = 7", "<test>")
    (entry,) = cache.iterdir()
    entry.write_bytes(b"\x00not marshal")
    assert _run(compile_cached("answer = 7", "<test>")) == 7
    assert _run(marshal.loads(entry.read_bytes())) == 7


def test_an_unwritable_cache_only_costs_the_compile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker / "cache"))
    assert _run(compile_cached("answer = 3", "<test>")) == 3
    assert blocker.read_text() == "not a directory"


def test_a_user_without_a_home_compiles_without_a_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert _run(compile_cached("answer = 5", "<test>")) == 5


# A pattern using what the engine's own do: named groups, a back-reference, a conditional group,
# look-arounds and a flag set inside the pattern.
_PATTERN = r"(?i)(?<!\w)(?P<open>\()?(?P<num>\d+)(?P<sep>[.,])\d{2}(?P=sep)?(?(open)\))(?!\w)"
_TEXTS = ("Total (12,50) EUR", "12.50.", "a12,50", "TOTAL 7,00 und (3.25)")


def _matches(pattern: re.Pattern[str]) -> list[tuple[tuple[int, int], dict[str, str | None]]]:
    return [(m.span(), m.groupdict()) for text in _TEXTS for m in pattern.finditer(text)]


def test_a_cached_regex_is_the_compiled_pattern_and_the_second_skips_the_parser(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = re.compile(_PATTERN)
    first = compile_regex(_PATTERN)
    (entry,) = cache.iterdir()
    assert entry.name.startswith("re-")

    def no_parser(*_: object) -> None:
        raise AssertionError("the cached program should have been read")

    monkeypatch.setattr(code_cache, "_program", no_parser)
    second = compile_regex(_PATTERN)
    for pattern in (first, second):
        assert (pattern.pattern, pattern.flags, pattern.groups, pattern.groupindex) == (
            expected.pattern,
            expected.flags,
            expected.groups,
            expected.groupindex,
        )
        assert _matches(pattern) == _matches(expected)


def test_a_damaged_regex_entry_is_compiled_again(cache: Path) -> None:
    compile_regex(_PATTERN)
    (entry,) = cache.iterdir()
    entry.write_bytes(marshal.dumps((0, [1, 2, 3], 0, {}, ())))  # a program the engine rejects
    assert _matches(compile_regex(_PATTERN)) == _matches(re.compile(_PATTERN))
    entry.write_bytes(b"\x00not marshal")
    assert _matches(compile_regex(_PATTERN)) == _matches(re.compile(_PATTERN))


def test_a_made_source_is_not_made_again_when_its_key_is_cached(cache: Path) -> None:
    made: list[str] = []

    def make() -> str:
        made.append("answer = 6 * 7")
        return made[-1]

    assert _run(code_cache.compile_made("key-1", "<test>", make)) == 42
    assert _run(code_cache.compile_made("key-1", "<test>", make)) == 42
    assert len(made) == 1  # the second process found the code under its key
    assert _run(code_cache.compile_made("key-2", "<test>", lambda: "answer = 1")) == 1


def _point_class() -> type:
    from dataclasses import dataclass, field

    @dataclass(frozen=True)
    class Point:
        x: int
        y: tuple[int, ...] = field(default_factory=tuple)

    return Point


def test_dataclass_methods_are_compiled_once_and_then_read_from_the_cache(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses
    import inspect

    plain = _point_class()
    monkeypatch.setattr(code_cache, "_dataclass_codes", {})
    with code_cache.cached_dataclass_code():
        first = _point_class()
    assert "exec" not in vars(dataclasses)  # the wrapper is gone when the block ends
    (entry,) = cache.glob("dataclasses-*")

    def no_compile(*_: object, **__: object) -> None:
        raise AssertionError("the cached methods should have been read")

    # A new process: nothing in memory, everything in the file.
    monkeypatch.setattr(code_cache, "_dataclass_codes", {})
    monkeypatch.setattr(code_cache, "compile", no_compile, raising=False)
    with code_cache.cached_dataclass_code():
        second = _point_class()
    for built in (first, second):
        assert built(1) == built(1, ()) and built(1) != built(2)
        assert repr(built(1, (2,))) == repr(plain(1, (2,)))
        assert hash(built(1, (2,))) == hash(plain(1, (2,)))
        with pytest.raises(dataclasses.FrozenInstanceError):
            built(1).x = 2  # type: ignore[attr-defined]
        # Compiled as dataclasses compiles them: real annotations, not this module's strings.
        assert inspect.get_annotations(built.__init__) == inspect.get_annotations(plain.__init__)
    assert entry.stat().st_size > 0


def test_a_damaged_dataclass_cache_is_rebuilt(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache.mkdir(parents=True)
    monkeypatch.setattr(code_cache, "_dataclass_codes", {})
    with code_cache.cached_dataclass_code():
        _point_class()
    (entry,) = cache.glob("dataclasses-*")
    entry.write_bytes(marshal.dumps({"not code": 1}))
    monkeypatch.setattr(code_cache, "_dataclass_codes", {})
    with code_cache.cached_dataclass_code():
        assert _point_class()(3).x == 3
    rebuilt = marshal.loads(entry.read_bytes())
    assert "not code" not in rebuilt and rebuilt  # written afresh with the real methods


# The engine's regexes that cost re's parser (pure Python) 0.4-2 ms each to compile at import.
_ENGINE_REGEXES = (
    "amounts._PERCENT_RE",
    "amounts._VOTE_TOKEN_RE",
    "dates._DAY_FIRST_HINT",
    "engine._CREDIT",
    "items._COMPOUND",
    "items._GLUED_HEAD",
    "items._SECTION_END",
    "numbers._TITLE_WORD",
    "parties.LEGAL_FORM",
    "parties._CAPTION_END",
    "parties._STREET",
    "text._STRAY_MARKS",
)
_PARSED_PROBE = """
import importlib, json, sys
import re._parser
parsed, parse = [], re._parser.parse
re._parser.parse = lambda source, *rest: parsed.append(source) or parse(source, *rest)
patterns = [
    getattr(importlib.import_module("invoice_extractor.extract.embedded." + module), name).pattern
    for module, name in (argument.split(".") for argument in sys.argv[1:])
]
print(json.dumps([pattern for pattern in patterns if pattern in parsed]))
"""


def test_a_warm_process_reads_the_engines_big_regexes_from_the_cache(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    environment = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", _PARSED_PROBE, *_ENGINE_REGEXES],
            capture_output=True,
            text=True,
            check=True,
            env=environment,
        )
        for _ in range(2)
    ]
    cold, warm = (json.loads(run.stdout) for run in runs)
    assert len(cold) == len(_ENGINE_REGEXES)  # the probe sees the parser at work
    assert warm == []
