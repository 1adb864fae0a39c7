"""Corpus e-invoices read and written back: how many pass the XSD and the EN 16931 schematron.

Each ``*.embedded.xml`` of the corpus (the XML a Factur-X / ZUGFeRD / XRechnung PDF carries) is
read by the ``einvoice`` reader and written back as ``convert`` does (``completed``, then CII or
UBL), then checked: the XSD (``validate_xml``) and, where the XSD passes, the official EN 16931
schematron (``rule_errors``, Saxon). Factur-X PDFs carry the CII XML, so the CII figure is theirs
too; with ``--facturx`` each corpus PDF beside its XML is also written back as a Factur-X PDF,
and that PDF's attached XML is checked again.

    python benchmarks/einvoice_roundtrip.py [CORPUS] [--facturx] [--rules] [--verbose]

``--rules`` prints how often each failing rule occurs; ``--verbose`` one line per failing file.
"""

from __future__ import annotations

import argparse
import collections
import io
import logging
import re
import sys
import time
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from invoice_extractor.export.en16931_rules import rules_engine
from invoice_extractor.export.facturx import Target, convert, validate_xml
from invoice_extractor.extract.einvoice import read_invoice_xml

_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
_RULE = re.compile(r"\[?(BR-[A-Z0-9-]+|[A-Z]+-[A-Z-]*\d+)\]?")


def _failures(path: Path, target: Target) -> list[str]:
    invoice = read_invoice_xml(path.read_bytes(), path.name)
    pdf = None
    if target == "facturx":
        pdf = path.with_name(path.name.removesuffix(".embedded.xml") + ".pdf").read_bytes()
    result = convert(invoice, target, pdf)
    if target == "facturx" and result.data is not None:
        try:
            attached = PdfReader(io.BytesIO(result.data)).attachments.get("factur-x.xml")
        except PdfReadError as exc:  # another attachment of the original is broken
            return [f"READ: the written PDF's attachments cannot be read ({exc})"]
        if not attached:
            return ["READ: no factur-x.xml attached to the written PDF"]
        return [f"XSD {e}" for e in validate_xml(attached[-1], "cii")] + result.rule_errors
    return [f"XSD {e}" for e in result.xsd_errors] + result.rule_errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=_CORPUS)
    parser.add_argument("--facturx", action="store_true", help="also write Factur-X PDFs")
    parser.add_argument("--rules", action="store_true", help="count the failing rules")
    parser.add_argument("--verbose", action="store_true", help="one line per failing file")
    args = parser.parse_args()
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # the originals' broken xref tables
    files = sorted(args.corpus.rglob("*.embedded.xml"))
    targets: list[Target] = ["cii", "ubl"]
    if args.facturx:
        targets.append("facturx")
    print(f"{len(files)} corpus e-invoices, rules engine: {rules_engine()}")
    for target in targets:
        started = time.perf_counter()
        passed, rules = 0, collections.Counter[str]()
        checked = [p for p in files if target != "facturx" or _has_pdf(p)]
        for path in checked:
            failures = _failures(path, target)
            if not failures:
                passed += 1
                continue
            codes = sorted({_code(f) for f in failures})
            rules.update(codes)
            if args.verbose:
                print(f"  {target} FAIL {path.relative_to(args.corpus)}: {', '.join(codes)}")
        seconds = time.perf_counter() - started
        print(f"{target}: {passed} of {len(checked)} pass XSD and schematron ({seconds:.1f} s)")
        if args.rules:
            for rule, count in rules.most_common():
                print(f"    {count:3d} {rule}")
    return 0


def _has_pdf(path: Path) -> bool:
    return path.with_name(path.name.removesuffix(".embedded.xml") + ".pdf").is_file()


def _code(failure: str) -> str:
    if failure.startswith("XSD "):
        return "XSD"
    match = _RULE.match(failure)
    return match.group(1) if match else failure[:40]


if __name__ == "__main__":
    sys.exit(main())
