"""How each field is announced on a page: the labels of every language in ``lexicon``, compiled.

Patterns are matched against accent-folded, lower-cased text (``text.fold``); each label is a
regex fragment, and word boundaries are added around it.
"""

from __future__ import annotations

import re

from .lexicon import LABEL_PATTERNS

LABELS: dict[str, list[str]] = {field: list(p) for field, p in LABEL_PATTERNS.items()}
"""Label regexes per field, every language merged (the compiled form of ``lexicon``)."""


def _compile(patterns: list[str]) -> re.Pattern[str]:
    # Longest alternatives first so "invoice date" wins over "date".
    ordered = sorted(patterns, key=len, reverse=True)
    # A label ending in a symbol may have its value glued on: "Facture n°562044387".
    return re.compile(r"(?<![\w])(?:" + "|".join(ordered) + r")(?:(?<=[°º#.:])|(?![\w]))")


LABEL_RES: dict[str, re.Pattern[str]] = {field: _compile(p) for field, p in LABELS.items()}
