"""Spanish: invoices of Spain and Latin America."""

from __future__ import annotations

from ._forms import NUMBER, Lexicon, with_folded

LEXICON = Lexicon(
    code="es",
    labels={
        "invoice_number": (rf"factura\s*{NUMBER}", r"(?:n°|no|nro\.?|número)\s*(?:de\s*)?factura"),
        "issue_date": (
            r"fecha\s*(?:de\s*(?:la\s*)?)?(?:factura|emisión|expedición)",
            r"fecha",
        ),
        "cash_discount": (r"descuento\s*(?:por\s*)?pronto\s*pago",),
        "payment_terms": (
            r"pagadero",
            r"a\s*pagar",
            r"pago\s*(?:antes|hasta|a)",
            r"condiciones\s*de\s*pago",
        ),
        "due_date": (r"fecha\s*de\s*vencimiento", r"vencimiento"),
        "po_number": (r"pedido",),
        "subtotal": (r"base\s*imponible",),
        "tax_exclusive_total": (r"(?:total|importe)\s*sin\s*iva",),
        "tax_total": (r"iva",),
        "total": (r"importe(?:\s*total)?", r"total\s*(?:compra|ticket)"),
        "amount_due": (r"(?:importe|total)\s*a\s*pagar",),
        "prepaid": (r"anticipo",),
        "tendered": (r"efectivo", r"entregado", r"tarjeta(?:\s*de\s*crédito)?", r"pagado"),
        "change": (r"cambio", r"vuelto", r"a\s*devolver"),
        "rounding": (r"redondeo",),
        "iban": (r"iban",),
        "bic": (r"bic",),
        "seller_vat": (r"nif", r"cif"),
        "buyer_block": (r"cliente", r"facturar\s*a"),
        "seller_block": (r"proveedor", r"emisor"),
        "not_a_value": (
            r"tipo\s*(?:de\s*)?(?:iva)?",
            r"%\s*iva",
            r"fecha\s*de\s*entrega",
            r"teléfono",
            r"(?:n°|número)\s*de\s*cliente",
        ),
    },
    document_titles=(r"factura", r"nota"),
    credit_titles=(r"nota\s*de\s*crédito",),
    copy_marks=(r"copia",),
    name_captions=(r"nombre(?:\s*comercial)?", r"raz[óo]n\s*social", r"direcci[óo]n", r"domicilio"),
    legal_forms=(r"sl", r"s\.l\.", r"s\.?l\.?u\.?", r"sa", r"s\.a\."),
    months=tuple(
        with_folded(names)
        for names in (
            "enero ene",
            "febrero feb",
            "marzo mar",
            "abril abr",
            "mayo",
            "junio jun",
            "julio jul",
            "agosto ago",
            "septiembre setiembre sep set",
            "octubre oct",
            "noviembre nov",
            "diciembre dic",
        )
    ),
    table_headings={
        "desc": ("descripcion", "concepto"),
        "qty": ("cantidad", "cant"),
        "unit": ("unidad",),
        "price": ("precio",),
        "code": ("codigo", "referencia"),
        "amount": ("importe",),
    },
    receipt_words=(
        r"ticket",
        r"cajero",
        r"efectivo",
        r"cambio",
        r"caja",
        r"gracias\s*por\s*su\s*visita",
    ),
    frequent_words=frozenset(
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
)
