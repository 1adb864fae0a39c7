"""The docs say what the code does: settings, checks, the two Quick start commands, the examples."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from invoice_extractor.cli import build_parser, main
from invoice_extractor.extract.embedded.ranker import packaged_model, using_model
from invoice_extractor.settings import Settings
from invoice_extractor.validate import MATCH_RULES, RULES

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SETTINGS_DOC = ROOT / "docs" / "settings.md"
SCHEMA_DOC = ROOT / "docs" / "schema.md"
CI_RUN = ROOT / ".ci" / "run"

MARKER = "<!-- test-command -->"
TEST_COMMAND = (
    "pip install -e '.[dev]' && ruff check . && ruff format --check . && mypy && pytest -q"
)
RUN_PREFIX = "pip install -e . && invoice-extractor "
SAMPLE_PREFIX = "invoice-extractor "
SAMPLE_INVOICE_NUMBER = "RE-2024-0815"  # as printed by scripts/make_sample_invoice.py


def settings_rows() -> list[str]:
    """The settings table rows, exactly as README.md and docs/settings.md must hold them."""
    return [
        f"| `{name}` | {f'`{default}`' if default else '(none)'} | {help_text} |"
        for name, default, help_text in Settings.documented()
    ]


@pytest.mark.parametrize("doc", [README, SETTINGS_DOC], ids=lambda p: p.name)
def test_every_setting_is_documented(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    missing = [row for row in settings_rows() if row not in text]
    table = "\n".join(["| Variable | Default | Meaning |", "|---|---|---|", *settings_rows()])
    assert not missing, f"{doc.name} lacks or has outdated rows; the current table is:\n{table}"


def test_every_check_is_documented() -> None:
    text = README.read_text(encoding="utf-8")
    rows = [f"| `{rule}` | {description} |" for rule, description in (*RULES, *MATCH_RULES)]
    missing = [row for row in rows if row not in text]
    assert not missing, "README.md's Checks table lacks or has outdated rows:\n" + "\n".join(
        missing
    )


def readme_test_command(text: str) -> str:
    """What ``.ci/run``'s awk reads: the second line after the first line holding the marker."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if MARKER in line)
    return lines[start + 2] if start + 2 < len(lines) else ""


def test_readme_test_command_is_the_one_ci_runs() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert lines.count(MARKER) == 1, "the marker stands alone on exactly one line"
    start = lines.index(MARKER)
    assert lines[start + 1 : start + 4] == ["```bash", TEST_COMMAND, "```"]
    assert readme_test_command("\n".join(lines)) == TEST_COMMAND


def _ci_awk_program() -> str:
    match = re.search(r"awk '([^']+)' README\.md", CI_RUN.read_text(encoding="utf-8"))
    assert match, ".ci/run no longer reads the command with awk: update readme_test_command"
    return match.group(1)


def test_ci_run_reads_the_same_command() -> None:
    program = _ci_awk_program()
    assert MARKER in program
    awk = shutil.which("awk")
    if awk is None:
        pytest.skip("no awk on this machine")
    result = subprocess.run(
        [awk, program, "README.md"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.rstrip("\n") == TEST_COMMAND


def _readme_run_args() -> list[str]:
    """The arguments of ``invoice-extractor`` in the README's run command."""
    lines = README.read_text(encoding="utf-8").splitlines()
    (line,) = [line for line in lines if line.startswith(RUN_PREFIX)]
    return shlex.split(line.removeprefix(RUN_PREFIX))


def _readme_sample_args() -> list[str]:
    """The arguments of the README's command-line example on the bundled sample."""
    lines = README.read_text(encoding="utf-8").splitlines()
    (line,) = [
        line
        for line in lines
        if line.startswith(SAMPLE_PREFIX) and "examples/sample-invoice.pdf" in line
    ]
    return shlex.split(line.removeprefix(SAMPLE_PREFIX))


def test_readme_run_command_serves_the_app() -> None:
    assert _readme_run_args() == ["serve"]
    parsed = build_parser().parse_args(_readme_run_args())
    assert parsed.command == "serve"


@pytest.fixture
def sample_output(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> list[dict[str, Any]]:
    """The JSON the README's run command prints, run in process from the repository root."""
    for name, _, _ in Settings.documented():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(ROOT)
    args = _readme_sample_args()
    assert args == ["extract", "examples/sample-invoice.pdf"]
    with using_model(packaged_model()):  # what a user sees: the model's own threshold
        assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, list)
    return data


def test_readme_sample_command_extracts_the_sample(sample_output: list[dict[str, Any]]) -> None:
    (invoice,) = sample_output
    # Every check passes; only the engine's calibrated doubt may ask for a look.
    assert invoice["status"] in ("ok", "needs_review"), invoice["error"]
    assert all(w.startswith("UNCERTAIN: ") for w in invoice["warnings"]), invoice["warnings"]
    assert invoice["invoice_number"] == SAMPLE_INVOICE_NUMBER


def _json_blocks(doc: Path) -> list[Any]:
    text = doc.read_text(encoding="utf-8")
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, re.S)]


def _missing(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where ``expected`` (an abridged example) is not part of ``actual``: dicts may leave keys
    out and lists may leave their tail out; evidence and warnings are left alone (confidences,
    and so the UNCERTAIN warning, move with every retrained model)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return [
            problem
            for key, value in expected.items()
            if key not in ("evidence", "warnings")
            for problem in (
                _missing(value, actual[key], f"{path}.{key}")
                if key in actual
                else [f"{path}.{key}: not in the output"]
            )
        ]
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) <= len(actual):
        return [p for i, e in enumerate(expected) for p in _missing(e, actual[i], f"{path}.{i}")]
    return [] if expected == actual else [f"{path}: doc says {expected!r}, output {actual!r}"]


@pytest.mark.parametrize("doc", [README, SCHEMA_DOC], ids=lambda p: p.name)
def test_documented_sample_output_is_what_the_engine_prints(
    doc: Path, sample_output: list[dict[str, Any]]
) -> None:
    examples = [b for b in _json_blocks(doc) if '"sample-invoice.pdf"' in json.dumps(b)]
    assert examples, f"{doc.name} shows no sample-invoice.pdf output"
    example = examples[0]
    expected = example if isinstance(example, list) else [example]
    problems = _missing(expected, sample_output)
    assert not problems, f"{doc.name}'s example is out of date:\n" + "\n".join(problems)
