"""Seller versus buyer: labelled blocks first, then letterhead and address-window rules.

A labelled block ("Bill to", "Rechnungsempfänger", "Verkäufer", "Adresse du Client") names its
party on its first name-like line. Without a seller label, the seller is the letterhead: a company
name near the top (legal form, large type, repeated in the footer), or the first part of the
one-line sender address printed above a window envelope's address.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from functools import lru_cache

from ...ingest.document import Word
from .code_cache import compile_regex
from .fields import LabelHit, PageIndex
from .items import is_items_header
from .labels import LABEL_RES
from .lexicon import (
    COPY_MARKS,
    CREDIT_TITLES,
    DOCUMENT_TITLES,
    LEGAL_FORMS,
    NAME_CAPTIONS,
    alternation,
)
from .text import DIGIT, Cell, fold

LEGAL_FORM = compile_regex(rf"(?i)(?<![\w]){alternation(LEGAL_FORMS)}(?![\w])")
_POSTCODE_CITY = re.compile(
    r"(?:\b[A-Z]{1,2}[- ])?\b\d{4,5}\b\s+[A-ZÄÖÜÉ][\w\-]+|\b[A-Z]{1,2}\d{1,2}[A-Z]?\s\d[A-Z]{2}\b"
)
_SUB_LABEL = re.compile(
    r"(?i)^(?:firmen)?name\s*:?\s*|^(?:company|firma|raison sociale|soci[eé]t[eé])\s*:\s*"
)
# Only asked whether it matches (``_name_like``): the words that need a word boundary on both
# sides are one group behind one boundary test, and the line-start ones behind one "^", so a
# position is not tested once per word (a quarter of the cost of one alternative per word).
_NOT_NAME = re.compile(
    r"(?i)@|www\.|https?:|:\s*\S*\d|\bn°"
    r"|\b(?:tel|fax|phone|iban|bic|seite|page|nummer|number|date|datum)\b"
    r"|^(?:attn\b|z\.\s?hd|c/o\b|attention\b)"
    # A compound naming a number ("Art-Nr-Lief.", "Kunden-Nr.") labels an id, never a party.
    r"|\w-n[ro]\b"
)
# Document titles printed beside the letterhead name ("Amazon Web Services Invoice").
_TITLE_WORDS = re.compile(
    rf"(?i)\b{alternation((*DOCUMENT_TITLES, *CREDIT_TITLES, *COPY_MARKS))}\b"
)
# A line ending in a caption ("SELLER TRADE NAME", "CLIENT NOM COMMERCIAL", "Firmenname")
# announces the name below it; it is none itself.
_CAPTION_END = compile_regex(rf"(?<![\w]){alternation(NAME_CAPTIONS)}\s*:?$")
_KEY_VALUE = re.compile(r"^[^:]{1,30}:(\s|$)")  # "Nummer: 123", "Anschrift:"
_COUNTRY_NAMES = frozenset(
    [
        "germany",
        "deutschland",
        "france",
        "frankreich",
        "united states",
        "usa",
        "united kingdom",
        "uk",
        "austria",
        "osterreich",
        "schweiz",
        "switzerland",
        "suisse",
        "belgique",
        "belgium",
        "belgien",
        "nederland",
        "netherlands",
        "niederlande",
        "italia",
        "italy",
        "italien",
        "espana",
        "spain",
        "spanien",
        "luxembourg",
        "polska",
        "poland",
        "deutschland (de)",
        "de",
        "fr",
    ]
)
# Asked only whether it matches (``address_line``): a street name ending in "straße" etc. is
# sought as one word character before the ending, which matches where any run of them does;
# "\w+" before it was tried from every letter of the word, twice the cost of the whole search.
_STREET = compile_regex(
    r"(?i)(^\d+[a-z]?,?\s+[^\W\d_]{2}|\b(rue|avenue|av\.|boulevard|bd|chemin|all[eé]e|place|impasse|"
    r"stra(ss|ß)e|str\.|weg|platz|allee|gasse|ring|damm|ufer|street|st\.|road|rd\.|lane|drive|"
    r"way|via|viale|piazza|calle|avenida|plaza|straat|laan|plein|gracht)\b.*\d|"
    r"\w(stra(ss|ß)e|str\.|weg|platz|allee|gasse|straat|laan)\s+\d)"
)
_SENDER_SPLIT = re.compile(r"\s+[-–·|•]\s+|\s*,\s+")


@dataclass(slots=True)
class NameHit:
    name: str
    words: list[Word]
    score: float


# The party rules test the same cell texts again and again (letterhead, window, blocks):
# these pure tests of a text are memoised.
@lru_cache(maxsize=8192)
def has_legal_form(text: str) -> bool:
    """Whether ``text`` holds a legal form ("GmbH", "Sdn Bhd"): asked of a few hundred texts six
    times each (the letterhead, block and name feature rules)."""
    return LEGAL_FORM.search(text) is not None


@lru_cache(maxsize=8192)
def _clean(text: str) -> str:
    return _SUB_LABEL.sub("", text).strip(" :,;-–|")


@lru_cache(maxsize=8192)
def _untitled(text: str) -> str:
    """A letterhead cell without the document titles beside the name ("ACME Invoice")."""
    return _TITLE_WORDS.sub("", _clean(text)).strip(" -–|:")


@lru_cache(maxsize=8192)
def _name_like(text: str) -> bool:
    letters = sum(map(str.isalpha, text))
    digits = sum(map(str.isdigit, text))
    return (
        2 <= len(text) <= 80
        and letters >= 2
        and digits <= letters / 3
        and not _NOT_NAME.search(text)
        and not address_line(text)
        and len(_SENDER_SPLIT.split(text)) < 3
        and fold(text) not in _COUNTRY_NAMES
        and not _CAPTION_END.search(fold(text))
    )


def address_line(text: str) -> bool:
    """A street or a postcode and town in the text. Each of their patterns holds a digit: a
    text without one (most names) is not searched."""
    return DIGIT.search(text) is not None and (
        _POSTCODE_CITY.search(text) is not None or _STREET.search(text) is not None
    )


@lru_cache(maxsize=8192)
def postcode_city(text: str) -> bool:
    """Whether ``text`` holds a postcode and town (memoised: party blocks and receipt lines ask
    it of the same lines)."""
    return _POSTCODE_CITY.search(text) is not None


@lru_cache(maxsize=8192)
def _is_label(text: str) -> bool:
    folded = fold(text)
    return any(
        (m := LABEL_RES[f].match(folded)) is not None and m.end() >= len(folded.rstrip(" :")) - 1
        for f in ("buyer_block", "seller_block", "invoice_number", "issue_date", "total")
    )


def _block_lines(index: PageIndex, hit: LabelHit, max_lines: int = 7) -> list[list[Cell]]:
    """Per line under a block label: the cells from the label's column rightwards."""
    size = max(hit.y1 - hit.y0, 4.0)
    rows: list[list[Cell]] = []
    last_y = hit.y1
    for j in range(hit.line_index + 1, min(len(index.lines), hit.line_index + 1 + max_lines)):
        line = index.lines[j]
        if line.y0 - last_y > size * 2.2:
            break
        cells = index.cells[j]
        first = next((k for k, c in enumerate(cells) if abs(c.x0 - hit.x0) <= size * 2.5), None)
        if first is None:
            continue
        rows.append(cells[first:])
        last_y = line.y1
    return rows


def _is_heading(index: PageIndex, hit: LabelHit) -> bool:
    """A block heading stands alone in its cell or ends with a colon ("Bill to:", "Käufer")."""
    cell = next((c for c in index.cells[hit.line_index] if abs(c.x0 - hit.x0) < 1), None)
    if cell is None:
        return False
    words = index.lines[hit.line_index].words
    label_last = words[hit.end - 1]
    if label_last.text.endswith(":") or label_last is cell.words[-1]:
        return True
    if cell.words[-1].text.endswith(":") and len(cell.words) <= 4:
        return True  # "Bill to Address:"
    return hit.end < len(words) and words[hit.end].text.startswith(":")


def block_name(index: PageIndex, hit: LabelHit) -> NameHit | None:
    """The party a block heading announces: after its colon, else the best line below."""
    own = next(c for c in index.cells[hit.line_index] if abs(c.x0 - hit.x0) < 1)
    rest = [w for w in own.words if w.x0 > hit.x1 and w.text != ":"]
    text = _clean(" ".join(w.text for w in rest))
    if rest and _name_like(text) and not _is_label(text):
        return NameHit(text, rest, 0.9)
    options: list[NameHit] = []
    for rank, cells in enumerate(_block_lines(index, hit)):
        cell = cells[0]
        if _SUB_LABEL.match(cell.text):
            # "Name: ACME GmbH", possibly with the value in the next cell.
            value_words = [w for w in cell.words if not _SUB_LABEL.fullmatch(w.text + " ")]
            if not value_words and len(cells) > 1:
                value_words = cells[1].words
            text = _clean(" ".join(w.text for w in value_words))
            if text and not _is_label(text):
                return NameHit(text, value_words, 0.95)
            continue
        text = _clean(cell.text)
        if _KEY_VALUE.match(cell.text) or not _name_like(text) or _is_label(text):
            continue
        if rank >= 4:
            break
        score = 0.8 - 0.1 * rank
        if has_legal_form(text):
            score += 0.3
        if text.isupper():
            score += 0.15
        options.append(NameHit(text, cell.words, score))
    return max(options, key=lambda o: o.score) if options else None


def labelled_party(index: PageIndex, block: str) -> NameHit | None:
    return _top(labelled_parties(index, block))


def labelled_parties(index: PageIndex, block: str) -> list[NameHit]:
    found: list[NameHit] = []
    for hit in index.labels(block):
        if not _is_heading(index, hit):
            continue  # "N° de client", "SELLER TRADE NAME" are not block headings
        name = block_name(index, hit)
        if name is not None:
            found.append(name)
    return found


def _top(hits: list[NameHit]) -> NameHit | None:
    return max(hits, key=lambda n: n.score) if hits else None


def letterhead(index: PageIndex, exclude: set[str]) -> NameHit | None:
    return _top(letterheads(index, exclude))


def letterheads(index: PageIndex, exclude: set[str]) -> list[NameHit]:
    """The seller as printed in the letterhead or the sender line, without a label."""
    page = index.page
    heights = [w.y1 - w.y0 for w in page.words] or [10.0]  # Word.height, inline: every word
    median = statistics.median(heights)
    page_text = fold(page.text)
    options: list[NameHit] = []
    for j, line in enumerate(page.lines):
        top = line.y0 / max(page.height, 1.0)
        footer = top > 0.85
        if (top > 0.4 and not footer) or is_items_header(index, j):
            continue
        for cell in index.cells[j]:
            text = cell.text
            parts = _sender_parts(text)
            if parts:
                # A one-line sender address: "ACME GmbH · Hauptstr. 1 · 10115 Berlin".
                first = parts[0].strip()
                n = len(first.split())
                if _name_like(first):
                    options.append(NameHit(first, cell.words[:n], 1.0))
                continue
            if _is_label(_clean(text)) or text.rstrip().endswith(":"):
                continue  # "Invoice No:" is a label, not "No" once its title word is gone
            text = _untitled(text)
            if not _name_like(text) or _is_label(text) or fold(text) in exclude:
                continue
            size = cell.words[0].height / median
            score = 0.3 + min(size - 1.0, 1.0) * 0.4 + (0.4 - top) * 0.5
            if has_legal_form(text):
                score += 0.6
            if page_text.count(fold(text)) > 1:
                score += 0.3
            if footer:
                score -= 0.3 if has_legal_form(text) else 1.0
            options.append(NameHit(text, cell.words, score))
    return options


@lru_cache(maxsize=8192)
def _sender_parts(text: str) -> tuple[str, ...] | None:
    """The parts of a one-line sender address, or None if the text is not one."""
    parts = _SENDER_SPLIT.split(text)
    if len(parts) >= 3 and ":" not in parts[0] and any(address_line(p) for p in parts[1:]):
        return tuple(parts)
    return None


def address_window(index: PageIndex, exclude: set[str]) -> NameHit | None:
    found = address_windows(index, exclude)
    return found[0] if found else None


def address_windows(index: PageIndex, exclude: set[str]) -> list[NameHit]:
    """The recipient block of a letter, likeliest first: the first name under a one-line sender
    address (the window-envelope layout), then name lines followed within 4 lines by postcode +
    city."""
    page = index.page
    found: list[NameHit] = []
    for j, line in enumerate(page.lines):
        if line.y0 / max(page.height, 1.0) > 0.45:
            break
        sender = next((c for c in index.cells[j] if _sender_parts(c.text)), None)
        if sender is None:
            continue
        for k in range(j + 1, min(len(page.lines), j + 4)):
            cell = next((c for c in index.cells[k] if abs(c.x0 - sender.x0) < 10), None)
            if cell is not None:
                text = _clean(cell.text)
                if _name_like(text) and not _is_label(text) and fold(text) not in exclude:
                    found.append(NameHit(text, cell.words, 0.7))
                    break
        break
    for j, line in enumerate(page.lines):
        if line.y0 / max(page.height, 1.0) > 0.45:
            break
        for cell in index.cells[j]:
            text = _clean(cell.text)
            if not _name_like(text) or _is_label(text) or fold(text) in exclude:
                continue
            for k in range(j + 1, min(len(page.lines), j + 5)):
                below = next((c for c in index.cells[k] if abs(c.x0 - cell.x0) < 3), None)
                if below is not None and postcode_city(below.text):
                    found.append(NameHit(text, cell.words, 0.6))
                    break
    return found
