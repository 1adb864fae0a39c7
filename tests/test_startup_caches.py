"""The caches a CLI process starts from: the ranker model's parsed values (by the model file's
digest) and the label tables. Never stale, a damaged entry ignored."""

from __future__ import annotations

import json
import marshal
from importlib import resources
from pathlib import Path

import pytest

from invoice_extractor.extract.embedded import ranker


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "invoice-extractor"


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
    assert {f: labels.anchors_of(p) for f, p in made.items()} == labels.LABEL_ANCHORS
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
