"""The corpus's documents: which files have a truth file, in which subset.

Apart from ``evaluation`` (which scores them) so that the CLI names the subsets without loading
the scoring rules: every CLI process builds the ``eval`` command's options.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VISUAL_SUFFIX = ".visual.pdf"
TRUTH_SUFFIX = ".truth.json"
EMBEDDED_XML_SUFFIX = ".embedded.xml"


@dataclass(frozen=True, slots=True)
class Case:
    """One corpus document and its truth file."""

    input: Path
    truth: Path
    exact: bool = False  # an e-invoice read from its XML: every truth field is scored

    @property
    def id(self) -> str:
        """``source-folder/file-name``: unique in the corpus, and says where to look."""
        return f"{self.input.parent.name}/{self.input.name}"


def _stem(path: Path) -> str:
    """``NAME`` of ``NAME.visual.pdf``, ``NAME.embedded.xml`` or ``NAME.pdf``: the name its
    sibling files share."""
    name = path.name
    for suffix in (VISUAL_SUFFIX, EMBEDDED_XML_SUFFIX):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def truth_path(document: Path) -> Path:
    return document.with_name(_stem(document) + TRUTH_SUFFIX)


def _einvoice(root: Path) -> Iterable[Path]:
    return root.rglob("*" + VISUAL_SUFFIX)


def _plain(root: Path) -> Iterable[Path]:
    # A PDF with an ``.embedded.xml`` sibling is an e-invoice original: its XML would answer for it.
    for path in root.rglob("*.pdf"):
        if path.name.endswith(VISUAL_SUFFIX):
            continue
        if not path.with_name(_stem(path) + EMBEDDED_XML_SUFFIX).exists():
            yield path


def _facturx(root: Path) -> Iterable[Path]:
    # The e-invoice originals: PDFs that carry their XML (an ``.embedded.xml`` sibling says so).
    for path in root.rglob("*.pdf"):
        if (
            not path.name.endswith(VISUAL_SUFFIX)
            and path.with_name(_stem(path) + EMBEDDED_XML_SUFFIX).exists()
        ):
            yield path


def _images(root: Path) -> Iterable[Path]:
    folder = root / "sroie"
    return [*folder.glob("*.jpg"), *folder.glob("*.png")]


def _all_images(root: Path) -> Iterable[Path]:
    # Scans and photos anywhere under the folder (a folder of synthetic receipts).
    return [p for p in root.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png")]


_FINDERS: dict[str, Callable[[Path], Iterable[Path]]] = {
    "einvoice": _einvoice,
    "i2d": lambda root: (root / "invoice2data").glob("*.pdf"),
    "parsee": lambda root: (root / "parsee-invoices").glob("*.pdf"),
    "sroie": _images,
    "plain": _plain,
    "facturx": _facturx,
    "xml": lambda root: root.rglob("*" + EMBEDDED_XML_SUFFIX),
    "images": _all_images,
}
EXACT_SUBSETS: frozenset[str] = frozenset({"facturx", "xml"})
SUBSETS: tuple[str, ...] = tuple(_FINDERS)
DEFAULT_SUBSETS: tuple[str, ...] = ("einvoice", "plain")


def find_cases(corpus_dir: Path, subset: str | None = None) -> list[Case]:
    """The documents of ``subset`` (default: e-invoices and plain PDFs) that have a truth file."""
    if subset is not None and subset not in _FINDERS:
        raise ValueError(f"unknown subset {subset!r}; valid: {', '.join(SUBSETS)}")
    inputs: set[Path] = set()
    for name in (subset,) if subset else DEFAULT_SUBSETS:
        inputs.update(p for p in _FINDERS[name](corpus_dir) if p.is_file())
    exact = subset in EXACT_SUBSETS
    return [Case(p, truth_path(p), exact) for p in sorted(inputs) if truth_path(p).is_file()]


def load_truth(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a truth file holds one JSON object")
    return data
