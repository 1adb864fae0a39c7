"""Which language a page is written in, from a few frequent words (enough for labels and dates)."""

from __future__ import annotations

from collections import Counter

from .text import fold

_MARKERS: dict[str, frozenset[str]] = {
    "de": frozenset(
        [
            "rechnung",
            "datum",
            "betrag",
            "summe",
            "und",
            "der",
            "die",
            "das",
            "mit",
            "für",
            "fur",
            "bitte",
            "gesamt",
            "netto",
            "steuer",
            "ust",
            "mwst",
            "zahlbar",
            "menge",
            "preis",
        ]
    ),
    "en": frozenset(
        [
            "invoice",
            "date",
            "amount",
            "total",
            "and",
            "the",
            "for",
            "with",
            "please",
            "due",
            "tax",
            "qty",
            "price",
            "subtotal",
            "bill",
            "to",
            "of",
        ]
    ),
    "fr": frozenset(
        [
            "facture",
            "date",
            "montant",
            "total",
            "et",
            "le",
            "la",
            "les",
            "pour",
            "avec",
            "tva",
            "prix",
            "quantite",
            "ht",
            "ttc",
            "du",
            "des",
        ]
    ),
    "es": frozenset(
        [
            "factura",
            "fecha",
            "importe",
            "total",
            "y",
            "el",
            "la",
            "los",
            "para",
            "con",
            "iva",
            "precio",
            "cantidad",
        ]
    ),
    "it": frozenset(
        [
            "fattura",
            "data",
            "importo",
            "totale",
            "e",
            "il",
            "la",
            "per",
            "con",
            "iva",
            "prezzo",
            "quantita",
        ]
    ),
    "nl": frozenset(
        [
            "factuur",
            "datum",
            "bedrag",
            "totaal",
            "en",
            "de",
            "het",
            "voor",
            "met",
            "btw",
            "prijs",
            "aantal",
        ]
    ),
}


def detect_language(words: list[str]) -> str | None:
    counts: Counter[str] = Counter()
    for word in words:
        key = fold(word).strip(".,:;()")
        for lang, markers in _MARKERS.items():
            if key in markers:
                counts[lang] += 1
    if not counts:
        return None
    return counts.most_common(1)[0][0]
