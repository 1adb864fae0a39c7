"""Italian: invoices of Italy and Switzerland."""

from __future__ import annotations

from ._forms import NUMBER, Lexicon, with_folded

LEXICON = Lexicon(
    code="it",
    labels={
        "invoice_number": (
            rf"fattura\s*{NUMBER}",
            r"(?:n°|no|n\.|numero)\s*(?:della\s*|di\s*)?fattura",
        ),
        "issue_date": (r"data\s*(?:della\s*)?fattura", r"data\s*(?:di\s*)?emissione", r"data"),
        "cash_discount": (r"sconto\s*(?:per\s*)?pagamento\s*anticipato",),
        "payment_terms": (
            r"pagabile",
            r"da\s*pagare",
            r"pagamento\s*(?:entro|a)",
            r"condizioni\s*di\s*pagamento",
        ),
        "due_date": (r"data\s*(?:di\s*)?scadenza", r"scadenza"),
        "po_number": (r"ordine",),
        "subtotal": (r"imponibile",),
        "tax_exclusive_total": (r"totale\s*(?:senza|escl(?:usa|\.)?)\s*iva",),
        "tax_total": (r"(?:di\s*cui\s*)?iva",),
        "total": (r"totale(?:\s*(?:fattura|complessivo|euro))?",),
        "amount_due": (r"totale\s*da\s*pagare",),
        "prepaid": (r"anticipo", r"acconto"),
        "tendered": (
            r"contanti",
            r"contante",
            r"pagamento\s*(?:elettronico|contante|carta)",
            r"bancomat",
            r"carta(?:\s*di\s*credito)?",
            r"importo\s*pagato",
        ),
        "change": (r"resto",),
        "rounding": (r"arrotondamento",),
        "iban": (r"iban",),
        "bic": (r"bic",),
        "seller_vat": (r"partita\s*iva", r"p\.?\s*iva"),
        "buyer_block": (r"cliente",),
        "seller_block": (r"fornitore",),
        "not_a_value": (
            r"aliquota(?:\s*iva)?",
            r"data\s*di\s*consegna",
            r"codice\s*cliente",
            r"telefono",
        ),
    },
    document_titles=(r"fattura", r"nota"),
    credit_titles=(r"nota\s*di\s*credito",),
    copy_marks=(r"copia",),
    name_captions=(r"nome", r"ragione\s*sociale", r"denominazione", r"indirizzo"),
    legal_forms=(r"srl", r"s\.r\.l\.", r"spa", r"s\.p\.a\."),
    months=tuple(
        with_folded(names)
        for names in (
            "gennaio gen",
            "febbraio feb",
            "marzo mar",
            "aprile apr",
            "maggio mag",
            "giugno giu",
            "luglio lug",
            "agosto ago",
            "settembre sett set",
            "ottobre ott",
            "novembre nov",
            "dicembre dic",
        )
    ),
    table_headings={
        "desc": ("descrizione",),
        "qty": ("quantita", "qta"),
        "unit": ("unita",),
        "price": ("prezzo",),
        "code": ("codice",),
        "amount": ("importo",),
    },
    receipt_words=(
        r"scontrino",
        r"contanti",
        r"resto",
        r"cassa",
        r"documento\s*commerciale",
        r"grazie",
    ),
    frequent_words=frozenset(
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
)
