"""The command line, driven in process through ``main(argv)``.

Tests named ``test_real_*`` run the real pipeline on generated PDFs; the others use a stand-in
pipeline (``fake_pipeline``) and test what the CLI itself does.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from invoice_extractor.cli import main, output_names, safe_stem
from invoice_extractor.errors import UnknownExtractor
from invoice_extractor.export.csv_export import INVOICE_COLUMNS
from invoice_extractor.model import Invoice
from invoice_extractor.progress import ProgressBar

if TYPE_CHECKING:
    from conftest import InstallPipeline as InstallFake
    from conftest import MakePdf

# The top-level keys of an invoice object in SCHEMA.md's example.
SCHEMA_KEYS = {
    "file", "pages", "status", "extractor", "document_type", "invoice_number", "issue_date",
    "due_date", "currency", "po_number", "buyer_reference", "seller", "buyer", "payment",
    "subtotal", "allowances", "charges", "tax_exclusive_total", "tax_total", "total", "prepaid",
    "amount_due", "tax_lines", "line_items", "evidence", "warnings",
}  # fmt: skip

INVOICE_LINES = [
    "ACME Software GmbH, Hauptstr. 1, 10115 Berlin",
    "USt-IdNr.: DE123456789",
    "Rechnung / Invoice",
    "Invoice number: INV-2024-001",
    "Invoice date: 31.03.2024",
    "Bill to: Kunde AG, Marktplatz 5, 80331 Muenchen",
    "Consulting services      2     50.00     100.00",
    "Subtotal: 100.00 EUR",
    "VAT 19%: 19.00 EUR",
    "Total: 119.00 EUR",
    "IBAN: DE02 1203 0000 0000 2020 51",
]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _pdf(directory: Path, name: str) -> Path:
    """A file the stand-in pipeline reads as a good PDF."""
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%PDF-1.7 stand-in")
    return path


# --- extract, with the stand-in pipeline ------------------------------------------------------


def test_extract_prints_one_json_array_for_all_files(
    tmp_data_dir: Path, fake_pipeline: InstallFake, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_pipeline()
    a, b = _pdf(tmp_data_dir, "a.pdf"), _pdf(tmp_data_dir, "b.pdf")
    code, out, err = _run(capsys, "extract", str(a), str(b))
    assert code == 0 and err == ""
    data = json.loads(out)
    assert [(obj["file"], obj["invoice_number"], obj["status"]) for obj in data] == [
        ("a.pdf", "a", "ok"),
        ("b.pdf", "b", "ok"),
    ]
    assert set(data[0]) >= SCHEMA_KEYS


def test_extract_exit_codes_follow_the_files(
    tmp_data_dir: Path, fake_pipeline: InstallFake, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_pipeline()
    good = _pdf(tmp_data_dir, "good.pdf")
    text = tmp_data_dir / "notes.pdf"
    text.write_text("not a pdf")
    missing = tmp_data_dir / "missing.pdf"

    code, out, _ = _run(capsys, "extract", str(missing), str(good), str(text))
    assert code == 0  # one file came out
    assert [obj["status"] for obj in json.loads(out)] == ["failed", "ok", "failed"]

    code, out, _ = _run(capsys, "extract", str(missing), str(text))
    assert code == 1  # every file failed
    assert all(obj["error"] for obj in json.loads(out))


def test_extractor_option_reaches_the_pipeline(
    tmp_data_dir: Path, fake_pipeline: InstallFake, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[str | None] = []

    def extract_file(path: Path, *, settings: Any = None, extractor: str | None = None) -> Any:
        calls.append(extractor)
        return [Invoice(file=path.name, extractor=extractor or settings.extractor)]

    fake_pipeline(extract_file)
    good = str(_pdf(tmp_data_dir, "a.pdf"))
    assert _run(capsys, "extract", good, "--extractor", "other")[0] == 0
    assert _run(capsys, "extract", good)[0] == 0
    assert calls == ["other", None]  # None: the pipeline takes the EXTRACTOR setting


def test_unknown_extractor_is_a_usage_error(
    tmp_data_dir: Path, fake_pipeline: InstallFake, capsys: pytest.CaptureFixture[str]
) -> None:
    def extract_file(path: Path, **_: Any) -> list[Invoice]:
        raise UnknownExtractor("unknown extractor 'nope'; valid: embedded, other")

    fake_pipeline(extract_file)
    code, out, err = _run(capsys, "extract", str(_pdf(tmp_data_dir, "a.pdf")), "--extractor", "x")
    assert code == 2 and out == ""
    assert "valid: embedded, other" in err


def test_csv_output_parses(
    tmp_data_dir: Path, fake_pipeline: InstallFake, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_pipeline()
    a = _pdf(tmp_data_dir, "a.pdf")
    code, out, _ = _run(capsys, "extract", str(a), str(tmp_data_dir / "gone.pdf"), "--format=csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert list(rows[0]) == list(INVOICE_COLUMNS)
    assert [(r["file"], r["pages"], r["status"]) for r in rows] == [
        ("a.pdf", "1", "ok"),
        ("gone.pdf", "", "failed"),
    ]


def test_out_writes_one_sanitised_file_per_input(
    tmp_data_dir: Path, fake_pipeline: InstallFake, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_pipeline()
    inputs = [
        _pdf(tmp_data_dir, "Rechnung März (1).pdf"),
        _pdf(tmp_data_dir, "..hidden;rm -rf.pdf"),
        _pdf(tmp_data_dir / "sub", "a.pdf"),
        _pdf(tmp_data_dir, "a.pdf"),
        tmp_data_dir / "missing.pdf",
    ]
    out_dir = tmp_data_dir / "out" / "nested"
    code, stdout, _ = _run(capsys, "extract", *map(str, inputs), "--out", str(out_dir), "--quiet")
    assert code == 0
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == [
        "Rechnung_M_rz__1_.json",
        "a-2.json",
        "a.json",
        "hidden_rm_-rf.json",
        "missing.json",
    ]
    assert json.loads((out_dir / "missing.json").read_text())[0]["status"] == "failed"
    assert len(json.loads(stdout)) == 5  # stdout still has everything

    _run(capsys, "extract", str(inputs[0]), "--out", str(out_dir), "--format", "csv")
    rows = list(csv.DictReader((out_dir / "Rechnung_M_rz__1_.csv").open(newline="")))
    assert rows[0]["file"] == "Rechnung März (1).pdf"


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("invoice.pdf", "invoice"),
        ("a b/c.pdf", "c"),
        ("..pdf", "file"),
        ("...x.pdf", "x"),
        ("Ärger €.pdf", "_rger__"),
        ("x.visual.pdf", "x.visual"),
    ],
)
def test_safe_stem(name: str, stem: str) -> None:
    assert safe_stem(name) == stem


def test_output_names_are_distinct_ignoring_case() -> None:
    paths = [Path("a/X.pdf"), Path("b/x.pdf"), Path("c/x.pdf")]
    assert output_names(paths) == ["X", "x-2", "x-3"]


def test_out_that_is_a_file_is_a_usage_error(
    tmp_data_dir: Path, fake_pipeline: InstallFake, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_pipeline()
    blocker = tmp_data_dir / "blocker"
    blocker.write_text("")
    code, out, err = _run(
        capsys, "extract", str(_pdf(tmp_data_dir, "a.pdf")), "--out", str(blocker)
    )
    assert code == 2 and out == "" and "--out" in err


@pytest.mark.parametrize(
    "argv",
    [[], ["extract"], ["extract", "a.pdf", "--format", "xml"], ["frobnicate"], ["eval"]],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == "" and "usage:" in err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "extract", "--help")
    assert code == 0 and "--extractor" in out


# --- progress ---------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_only_on_a_terminal() -> None:
    terminal = _Terminal()
    with ProgressBar(stream=terminal) as bar:
        bar(1, 4, "first-long-name.pdf")
        bar(4, 4, "b.pdf")
    drawn = terminal.getvalue()
    assert "\r[##--------] 1/4 first-long-name.pdf" in drawn
    assert "\r[##########] 4/4 b.pdf" + " " * 14 in drawn  # the longer line is blanked out
    assert drawn.endswith("\r")  # erased at the end

    piped = io.StringIO()
    with ProgressBar(stream=piped) as bar:
        bar(1, 2, "a.pdf")
    assert piped.getvalue() == ""
    quiet = _Terminal()
    with ProgressBar(stream=quiet, enabled=False) as bar:
        bar(1, 2, "a.pdf")
    assert quiet.getvalue() == ""


def test_progress_goes_to_a_terminal_stderr_never_stdout(
    tmp_data_dir: Path,
    fake_pipeline: InstallFake,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_pipeline()
    files = [str(_pdf(tmp_data_dir, f"{n}.pdf")) for n in "abc"]
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert main(["extract", *files]) == 0
    assert "3/3 c.pdf" in terminal.getvalue()
    assert "\r" not in capsys.readouterr().out

    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert main(["extract", *files, "--quiet"]) == 0
    assert main(["extract", files[0]]) == 0  # one file: no bar
    assert terminal.getvalue() == ""


# --- eval -------------------------------------------------------------------------------------


def _corpus(root: Path, write_document: Callable[[Path], object]) -> Path:
    """``corpus/vendor/acme.visual.pdf`` (written by ``write_document(folder)``) with its truth."""
    vendor = root / "corpus" / "vendor"
    vendor.mkdir(parents=True)
    write_document(vendor)
    truth = {
        "invoice_number": "INV-2024-001",
        "total": "119.00",
        "_qc": {"recommended_fields_for_visual_eval": ["invoice_number", "total"]},
    }
    (vendor / "acme.truth.json").write_text(json.dumps(truth))
    return root / "corpus"


def test_eval_prints_the_report(
    tmp_data_dir: Path, fake_pipeline: InstallFake, capsys: pytest.CaptureFixture[str]
) -> None:
    def extract_file(path: Path, **_: Any) -> list[Invoice]:
        return [Invoice(file=path.name, pages=[1], invoice_number="INV-2024-001", total=Decimal(1))]

    fake_pipeline(extract_file)
    corpus = _corpus(tmp_data_dir, lambda d: _pdf(d, "acme.visual.pdf"))
    code, out, _ = _run(capsys, "eval", str(corpus))
    assert code == 0
    assert "invoice_number  1        1    100.0%" in out and "header (macro)" in out
    code, out, _ = _run(capsys, "eval", str(corpus), "--verbose")
    assert "vendor/acme.visual.pdf\n  total  expected '119.00'  got '1'" in out
    code, out, _ = _run(capsys, "eval", str(corpus), "--json", "--subset", "einvoice")
    assert json.loads(out)["fields"][0]["accuracy"] == 1.0


def test_eval_without_cases_exits_2(tmp_data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_data_dir / "lonely.pdf").write_bytes(b"%PDF")
    code, out, err = _run(capsys, "eval", str(tmp_data_dir))
    assert code == 2 and out == "" and "no documents" in err
    code, _, err = _run(capsys, "eval", str(tmp_data_dir / "nowhere"))
    assert code == 2 and "not a directory" in err


# --- the real pipeline ------------------------------------------------------------------------


def test_real_extract_keeps_going_past_bad_files(
    tmp_data_dir: Path, make_pdf: MakePdf, capsys: pytest.CaptureFixture[str]
) -> None:
    good = make_pdf([INVOICE_LINES], "good.pdf")
    corrupt = tmp_data_dir / "corrupt.pdf"
    corrupt.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 4)
    empty = tmp_data_dir / "empty.pdf"
    empty.write_bytes(b"")
    text = tmp_data_dir / "text.pdf"
    text.write_text("Invoice 42, total 10.00\n")
    missing = tmp_data_dir / "missing.pdf"

    paths = [corrupt, empty, good, text, missing]
    code, out, _ = _run(capsys, "extract", *map(str, paths))
    assert code == 0
    data = json.loads(out)
    assert [obj["file"] for obj in data] == [p.name for p in paths]
    assert [obj["status"] == "failed" for obj in data] == [True, True, False, True, True]
    for obj in data:
        assert set(obj) >= SCHEMA_KEYS
        Invoice.model_validate(obj)  # the JSON reads back into the model
        if obj["status"] == "failed":
            assert obj["file"] in obj["error"]  # a message that says which file and why
    assert data[2]["pages"] == [1] and data[2]["extractor"] == "embedded"


def test_real_extract_exit_1_when_every_file_fails(
    tmp_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_data_dir / "empty.pdf"
    empty.write_bytes(b"")
    code, out, _ = _run(capsys, "extract", str(empty), str(tmp_data_dir / "missing.pdf"))
    assert code == 1
    assert [obj["status"] for obj in json.loads(out)] == ["failed", "failed"]


def test_real_unknown_extractor_lists_valid_names(
    make_pdf: MakePdf, capsys: pytest.CaptureFixture[str]
) -> None:
    good = make_pdf([INVOICE_LINES], "good.pdf")
    code, out, err = _run(capsys, "extract", str(good), "--extractor", "no-such-backend")
    assert code == 2 and out == ""
    assert "no-such-backend" in err and "embedded" in err


def test_real_eval_on_a_generated_corpus(
    tmp_data_dir: Path, make_pdf: MakePdf, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = _corpus(
        tmp_data_dir, lambda d: make_pdf([INVOICE_LINES], "acme.visual.pdf", directory=d)
    )
    code, out, _ = _run(capsys, "eval", str(corpus), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["documents"] == 1 and report["failed"] == 0 and report["pages"] == 1


def test_a_short_command_builds_its_classes_from_cached_code_a_server_does_not(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import dataclasses

    from invoice_extractor import cli

    seen: dict[str, bool] = {}

    def handler(args: argparse.Namespace, settings: object) -> int:
        seen[args.command] = "exec" in vars(dataclasses)  # the cache's wrapper is in place
        return 0

    monkeypatch.setattr(cli, "_serve", handler)
    monkeypatch.setattr(cli, "_synth", handler)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cli.main(["serve"]) == 0
    assert cli.main(["synth", str(tmp_path / "out")]) == 0
    assert seen == {"serve": False, "synth": True}
    assert "exec" not in vars(dataclasses)  # and gone once the command returns
