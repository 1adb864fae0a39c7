"""The caches a CLI process starts from: the regex programs of its imports (one file) and the
ranker model's parsed values (by the model file's digest). Never stale, a damaged file ignored."""

from __future__ import annotations

import json
import marshal
import re
from importlib import resources
from pathlib import Path

import pytest

from invoice_extractor.extract.embedded import code_cache, ranker


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    # Each test starts as a new process: nothing read yet.
    monkeypatch.setattr(code_cache, "_regex_programs", {})
    return tmp_path / "cache" / "invoice-extractor"


# Named groups, a back-reference, a conditional group, look-arounds, an inline flag; and bytes.
_PATTERNS: tuple[tuple[str | bytes, int], ...] = (
    (r"(?i)(?<!\w)(?P<open>\()?(?P<num>\d+)(?P<sep>[.,])\d{2}(?P=sep)?(?(open)\))(?!\w)", 0),
    (r"total\s+(\d+)", re.IGNORECASE | re.MULTILINE),
    (rb"[^\x09\x0A\x0D\x20-\xFF]|&#0;", 0),
)
_TEXTS = ("Total (12,50) EUR", "12.50.", "a12,50", "TOTAL 7,00 und (3.25)\ntotal 4")


def _fresh(pattern: str | bytes, flags: int) -> re.Pattern[str] | re.Pattern[bytes]:
    re.purge()  # re's own cache would answer without compiling
    return re.compile(pattern, flags)


def _behaviour(compiled: re.Pattern[str] | re.Pattern[bytes]) -> list[object]:
    found: list[object] = [compiled.pattern, compiled.flags, compiled.groups]
    found.append(dict(compiled.groupindex))
    for text in _TEXTS:
        subject = text.encode() + b"\x01" if isinstance(compiled.pattern, bytes) else text
        found += [(m.span(), m.groups()) for m in compiled.finditer(subject)]  # type: ignore[arg-type]
    return found


def _compile_all() -> list[list[object]]:
    with code_cache.cached_regex_programs():
        return [_behaviour(_fresh(pattern, flags)) for pattern, flags in _PATTERNS]


def test_regexes_compiled_in_the_block_are_stored_then_read_without_the_parser(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiler = vars(re._compiler)["compile"]
    plain = [_behaviour(_fresh(pattern, flags)) for pattern, flags in _PATTERNS]
    assert _compile_all() == plain
    assert vars(re._compiler)["compile"] is compiler  # the wrapper is gone when the block ends
    (entry,) = cache.glob("re-programs-*")

    def no_parser(*_: object) -> None:
        raise AssertionError("the cached program should have been read")

    monkeypatch.setattr(code_cache, "_regex_programs", {})  # a new process
    monkeypatch.setattr(code_cache, "_program", no_parser)
    assert _compile_all() == plain
    assert len(marshal.loads(entry.read_bytes())) == len(_PATTERNS)


def test_a_damaged_programs_file_is_ignored_and_written_afresh(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = [_behaviour(_fresh(pattern, flags)) for pattern, flags in _PATTERNS]
    _compile_all()
    (entry,) = cache.glob("re-programs-*")
    for damage in (
        b"\x00not marshal",
        marshal.dumps(["not a dict"]),
        # Programs the engine rejects, under the very keys.
        marshal.dumps({(p, int(f)): (0, [1, 2, 3], 0, {}, ()) for p, f in _PATTERNS}),
    ):
        entry.write_bytes(damage)
        monkeypatch.setattr(code_cache, "_regex_programs", {})
        assert _compile_all() == plain
    assert len(marshal.loads(entry.read_bytes())) == len(_PATTERNS)


def test_a_full_programs_file_keeps_only_the_patterns_of_the_last_process(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(code_cache, "_MAX_REGEX_PROGRAMS", 2)
    with code_cache.cached_regex_programs():
        for n in range(3):
            _fresh(f"seed {n} of another process", 0)
    (entry,) = cache.glob("re-programs-*")
    assert len(marshal.loads(entry.read_bytes())) == 3  # a full file is not cut at once
    monkeypatch.setattr(code_cache, "_regex_programs", {})
    _compile_all()
    assert set(marshal.loads(entry.read_bytes())) == {(p, int(f)) for p, f in _PATTERNS}


def test_a_bad_pattern_raises_as_re_does(cache: Path) -> None:
    with pytest.raises(re.error, match="missing \\)"):
        re.compile("(unclosed")
    with code_cache.cached_regex_programs(), pytest.raises(re.error, match="missing \\)"):
        _fresh("(unclosed", 0)
    assert not list(cache.glob("re-programs-*"))


def _model_bytes() -> bytes:
    return resources.files(ranker.__package__).joinpath(ranker.MODEL_FILE).read_bytes()


def test_the_model_read_from_the_cache_is_the_model_in_the_file(cache: Path) -> None:
    data = _model_bytes()
    parsed = ranker.RankerModel.from_json(json.loads(data))
    first = ranker.model_from_file(data)
    (entry,) = cache.glob("data-*")
    second = ranker.model_from_file(data)
    for model in (first, second):
        assert model == parsed
        assert model.source == first.source != ""
    # What the entry holds is what the next process reads: changed, it is read so.
    held = marshal.loads(entry.read_bytes())
    entry.write_bytes(marshal.dumps({**held, "ok_threshold": 0.5}))
    assert ranker.model_from_file(data).ok_threshold == 0.5


def test_a_changed_model_file_is_not_read_from_the_old_entry(cache: Path) -> None:
    data = _model_bytes()
    ranker.model_from_file(data)
    changed = json.loads(data)
    changed["ok_threshold"] = 0.123
    changed_bytes = json.dumps(changed).encode()
    model = ranker.model_from_file(changed_bytes)
    assert model.ok_threshold == 0.123
    assert model.source != ranker.model_from_file(data).source
    assert len(list(cache.glob("data-*"))) == 2


def test_a_damaged_model_entry_is_ignored(cache: Path) -> None:
    data = _model_bytes()
    parsed = ranker.RankerModel.from_json(json.loads(data))
    ranker.model_from_file(data)
    (entry,) = cache.glob("data-*")
    for damage in (b"\x00not marshal", marshal.dumps(["a list"]), marshal.dumps({"trees": 1})):
        entry.write_bytes(damage)
        assert ranker.model_from_file(data) == parsed


def test_the_label_tables_are_the_ones_made_and_read_back(cache: Path) -> None:
    from invoice_extractor.extract.embedded import labels
    from invoice_extractor.extract.embedded.lexicon import LABEL_PATTERNS

    made = {f: [labels.hyphenable(x) for x in p] for f, p in LABEL_PATTERNS.items()}
    assert made == labels.LABELS  # what this process was given (from the cache or made)
    assert {f: labels._anchors(p) for f, p in made.items()} == labels.LABEL_ANCHORS
    assert labels._made("hyphenable", lambda: made) == made
    (entry,) = cache.glob("data-*")

    def not_again() -> dict[str, object]:
        raise AssertionError("the stored tables should have been read")

    assert labels._made("hyphenable", not_again) == made
    entry.write_bytes(marshal.dumps({"not a field": []}))  # damaged: made again
    assert labels._made("hyphenable", lambda: made) == made


def test_other_labels_are_another_entry(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from invoice_extractor.extract.embedded import labels
    from invoice_extractor.extract.embedded.lexicon import LABEL_PATTERNS

    labels._made("hyphenable", lambda: {key: ["a"] for key in LABEL_PATTERNS})
    field = next(iter(LABEL_PATTERNS))
    monkeypatch.setitem(LABEL_PATTERNS, field, [*LABEL_PATTERNS[field], "new label"])
    assert labels._made("hyphenable", lambda: {key: ["b"] for key in LABEL_PATTERNS})[field] == [
        "b"
    ]
    assert len(list(cache.glob("data-*"))) == 2
