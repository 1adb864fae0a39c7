"""Golden tests: the whole output of ``extract_file`` on fixed corpus documents, field by field.

Each document's invoices (SCHEMA.md objects from ``to_json_dict()``, evidence boxes rounded to one
decimal) are compared with ``tests/golden/<folder>__<name>.json``. After an intended change of the
engine, regenerate them and review the diff of the JSON files::

    INVOICE_EXTRACTOR_UPDATE_GOLDEN=1 pytest tests/test_golden.py
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from invoice_extractor import pipeline
from invoice_extractor.extract.embedded.ranker import packaged_model, using_model

CORPUS = (Path(__file__).parents[1] / ".." / "shared" / "corpus").resolve()
GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("INVOICE_EXTRACTOR_UPDATE_GOLDEN") == "1"
MAX_DIFFS = 40

DOCUMENTS = [
    # e-invoice layouts of different vendors, with the XML removed
    "zugferd-corpus/EN16931_Rabatte.visual.pdf",
    "4d-writepro-facturx/facturxSample_AlphaCars_de.visual.pdf",
    "securibox-facturx/Facture_F20260023-LE_FOURNISSEUR-POUR-LE_CLIENT_EXTENDED.visual.pdf",
    "factur-x-kit/ZFdemo_2p1_en16931_67b499beca63e.visual.pdf",
    "mustangproject/Facture_F20180027.visual.pdf",
    "oca-edi/AzureInterior.visual.pdf",
    "horstoeko-zugferd/pdf_fx_extended_1.visual.pdf",
    "zugferd-csharp/BASIC_Einfach_xmlvis.visual.pdf",  # a viewer's rendering of the XML
    # plain vendor PDFs
    "invoice2data/AmazonWebServices.pdf",
    "invoice2data/QualityHosting.pdf",
    "parsee-invoices/Calendly-invoice_3189846.pdf",
    "parsee-invoices/Rechnung_Indeed.com.pdf",
]


_NUMBER_LIST = re.compile(r"\[\n\s+(-?[\d.]+(?:,\n\s+-?[\d.]+)*)\n\s+\]")


def _one_line(match: re.Match[str]) -> str:
    """``[1, 2]`` on one line: boxes and page lists stay readable in the JSON files."""
    return "[" + re.sub(r",\n\s+", ", ", match.group(1)) + "]"


def golden_path(document: str) -> Path:
    folder, name = document.split("/")
    return GOLDEN / f"{folder}__{name.removesuffix('.pdf')}.json"


def snapshot(path: Path) -> list[dict[str, Any]]:
    """The invoices of one file as plain JSON data, evidence boxes rounded to 0.1 pt."""
    result = []
    for invoice in pipeline.extract_file(path):
        data = invoice.to_json_dict()
        for evidence in data["evidence"].values():
            evidence["bbox"] = [round(v, 1) for v in evidence["bbox"]]
        result.append(data)
    loaded: list[dict[str, Any]] = json.loads(json.dumps(result))  # tuples -> lists, as on disk
    return loaded


def differences(expected: Any, got: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """``(field path, expected, got)`` for every leaf that differs."""
    if isinstance(expected, dict) and isinstance(got, dict):
        found = []
        for key in [*expected, *(k for k in got if k not in expected)]:
            where = f"{path}.{key}" if path else str(key)
            if key not in got:
                found.append((where, expected[key], "<missing>"))
            elif key not in expected:
                found.append((where, "<missing>", got[key]))
            else:
                found += differences(expected[key], got[key], where)
        return found
    if isinstance(expected, list) and isinstance(got, list) and not _is_bbox(expected):
        found = []
        for i in range(max(len(expected), len(got))):
            where = f"{path}.{i}" if path else f"[{i}]"
            if i >= len(got):
                found.append((where, expected[i], "<missing>"))
            elif i >= len(expected):
                found.append((where, "<missing>", got[i]))
            else:
                found += differences(expected[i], got[i], where)
        return found
    return [] if expected == got else [(path, expected, got)]


def _is_bbox(value: list[Any]) -> bool:
    return len(value) == 4 and all(isinstance(v, int | float) for v in value)


def format_differences(document: str, diffs: list[tuple[str, Any, Any]]) -> str:
    lines = [f"{document}: {len(diffs)} field(s) differ from {golden_path(document).name}"]
    for where, expected, got in diffs[:MAX_DIFFS]:
        lines.append(f"  {where}\n      expected {expected!r}\n      got      {got!r}")
    if len(diffs) > MAX_DIFFS:
        lines.append(f"  ... and {len(diffs) - MAX_DIFFS} more")
    lines.append(
        "If the change is intended: INVOICE_EXTRACTOR_UPDATE_GOLDEN=1 pytest tests/test_golden.py"
    )
    return "\n".join(lines)


def test_differences_name_the_field_path() -> None:
    expected = [{"total": "1.00", "seller": {"name": "A"}, "line_items": [{"amount": "1"}]}]
    got = [{"total": "2.00", "seller": {"name": "A"}, "line_items": [], "extra": 1}]
    assert differences(expected, got) == [
        ("[0].total", "1.00", "2.00"),
        ("[0].line_items.0", {"amount": "1"}, "<missing>"),
        ("[0].extra", "<missing>", 1),
    ]
    assert differences([{"bbox": [1, 2, 3, 4]}], [{"bbox": [1, 2, 3, 5]}]) == [
        ("[0].bbox", [1, 2, 3, 4], [1, 2, 3, 5])
    ]
    text = format_differences("a/b.pdf", [("[0].total", "1.00", "2.00")])
    assert "a/b.pdf: 1 field(s) differ from a__b.json" in text
    assert "[0].total\n      expected '1.00'\n      got      '2.00'" in text


@pytest.fixture(autouse=True)
def product_threshold() -> Any:
    """Golden files hold what the product prints: the packaged model's own threshold."""
    with using_model(packaged_model()):
        yield


@pytest.mark.corpus
@pytest.mark.parametrize("document", DOCUMENTS)
def test_golden(document: str) -> None:
    source = CORPUS / document
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS} (../shared/corpus beside the checkout)")
    if not source.is_file():
        pytest.skip(f"{document} is not in the corpus at {CORPUS}")
    got = snapshot(source)
    golden = golden_path(document)
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        text = _NUMBER_LIST.sub(_one_line, json.dumps(got, indent=2, ensure_ascii=False)) + "\n"
        golden.write_text(text, encoding="utf-8")
        pytest.skip(f"golden file written: {golden.relative_to(GOLDEN.parent)}")
    if not golden.is_file():
        pytest.fail(f"{golden} is missing; create it with INVOICE_EXTRACTOR_UPDATE_GOLDEN=1")
    expected = json.loads(golden.read_text(encoding="utf-8"))
    diffs = differences(expected, got)
    assert not diffs, format_differences(document, diffs)


def test_every_golden_file_belongs_to_a_listed_document() -> None:
    if not GOLDEN.is_dir():
        pytest.skip("no golden files yet")
    listed = {golden_path(d).name for d in DOCUMENTS}
    assert sorted(p.name for p in GOLDEN.glob("*.json") if p.name not in listed) == []
