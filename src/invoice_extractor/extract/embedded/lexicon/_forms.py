"""The shape of a language's lexicon, and the word classes every language shares.

A language file spells its words as they are printed (``Fälligkeit``, ``échéance``); ``plain``
turns them into the accent-free, lower-case form that label search matches (``text.fold``), with
the German transliterations (``ae`` for ``ä``) as variants.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from ..text import fold

LABEL_FIELDS = (
    "invoice_number",
    "issue_date",
    "due_date",
    "payment_terms",
    "cash_discount",
    "po_number",
    "subtotal",
    "tax_exclusive_total",
    "tax_total",
    "total",
    "amount_due",
    "prepaid",
    "tendered",
    "change",
    "rounding",
    "iban",
    "bic",
    "seller_vat",
    "buyer_block",
    "seller_block",
    "not_a_value",
)
"""Label groups: one per field, the party headings (``*_block``), the words that open a
payment-terms sentence (``payment_terms``: "zahlbar bis ...", "payable by ...", whose dates
are due-date candidates; ``cash_discount``: "Skonto", "escompte", whose date in that sentence
is the discount's deadline, not the due date), a receipt's till lines (``tendered``: what the
customer handed over and how, "BAR", "KARTE", "ESPECES"; ``change``: what was handed back,
"RÜCKGELD"; ``rounding``: the cash rounding, "Rundung") and the labels of values that look like
ours but are something else (``not_a_value``)."""

HEADING_KINDS = ("desc", "qty", "unit", "price", "code", "amount")
"""Column kinds of an items table."""

# "Nr.", "No", "Nummer", "n°", "#": how any language abbreviates "number" after a noun.
NUMBER = r"(?:n[or]?\.?|nr\.?|no\.?|nummer|number|num\.?|nbr\.?|numero|nº|n°|#|n\.o|n\.º|nro\.?)"
# Hyphens between the parts of a compound, with or without spaces: "Rechnungs - Nr.".
HYPHEN = r"\s*-?\s*"

_TRANSLITERATION = {"ä": "(?:a|ae)", "ö": "(?:o|oe)", "ü": "(?:u|ue)", "ß": "ss"}


def plain(pattern: str) -> str:
    """A label regex as matched: accented letters folded, umlauts also as ``ae``/``oe``/``ue``.
    Only non-ASCII letters change, so regex escapes such as ``\\W`` keep their meaning."""
    out = []
    for char in pattern:
        if char.isascii() or not char.isalpha():
            out.append(char)
        elif char.lower() in _TRANSLITERATION:
            out.append(_TRANSLITERATION[char.lower()])
        else:
            decomposed = unicodedata.normalize("NFKD", char.lower())
            out.append("".join(c for c in decomposed if not unicodedata.combining(c)))
    return "".join(out)


def compound(head: str, tails: str) -> str:
    """A compound noun in its printed forms: ``compound("rechnung", "nummer|nr\\.?")`` matches
    "Rechnungsnummer", "Rechnungs-Nr.", "Rechnung Nr" and "Rechnungs - Nummer"."""
    return rf"{head}s?{HYPHEN}(?:{tails})"


def with_folded(words: str) -> tuple[str, ...]:
    """Space-separated words with their accent-free spellings added ("août" -> "aout")."""
    found: list[str] = []
    for word in words.split():
        for form in (word.lower(), fold(word)):
            if form not in found:
                found.append(form)
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Every word group of one language. Label, title, legal-form and receipt entries are regex
    fragments (matched on folded text with word boundaries added); the others are words."""

    code: str
    labels: Mapping[str, tuple[str, ...]]  # LABEL_FIELDS -> label regexes
    document_titles: tuple[str, ...]  # "Invoice", "Rechnung", "Quittung"
    credit_titles: tuple[str, ...]  # "Credit note", "Gutschrift", "Avoir"
    copy_marks: tuple[str, ...]  # words printed beside a title: "Copy", "Original", "Paid"
    legal_forms: tuple[str, ...]  # "GmbH", "Ltd.", "S.A.R.L."
    # What captions a party's name or address instead of being one: "Company name", "Adresse".
    name_captions: tuple[str, ...]
    months: tuple[tuple[str, ...], ...]  # 12 entries: each month's names and abbreviations
    table_headings: Mapping[str, tuple[str, ...]]  # HEADING_KINDS -> folded heading words
    receipt_words: tuple[str, ...]  # what a till slip prints: "cashier", "change"
    frequent_words: frozenset[str]  # folded common words, for language detection
