"""What a synthetic till receipt prints, per language: its total, payment and change lines, the
VAT summary headings, the country's rates, slogans and greetings. Names, streets, towns, goods
and legal forms come from the invoice wording (``synth_words``)."""

from __future__ import annotations

from dataclasses import dataclass

Words = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReceiptWording:
    language: str
    country: str
    number_style: str  # a key of ``synth_formats.NUMBER_STYLES``
    total: Words
    cash: Words
    card: Words
    change: Words
    vat_heading: tuple[str, str, str, str]  # rate, net, tax, gross
    vat_label: Words  # "{id}" is the VAT id
    rates: tuple[str, ...]
    till: Words  # "{n}" a number: "Kasse {n}", "Bon {n}"
    slogans: Words
    thanks: Words
    phone: str


RECEIPT_WORDINGS: dict[str, ReceiptWording] = {
    w.language: w
    for w in (
        ReceiptWording(
            "en", "GB", "en",
            total=("TOTAL", "Total", "BALANCE DUE", "TOTAL TO PAY"),
            cash=("CASH", "Cash", "CASH TENDERED"),
            card=("CARD", "VISA", "MASTERCARD", "DEBIT CARD"),
            change=("CHANGE", "Change", "CHANGE DUE"),
            vat_heading=("VAT", "Net", "VAT", "Gross"),
            vat_label=("VAT No. {id}", "VAT Reg No: {id}"),
            rates=("20", "5"),
            till=("Till {n}", "Receipt {n}", "Trans {n}"),
            slogans=("Every little helps!", "Fresh every day", "Quality you can taste"),
            thanks=("Thank you for shopping with us", "Please keep your receipt"),
            phone="Tel",
        ),
        ReceiptWording(
            "de", "DE", "eu",
            total=("SUMME", "Summe EUR", "ZU ZAHLEN", "GESAMT", "SUMME EUR"),
            cash=("BAR", "Bar", "Gegeben BAR", "BAR EUR"),
            card=("KARTE", "EC-Karte", "Girocard", "Kartenzahlung"),
            change=("RÜCKGELD", "Rückgeld", "Zurück", "RUECKGELD"),
            vat_heading=("MwSt-Satz", "Netto", "MwSt", "Brutto"),
            vat_label=("USt-IdNr.: {id}", "USt-ID {id}", "UID: {id}"),
            rates=("19", "7"),
            till=("Kasse {n}", "Bon-Nr. {n}", "Beleg {n}"),
            slogans=("Frisch auf den Tisch!", "Qualität zum kleinen Preis", "Ihr Markt im Viertel"),
            thanks=("Vielen Dank für Ihren Einkauf", "Danke und bis bald!"),
            phone="Tel.",
        ),
        ReceiptWording(
            "fr", "FR", "fr",
            total=("TOTAL TTC", "TOTAL", "NET A PAYER", "MONTANT TTC"),
            cash=("ESPECES", "Espèces", "ESPÈCES"),
            card=("CB", "CARTE BANCAIRE", "Carte"),
            change=("RENDU", "MONNAIE RENDUE", "Rendu monnaie"),
            vat_heading=("Taux TVA", "HT", "TVA", "TTC"),
            vat_label=("N° TVA {id}", "TVA intracom. {id}"),
            rates=("20", "5,5"),
            till=("Caisse {n}", "Ticket {n}"),
            slogans=("Le goût du frais", "Toujours moins cher !", "Votre magasin de quartier"),
            thanks=("Merci de votre visite", "A bientôt !"),
            phone="Tél.",
        ),
        ReceiptWording(
            "es", "ES", "eu",
            total=("TOTAL", "IMPORTE", "TOTAL A PAGAR", "TOTAL COMPRA"),
            cash=("EFECTIVO", "Entregado", "ENTREGADO"),
            card=("TARJETA", "Tarjeta crédito", "VISA"),
            change=("CAMBIO", "Cambio", "A DEVOLVER"),
            vat_heading=("% IVA", "Base", "Cuota", "Total"),
            vat_label=("NIF: {id}", "CIF {id}"),
            rates=("21", "10"),
            till=("Caja {n}", "Ticket {n}"),
            slogans=("Calidad al mejor precio", "Tu tienda de confianza"),
            thanks=("Gracias por su visita", "Vuelva pronto"),
            phone="Tel.",
        ),
        ReceiptWording(
            "it", "IT", "eu",
            total=("TOTALE", "TOTALE COMPLESSIVO", "TOTALE EURO"),
            cash=("CONTANTI", "Pagamento contante", "CONTANTE"),
            card=("PAGAMENTO ELETTRONICO", "BANCOMAT", "Carta di credito"),
            change=("RESTO", "Resto"),
            vat_heading=("Aliquota", "Imponibile", "IVA", "Totale"),
            vat_label=("P.IVA {id}", "Partita IVA {id}"),
            rates=("22", "10"),
            till=("Cassa {n}", "Scontrino {n}"),
            slogans=("La qualità di sempre", "Freschezza ogni giorno"),
            thanks=("Grazie e arrivederci", "Grazie per la visita"),
            phone="Tel.",
        ),
        ReceiptWording(
            "nl", "NL", "eu",
            total=("TOTAAL", "TE BETALEN", "Totaal", "TOTAAL BEDRAG"),
            cash=("CONTANT", "Contant", "BETAALD CONTANT"),
            card=("PIN", "PINNEN", "Pinbetaling"),
            change=("WISSELGELD", "Terug", "TERUG"),
            vat_heading=("BTW%", "Excl.", "BTW", "Incl."),
            vat_label=("BTW-nr. {id}", "BTW {id}"),
            rates=("21", "9"),
            till=("Kassa {n}", "Bon {n}"),
            slogans=("Altijd vers!", "Voor de laagste prijs", "Uw winkel om de hoek"),
            thanks=("Bedankt en tot ziens", "Bewaar uw bon"),
            phone="Tel.",
        ),
    )
}  # fmt: skip
