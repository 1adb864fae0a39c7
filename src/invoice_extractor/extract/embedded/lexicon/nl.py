"""Dutch: invoices of the Netherlands and Belgium."""

from __future__ import annotations

from ._forms import HYPHEN, Lexicon, compound, with_folded

LEXICON = Lexicon(
    code="nl",
    labels={
        "invoice_number": (compound("factuur", r"nummer|nr\.?|no\.?"),),
        "issue_date": (compound("factuur", "datum"), r"datum\s*factuur", r"datum"),
        "cash_discount": (r"betalingskorting",),
        "payment_terms": (
            r"betaalbaar",
            r"te\s*betalen",
            r"betalen\s*(?:voor|binnen|uiterlijk)",
            r"betalingsvoorwaarden",
            r"uiterlijk",
        ),
        "due_date": (r"vervaldatum", r"uiterste\s*betaaldatum"),
        "po_number": (r"bestelnummer", r"inkooporder"),
        "subtotal": (r"grondslag", r"subtotaal", r"totaal\s*excl\.?"),
        "tax_exclusive_total": (r"totaal\s*zonder\s*btw",),
        "tax_total": (r"btw(?:\s*bedrag)?",),
        "total": (r"totaal(?:\s*(?:incl\.?|bedrag))?",),
        "amount_due": (r"te\s*betalen",),
        "prepaid": (r"aanbetaling", r"vooruitbetaald"),
        "tendered": (r"contant", r"pin(?:nen|betaling)?", r"betaald", r"kaart", r"ontvangen"),
        "change": (r"wisselgeld", r"terug"),
        "rounding": (r"afronding",),
        "iban": (r"iban",),
        "bic": (r"bic",),
        "seller_vat": (rf"btw{HYPHEN}(?:nummer|nr\.?|id)",),
        "buyer_block": (r"klant", r"afnemer"),
        "seller_block": (r"leverancier",),
        "not_a_value": (
            rf"btw{HYPHEN}(?:tarief|percentage)",
            r"klantnummer",
            r"leverdatum",
            r"telefoon",
        ),
    },
    document_titles=(r"factuur",),
    credit_titles=(r"creditnota",),
    copy_marks=(r"kopie",),
    name_captions=(r"(?:bedrijfs|handels)?naam", r"adres"),
    legal_forms=(r"bv", r"b\.v\.", r"nv", r"n\.v\.", r"vof"),
    months=tuple(
        with_folded(names)
        for names in (
            "januari jan",
            "februari feb",
            "maart mrt mar",
            "april apr",
            "mei",
            "juni jun",
            "juli jul",
            "augustus aug",
            "september sep sept",
            "oktober okt",
            "november nov",
            "december dec",
        )
    ),
    table_headings={
        "desc": ("omschrijving",),
        "qty": ("aantal",),
        "unit": ("eenheid",),
        "price": ("prijs",),
        "code": ("artikelnummer", "code"),
        "amount": ("bedrag", "totaal"),
    },
    receipt_words=(r"kassabon", r"wisselgeld", r"contant", r"kassa", r"pinnen", r"bedankt"),
    frequent_words=frozenset(
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
)
