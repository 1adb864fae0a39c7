"""What a plain text PDF costs to read: the stacks it does not need (OCR, the e-invoice XML
readers, the evaluation's scoring rules) are never imported. A CLI run pays every import once
per process, so a module loaded for nothing is start-up time of every batch
(``benchmarks/engine_speed.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import MakePdf

# The OCR stack (page clean-up, engines and their registry) and the e-invoice XML readers.
NOT_NEEDED = (
    "invoice_extractor.ingest.ocr.page",
    "invoice_extractor.ingest.ocr.registry",
    "invoice_extractor.ingest.ocr.cleanup",
    "invoice_extractor.extract.einvoice.reader",
    "invoice_extractor.extract.einvoice.cii",
    "invoice_extractor.extract.einvoice.ubl",
    "invoice_extractor.extract.einvoice.xmltree",
    # The eval command's report and scoring rules: the CLI names its subsets from ``corpus``.
    "invoice_extractor.evaluation",
    "invoice_extractor.scoring",
)

# A fresh interpreter: the test process itself has imported everything already.
_PROBE = """
import contextlib, io, json, sys
from invoice_extractor.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = main(["extract", "--quiet", sys.argv[1]])
print(json.dumps({"code": code, "output": out.getvalue(), "modules": sorted(sys.modules)}))
"""


def test_a_text_pdf_is_read_without_the_ocr_and_einvoice_stacks(make_pdf: MakePdf) -> None:
    pdf = make_pdf(
        [
            [
                "ACME Software GmbH, Hauptstr. 1, 10115 Berlin",
                "Invoice number: INV-2024-001",
                "Invoice date: 31.03.2024",
                "Total: 119.00 EUR",
            ]
        ]
    )
    run = subprocess.run(
        [sys.executable, "-c", _PROBE, str(pdf)], capture_output=True, text=True, check=True
    )
    result = json.loads(run.stdout)
    assert result["code"] == 0
    (invoice,) = json.loads(result["output"])
    assert invoice["invoice_number"] == "INV-2024-001"  # it was read, by the text layer
    loaded = set(result["modules"])
    assert "invoice_extractor.ingest.ocr.scanned" in loaded  # the probe saw the real pipeline
    assert [name for name in NOT_NEEDED if name in loaded] == []


def test_the_einvoice_reader_is_still_reachable_from_the_package() -> None:
    from invoice_extractor.extract import einvoice

    assert einvoice.read_invoice_xml.__module__ == "invoice_extractor.extract.einvoice.reader"


_PLUGINS_PROBE = """
import json, os
import invoice_extractor.cli
from invoice_extractor.model import Invoice
from pydantic.plugin import _loader

Invoice(file="x.pdf")  # a model built and used: where pydantic would look for plugins
print(json.dumps([os.environ.get("PYDANTIC_DISABLE_PLUGINS"), _loader._plugins is None]))
"""


def _plugins_probe(**env: str) -> list[object]:
    environment = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    run = subprocess.run(
        [sys.executable, "-c", _PLUGINS_PROBE],
        capture_output=True,
        text=True,
        check=True,
        env=environment | env,
    )
    result: list[object] = json.loads(run.stdout)
    return result


def test_the_cli_does_not_look_for_pydantic_plugins_unless_the_user_says_so() -> None:
    # Not looked for: the installed distributions' entry points are never scanned.
    assert _plugins_probe() == ["__all__", True]
    # The user's own value wins: an empty one has pydantic look for plugins as it would.
    assert _plugins_probe(PYDANTIC_DISABLE_PLUGINS="") == ["", False]
