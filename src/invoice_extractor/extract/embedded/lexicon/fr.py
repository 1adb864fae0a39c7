"""French: invoices of France, Belgium, Switzerland and Luxembourg."""

from __future__ import annotations

from ._forms import NUMBER, Lexicon, with_folded

LEXICON = Lexicon(
    code="fr",
    labels={
        "invoice_number": (r"(?:n°|no|numéro)\s*(?:de\s*)?facture", rf"facture\s*{NUMBER}"),
        "issue_date": (r"date\s*(?:de\s*(?:la\s*)?)?facture", r"date\s*d'émission", r"date"),
        "cash_discount": (r"escompte",),
        "payment_terms": (
            r"payable",
            r"à\s*payer",
            r"à\s*régler",
            r"règlement",
            r"paiement\s*(?:avant|au\s*plus\s*tard|à)",
        ),
        "due_date": (
            r"date\s*d'échéance",
            r"échéance",
            r"date\s*limite\s*de\s*(?:paiement|règlement)",
            r"à\s*payer\s*avant\s*le",
        ),
        "po_number": (
            r"n°\s*(?:de\s*)?bon\s*de\s*commande",
            r"bon\s*de\s*commande",
            r"(?:n°\s*de\s*)?commande",
        ),
        "subtotal": (
            r"total\s*h\.?\s*t\.?",
            r"montant\s*(?:eur\s*)?h\.?\s*t\.?",
            r"sous-?\s*total",
            # Spelled out, and the Belgian "HTVA": "Total hors taxes", "Total HTVA".
            r"(?:total|montant)\s*(?:hors\s*(?:taxes?|tva)|htva)",
        ),
        "tax_exclusive_total": (r"total\s*h\.?t\.?\s*(?:net|à\s*payer)",),
        "tax_total": (r"total\s*t\.?v\.?a\.?", r"montant\s*t\.?v\.?a\.?", r"t\.?v\.?a\.?"),
        "total": (
            r"total\s*t\.?t\.?c\.?",
            r"montant\s*(?:eur\s*)?t\.?t\.?c\.?",
            r"total\s*(?:de\s*la\s*)?facture",
            r"(?:total|montant)\s*(?:toutes\s*taxes\s*comprises|tvac)",
        ),
        "amount_due": (r"net\s*à\s*payer", r"reste\s*à\s*payer", r"montant\s*(?:dû|à\s*payer)"),
        "prepaid": (r"acompte", r"déjà\s*(?:payé|réglé)"),
        "tendered": (
            r"espèces",
            r"carte\s*(?:bancaire|bleue|cb)?",
            r"cb",
            r"payé",
            r"règlement",
        ),
        "change": (r"rendu(?:\s*monnaie)?", r"monnaie\s*rendue", r"à\s*rendre"),
        "rounding": (r"arrondi",),
        "iban": (r"iban",),
        "bic": (r"bic",),
        "seller_vat": (
            r"n°\s*(?:de\s*)?tva(?:\s*intracom(?:munautaire)?)?",
            r"tva\s*intracom(?:munautaire)?",
        ),
        "buyer_block": (
            r"adresse\s*du\s*client",
            r"facturé\s*à",
            r"destinataire",
            r"acheteur",
            r"client",
        ),
        "seller_block": (r"vendeur", r"fournisseur"),
        "not_a_value": (
            r"taux\s*(?:de\s*)?(?:tva)?",
            r"date\s*de\s*livraison",
            r"(?:n°\s*de\s*|date\s*de\s*)?facture\s*associée",
            r"date\s*(?:de\s*)?(?:début|fin)(?:\s*de\s*prestation)?",
            r"(?:n°\s*de\s*|code\s*)client",
            r"téléphone",
        ),
    },
    document_titles=(r"facture",),
    credit_titles=(r"avoir",),
    copy_marks=(r"duplicata", r"copie"),
    name_captions=(
        r"nom(?:\s*commercial)?",
        r"raison\s*sociale",
        r"d[ée]nomination(?:\s*sociale)?",
        r"adresse",
    ),
    legal_forms=(
        r"sarl",
        r"s\.a\.r\.l\.",
        r"sas",
        r"s\.a\.s\.",
        r"sa",
        r"s\.a\.",
        r"eurl",
        r"sasu",
    ),
    months=tuple(
        with_folded(names)
        for names in (
            "janvier janv jan",
            "février févr fév",
            "mars mar",
            "avril avr",
            "mai",
            "juin",
            "juillet juil",
            "août aoû",
            "septembre sept",
            "octobre oct",
            "novembre nov",
            "décembre déc dec",
        )
    ),
    table_headings={
        "desc": ("designation", "libelle", "article", "nom", "objet", "description"),
        "qty": ("qte", "quantite"),
        "unit": ("unite",),
        "price": ("prix", "p.u", "pu"),
        "code": ("code article", "ref", "reference", "code", "ligne"),
        "amount": ("montant", "total"),
    },
    receipt_words=(
        r"ticket\s*de\s*caisse",
        r"caissier(?:e|ère)?",
        r"rendu\s*monnaie",
        r"espèces",
        r"caisse",
        r"merci\s*de\s*votre\s*visite",
    ),
    frequent_words=frozenset(
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
)
