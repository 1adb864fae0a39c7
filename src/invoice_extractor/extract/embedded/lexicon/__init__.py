"""The engine's words, one file per language (``en.py``, ``de.py``, ...), merged for matching.

Every module of this package whose name does not start with ``_`` is a language and defines
``LEXICON``; adding a language is adding its file. The merged forms below are what the rules use:
label regexes per field, month names, table headings, legal forms, titles, receipt words and the
frequent words per language. All regex fragments pass through ``plain`` (accents folded).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable

from . import _international
from ._forms import HEADING_KINDS, LABEL_FIELDS, Lexicon, plain

__all__ = [
    "COPY_MARKS",
    "CREDIT_TITLES",
    "DOCUMENT_TITLES",
    "FREQUENT_WORDS",
    "HEADING_KINDS",
    "LABEL_FIELDS",
    "LABEL_PATTERNS",
    "LEGAL_FORMS",
    "LEXICONS",
    "MONTH_NAMES",
    "NAME_CAPTIONS",
    "RECEIPT_WORDS",
    "TABLE_HEADINGS",
    "Lexicon",
    "alternation",
]


def _discover() -> dict[str, Lexicon]:
    found: dict[str, Lexicon] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        lexicon = importlib.import_module(f"{__name__}.{info.name}").LEXICON
        if not isinstance(lexicon, Lexicon) or lexicon.code != info.name:
            raise TypeError(f"lexicon/{info.name}.py must define LEXICON = Lexicon({info.name!r})")
        found[info.name] = lexicon
    return found


LEXICONS: dict[str, Lexicon] = _discover()
"""Every language's lexicon by its code."""


def _merged(groups: Iterable[Iterable[str]], *, regex: bool = True) -> tuple[str, ...]:
    """The entries of several groups in order, each once."""
    found: dict[str, None] = {}
    for group in groups:
        for entry in group:
            found.setdefault(plain(entry) if regex else entry, None)
    return tuple(found)


def _ordered() -> list[Lexicon]:
    # English first: where two labels are equally long, the English one is tried first.
    return sorted(LEXICONS.values(), key=lambda lex: (lex.code != "en", lex.code))


def alternation(fragments: Iterable[str]) -> str:
    """One regex group of the fragments, longest first, so "credit note" wins over "credit"."""
    return "(?:" + "|".join(sorted(fragments, key=len, reverse=True)) + ")"


LABEL_PATTERNS: dict[str, tuple[str, ...]] = {
    field: _merged(
        [*(lex.labels[field] for lex in _ordered()), _international.LABELS.get(field, ())]
    )
    for field in LABEL_FIELDS
}
DOCUMENT_TITLES = _merged(lex.document_titles for lex in _ordered())
CREDIT_TITLES = _merged([*(lex.credit_titles for lex in _ordered()), _international.CREDIT_TITLES])
COPY_MARKS = _merged(lex.copy_marks for lex in _ordered())
LEGAL_FORMS = _merged([*(lex.legal_forms for lex in _ordered()), _international.LEGAL_FORMS])
NAME_CAPTIONS = _merged(lex.name_captions for lex in _ordered())
RECEIPT_WORDS = _merged(lex.receipt_words for lex in _ordered())
MONTH_NAMES: tuple[tuple[str, ...], ...] = tuple(
    _merged((lex.months[month] for lex in _ordered()), regex=False) for month in range(12)
)
"""Per month (January first): its names and abbreviations in every language."""


def _headings(kind: str) -> tuple[str, ...]:
    words = _merged(
        [
            *(lex.table_headings[kind] for lex in _ordered()),
            _international.TABLE_HEADINGS.get(kind, ()),
        ],
        regex=False,
    )
    # Compounds are printed with and without their hyphen: "E-Preis", "EPreis".
    return _merged([words, (w.replace("-", "") for w in words if "-" in w)], regex=False)


TABLE_HEADINGS: dict[str, tuple[str, ...]] = {kind: _headings(kind) for kind in HEADING_KINDS}
FREQUENT_WORDS: dict[str, frozenset[str]] = {
    code: lex.frequent_words for code, lex in LEXICONS.items()
}
