"""The language of a page, guessed from the words a first OCR pass read, for the tesseract packs.

Tesseract reads with the packs it is given, about twice as slowly per pack, and a pack's
dictionary and letters (ä, ö, ü, ß; é, è, ç; ñ) are what read the page's own words right. So a
page is read with English first, and read again with its own language's pack only when the
words read show that language clearly: its common words and invoice words, against English.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


WORDS: dict[str, frozenset[str]] = {
    "eng": _words(
        "the and of to for invoice total amount date due tax subtotal from with bill ship "
        "payment number description quantity price thank you"
    ),
    "deu": _words(
        "der die das und für mit von rechnung rechnungsnummer rechnungsdatum datum betrag "
        "summe gesamt gesamtbetrag netto brutto mwst ust umsatzsteuer steuer zahlbar bis "
        "menge einzelpreis preis bitte vielen dank lieferdatum kundennummer zahlungsziel "
        "bankverbindung straße strasse gmbh vom rechnungen beschreibung nettopreis steuersatz "
        "nettobetrag zahlung seite anschrift lieferant"
    ),
    "fra": _words(
        "le la les et de des du pour avec facture date montant total tva ht ttc prix "
        "quantité désignation échéance règlement client numéro merci adresse à"
    ),
    "spa": _words(
        "el la los las y de del para con factura fecha importe total iva base cantidad "
        "precio descripción vencimiento cliente número gracias dirección"
    ),
    "ita": _words(
        "il lo la gli le e di del della per con fattura data importo totale iva imponibile "
        "quantità prezzo descrizione scadenza cliente numero grazie indirizzo"
    ),
    "nld": _words(
        "de het een en van voor met factuur factuurnummer factuurdatum datum bedrag totaal "
        "btw excl incl prijs aantal omschrijving vervaldatum klant nummer bedankt adres"
    ),
}


MIN_HITS = 3
"""A language needs this many of its words on the page ..."""
LEAD = 1.5
"""... and this many times as many as English has (an English page quotes a German address)
and as the next language has: "de" is Dutch, French and Spanish, and a German page's "DE"
country codes and ".de" addresses count for all three."""

_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)


def guess(texts: Iterable[str]) -> str | None:
    """The page's language other than English (``deu``, ``fra``, ``spa``, ``ita``, ``nld``)
    when its words show it clearly; None for English or when unclear."""
    hits = _hits(texts)
    best, runner_up = sorted(
        (lang for lang in WORDS if lang != "eng"), key=lambda lang: -hits[lang]
    )[:2]
    if hits[best] >= MIN_HITS and hits[best] >= LEAD * max(hits["eng"], hits[runner_up]):
        return best
    return None


def shows_english(texts: Iterable[str]) -> bool:
    """Whether the words show English as clearly as ``guess`` wants another language shown."""
    hits = _hits(texts)
    other = max(hits[lang] for lang in WORDS if lang != "eng")
    return hits["eng"] >= MIN_HITS and hits["eng"] >= LEAD * other


def _hits(texts: Iterable[str]) -> dict[str, int]:
    """How many of the words of ``texts`` are each language's common words."""
    hits = dict.fromkeys(WORDS, 0)
    for text in texts:
        for token in _TOKEN.findall(text.lower()):
            for language, words in WORDS.items():
                hits[language] += token in words
    return hits
