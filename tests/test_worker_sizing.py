"""WORKERS defaults to the CPU cores the process may use, at most 3 (issue 15): extraction is
CPU-bound, so more workers than cores take turns and cost CPU doing it; set, it is kept."""

from __future__ import annotations

import os

import pytest

from invoice_extractor.settings import Settings


@pytest.mark.parametrize(("cores", "expected"), [(1, 1), (2, 2), (8, 3)])
def test_workers_default_to_the_cores_up_to_three(
    monkeypatch: pytest.MonkeyPatch, cores: int, expected: int
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(cores)), raising=False)
    assert Settings().workers == expected
    assert Settings.from_env({"WORKERS": "5"}, env_file=None).workers == 5
