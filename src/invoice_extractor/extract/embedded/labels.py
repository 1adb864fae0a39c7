"""How each field is announced on a page: the labels of every language in ``lexicon``, compiled.

Patterns are matched against accent-folded, lower-cased text (``text.fold``); each label is a
regex fragment, and word boundaries are added around it.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from .code_cache import compile_regex, data_made
from .lexicon import LABEL_PATTERNS


def _made(part: str, make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``make()``, a dict by field, kept in the cache under what it is made from: this module's
    source and the lexicon's labels. Hyphenating every label and scanning it for its anchors is
    pure Python that cost every process's start more than reading the result back."""
    try:
        source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    except OSError:  # a zipped install: made in every process
        return make()
    key = f"<labels {part}>\0{source}\0{json.dumps(LABEL_PATTERNS, sort_keys=True)}"
    found = data_made(key, make)
    return found if _is_table(found) else make()


def _is_table(found: Any) -> bool:
    """Whether a cached entry has the shape both tables have: by field, strings or None."""
    return (
        isinstance(found, dict)
        and found.keys() == LABEL_PATTERNS.keys()
        and all(
            value is None
            or (isinstance(value, list | tuple) and all(isinstance(v, str) for v in value))
            for value in found.values()
        )
    )


def hyphenable(pattern: str) -> str:
    """The label with a hyphen allowed wherever it allows a space: multi-word labels are also
    printed hyphenated ("VAT-ID", "Due-Date", "Bill-to"). Only ``\\s`` outside a character
    class changes, so the pattern's other escapes and classes keep their meaning."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("\\s", i):
            out.append("[\\s-]")
            i += 2
        elif pattern[i] == "\\":
            out.append(pattern[i : i + 2])
            i += 2
        elif pattern[i] == "[":
            end = pattern.index("]", i + 2) + 1
            out.append(pattern[i:end])
            i = end
        else:
            out.append(pattern[i])
            i += 1
    return "".join(out)


LABELS: dict[str, list[str]] = _made(
    "hyphenable", lambda: {f: [hyphenable(x) for x in p] for f, p in LABEL_PATTERNS.items()}
)
"""Label regexes per field, every language merged (the compiled form of ``lexicon``)."""


def _compile(patterns: list[str], tolerant: bool = False) -> re.Pattern[str]:
    # Longest alternatives first so "invoice date" wins over "date".
    ordered = sorted(patterns, key=len, reverse=True)
    if tolerant:
        ordered = [ocr_tolerant(p) for p in ordered]
    # A label ending in a symbol may have its value glued on: "Facture n°562044387".
    return compile_regex(r"(?<![\w])(?:" + "|".join(ordered) + r")(?:(?<=[°º#.:])|(?![\w]))")


LABEL_RES: dict[str, re.Pattern[str]] = {field: _compile(p) for field, p in LABELS.items()}

# Letters OCR reads as others of the same shape: "USt.-ld.-Nr." (I as l in a sans-serif font),
# "T0tal", "Nurnmer". In a label read by OCR each stands for any of its look-alikes.
_LOOK_ALIKES = {"i": "[il1|]", "l": "[il1|]", "o": "[o0]", "m": "(?:m|rn)", "'": "'?"}
_GROUP_SYNTAX = ("(?:", "(?=", "(?!", "(?<=", "(?<!")


def ocr_tolerant(pattern: str) -> str:
    """The label regex with each literal letter OCR confuses standing for its look-alikes (and
    "rn" for "m"), so a label read by OCR matches as its printed form would. Escapes, classes,
    group syntax and repetition counts keep their meaning. Apostrophes may be missing: OCR
    text loses stray quote marks (``text.fold_ocr``)."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char in "\\[":
            end = _skip(pattern, i)
        elif char == "(":
            end = i + next((len(s) for s in _GROUP_SYNTAX if pattern.startswith(s, i)), 1)
        elif char == "{":
            end = pattern.index("}", i) + 1
        else:
            end = i + 1
        piece = pattern[i:end]
        if (
            pattern.startswith("rn", i)
            and not _repeated(pattern, i)
            and not _repeated(pattern, i + 1)
        ):
            out.append("(?:rn|m)")
            i += 2
            continue
        out.append(_LOOK_ALIKES.get(piece, piece))
        i = end
    return "".join(out)


def _repeated(pattern: str, i: int) -> bool:
    """The character at ``i`` has a quantifier: it may be absent or repeated."""
    return pattern[i + 1 : i + 2] in ("?", "*", "+", "{")


@lru_cache(maxsize=2)
def label_res(ocr: bool) -> dict[str, re.Pattern[str]]:
    """The label regexes for a page's words: ``LABEL_RES``, or for a page read by OCR the
    look-alike tolerant ones (compiled on the first OCR page)."""
    if not ocr:
        return LABEL_RES
    return {field: _compile(p, tolerant=True) for field, p in LABELS.items()}


def _skip(pattern: str, i: int) -> int:
    """The index after the escape, class or group starting at ``pattern[i]``."""
    if pattern[i] == "\\":
        return i + 2
    if pattern[i] == "[":
        return pattern.index("]", i + 2) + 1
    depth = 0
    while True:
        if pattern[i] in "\\[":
            i = _skip(pattern, i)
            continue
        depth += {"(": 1, ")": -1}.get(pattern[i], 0)
        i += 1
        if depth == 0:
            return i


def _needles(alternative: str) -> set[str] | None:
    """Literal texts one of which every match of ``alternative`` contains, or None. The longest
    literal run outside groups and classes, else the needles of a group that must match."""
    runs: list[str] = []
    groups: list[str] = []
    run, i = "", 0
    while i < len(alternative):
        char = alternative[i]
        optional = alternative[i + 1 : i + 2] in ("?", "*", "+", "{")
        if char.isalnum() or char in " '°#/-":
            if optional:
                runs.append(run)  # the character may be absent: the run ends before it
                run = ""
            else:
                run += char
            i += 1
            continue
        runs.append(run)
        run = ""
        if char in "\\[(":
            end = _skip(alternative, i)
            mandatory = alternative[end : end + 1] not in ("?", "*", "{")
            if char == "(" and mandatory and alternative.startswith("(?:", i):
                groups.append(alternative[i + 3 : end - 1])
            i = end
        else:
            i += 1
    runs.append(run)
    longest = max(runs, key=len)
    if len(longest) >= 3:
        return {longest}
    for group in groups:
        found = [_needles(alt) for alt in _top_level(group)]
        if all(f is not None and min(map(len, f)) >= 2 for f in found):
            return set().union(*(f for f in found if f is not None))
    spelled = _spellings(alternative)
    if spelled and min(map(len, spelled)) > len(longest):
        return spelled
    return {longest} if longest else None


_MAX_SPELLINGS = 4  # optional characters spelled out: 2**4 needles at most


def _spellings(alternative: str) -> set[str] | None:
    """Every spelling of the alternative's longest run of letters with optional punctuation
    between them ("t\\.?v\\.?a\\.?" -> "tva", "t.va", "tv.a", "t.v.a"): each match holds one.
    None if the alternative has no such run."""
    segments: list[list[tuple[str, bool]]] = [[]]  # runs of (character, optional)
    i = 0
    while i < len(alternative):
        char = alternative[i]
        escaped = char == "\\" and alternative[i + 1 : i + 2] in (".", "-", "/", "#")
        if char.isalnum() or escaped:
            end = i + 2 if escaped else i + 1
            quantifier = alternative[end : end + 1]
            if quantifier in ("*", "+", "{"):
                segments.append([])  # repeated or absent: the run ends before it
                i = end
            else:
                segments[-1].append((alternative[end - 1], quantifier == "?"))
                i = end + 1 if quantifier == "?" else end
            continue
        segments.append([])
        i = _skip(alternative, i) if char in "\\[(" else i + 1
    best: set[str] | None = None
    for atoms in segments:
        while atoms and atoms[0][1]:
            atoms = atoms[1:]  # an optional character at an end: the match may lack it
        while atoms and atoms[-1][1]:
            atoms = atoms[:-1]
        choices = [("", c) if optional else (c,) for c, optional in atoms]
        if not atoms or sum(optional for _, optional in atoms) > _MAX_SPELLINGS:
            continue
        found = {"".join(spelling) for spelling in itertools.product(*choices)}
        if best is None or min(map(len, found)) > min(map(len, best)):
            best = found
    return best


def _top_level(pattern: str) -> list[str]:
    """A regex split at its top-level "|"."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            i = pattern.index("]", i + 2) + 1
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    return [*parts, pattern[start:]]


def anchors_of(patterns: list[str]) -> tuple[str, ...] | None:
    """Literal texts one of which every match of any of ``patterns`` holds (None: no such set):
    where none stands, the patterns need not run."""
    needles: set[str] = set()
    for pattern in patterns:
        for alternative in _top_level(pattern):
            found = _needles(alternative)
            if found is None:
                return None
            needles |= found
    return tuple(sorted(needles))


def lines_holding_any(lines: list[str], anchors: tuple[str, ...]) -> list[int]:
    """The lines that hold one of ``anchors``, in order: one search of the page for them all."""
    return sorted({i for held in _lines_holding(lines, anchors).values() for i in held})


LABEL_ANCHORS: dict[str, tuple[str, ...] | None] = _made(
    "anchors", lambda: {f: anchors_of(p) for f, p in LABELS.items()}
)
"""Per field, literal text one of which every label match contains (None: no such set)."""


_EVERY_ANCHOR = tuple(sorted({a for anchors in LABEL_ANCHORS.values() for a in anchors or ()}))
_ANCHOR_SETS = {f: None if a is None else frozenset(a) for f, a in LABEL_ANCHORS.items()}


@lru_cache(maxsize=8192)
def anchors_in(folded_line: str) -> frozenset[str]:
    """The label anchors (of any field) that stand in the line."""
    return frozenset(a for a in _EVERY_ANCHOR if a in folded_line)


def anchor_lines(folded_lines: list[str], ocr: bool = False) -> dict[str, list[int]]:
    """Each label anchor (of any field) that stands on the page -> the lines it stands in, in
    order. The anchors are sought in the page's whole text, most of them absent, so a page
    costs one search per anchor rather than one per anchor and line. On a page read by OCR an
    anchor also stands where its look-alike spelling does ("ld" for "id"), as ``ocr_tolerant``
    labels match there."""
    found = _lines_holding(folded_lines, _EVERY_ANCHOR)
    if ocr:
        alike = _lines_holding([look_alike_key(line) for line in folded_lines], _ALIKE_ANCHORS)
        for key, lines in alike.items():
            for anchor in _ANCHORS_BY_KEY[key]:
                found[anchor] = sorted({*found.get(anchor, ()), *lines})
    return found


_LOOK_ALIKE_KEY = str.maketrans({"l": "i", "1": "i", "|": "i", "0": "o", "'": None})


def look_alike_key(text: str) -> str:
    """``text`` with each set of OCR look-alikes written alike ("ld" and "Id" -> "id")."""
    return text.replace("rn", "m").translate(_LOOK_ALIKE_KEY)


_ANCHORS_BY_KEY: dict[str, list[str]] = {}
for _anchor in _EVERY_ANCHOR:
    _ANCHORS_BY_KEY.setdefault(look_alike_key(_anchor), []).append(_anchor)
_ALIKE_ANCHORS = tuple(sorted(_ANCHORS_BY_KEY))


def _lines_holding(lines: list[str], anchors: tuple[str, ...]) -> dict[str, list[int]]:
    page = "\n".join(lines)
    ends = list(itertools.accumulate(len(line) + 1 for line in lines))  # past each "\n"
    regex, prefixes = _anchor_trie(anchors)
    found: dict[str, list[int]] = {}
    search = regex.search
    hit = search(page)
    while hit is not None:  # an anchor holds no newline: each hit lies inside one line
        at = hit.start()
        line = bisect.bisect_right(ends, at)
        for anchor in prefixes[hit.group()]:
            holding = found.setdefault(anchor, [])
            if not holding or holding[-1] != line:
                holding.append(line)
        hit = search(page, at + 1)
    return found


@lru_cache(maxsize=4)
def _anchor_trie(anchors: tuple[str, ...]) -> tuple[re.Pattern[str], dict[str, list[str]]]:
    """One regex for all the anchors, and per anchor those that are its prefixes.

    The regex is the anchors' trie ("bill(?:ing)?"): at a position it matches the longest
    anchor there, so a page is read once instead of once per anchor. Every other anchor at
    that position is a prefix of the longest one (both are prefixes of the text there)."""
    trie: dict[str, dict[str, Any]] = {}
    for anchor in anchors:
        node = trie
        for char in anchor:
            node = node.setdefault(char, {})
        node[""] = {}
    prefixes = {a: [b for b in anchors if a.startswith(b)] for a in anchors}
    return compile_regex(_trie_pattern(trie)), prefixes


def _trie_pattern(node: dict[str, Any]) -> str:
    """The regex of a trie node: its branches, optional where an anchor ends at the node (greedy,
    so the longest anchor is tried first)."""
    branches = [re.escape(char) + _trie_pattern(node[char]) for char in sorted(node) if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" not in node:
        return body
    return f"(?:{body})?" if len(branches) == 1 else f"{body}?"


def may_hold_label(field_name: str, folded_line: str) -> bool:
    """A cheap test before the field's regex: False only if no label of it can be on the line.
    The anchors present on a line are found once for all fields."""
    anchors = _ANCHOR_SETS[field_name]
    return anchors is None or not anchors.isdisjoint(anchors_in(folded_line))
