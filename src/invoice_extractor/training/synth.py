"""Synthetic invoices for training the ranker: ``NAME.pdf`` + ``NAME.truth.json`` pairs in the
corpus's truth format, in six languages and many layouts.

Deterministic: document ``i`` of seed ``s`` depends only on ``(s, i)``; every ``SELLER_DOCUMENTS``
consecutive documents share one seller and its template (``_meta.seller_group``), so grouped
cross-validation keeps a layout out of the folds it is scored on.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from .synth_content import Content, draw_content, draw_seller
from .synth_formats import draw_formats
from .synth_layout import Layout, draw_layout
from .synth_render import Printed
from .synth_table import render
from .synth_words import LANGUAGES, WORDINGS

SELLER_DOCUMENTS = 3
GENERATOR = "invoice_extractor.training.synth/1"
# Fields printed on every synthetic invoice; the others only where ``Printed`` says so.
ALWAYS_PRINTED = ("invoice_number", "issue_date", "seller_name", "buyer_name", "currency",
                  "subtotal", "total", "amount_due")  # fmt: skip
FIELD_ORDER = ("invoice_number", "issue_date", "due_date", "seller_name", "seller_vat_id",
               "buyer_name", "currency", "subtotal", "tax_total", "total", "amount_due", "iban",
               "po_number", "line_items")  # fmt: skip


@dataclass(frozen=True, slots=True)
class SyntheticInvoice:
    name: str
    pdf: bytes
    truth: dict[str, Any]


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _line_count(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.12:
        return rng.randint(28, 60)  # several pages
    if roll < 0.3:
        return rng.randint(9, 20)
    return rng.randint(1, 8)


def build_truth(
    content: Content, layout: Layout, printed: Printed, *, seed: int, index: int, group: str
) -> dict[str, Any]:
    seller, buyer = content.seller, content.buyer
    truth: dict[str, Any] = {
        "invoice_number": content.number,
        "issue_date": content.issue_date.isoformat(),
        "due_date": content.due_date.isoformat() if "due_date" in printed.fields else None,
        "seller_name": seller.party.name,
        "seller_vat_id": seller.party.vat_id if "seller_vat_id" in printed.fields else None,
        "buyer_name": buyer.name,
        "currency": seller.currency,
        "subtotal": _amount(content.subtotal),
        "tax_total": _amount(content.tax_total),
        "total": _amount(content.total),
        "amount_due": _amount(content.amount_due),
        "iban": seller.iban if "iban" in printed.fields else None,
        "po_number": content.po_number,
        "line_items": [
            {
                "line_id": str(n),
                "description": line.description,
                "quantity": _number(line.quantity),
                "unit_price": _amount(line.unit_price),
                "amount": _amount(line.amount),
                "tax_rate": _number(line.rate),
            }
            for n, line in enumerate(content.lines, start=1)
        ],
    }
    truth = {k: v for k, v in truth.items() if v is not None}
    shown = {*ALWAYS_PRINTED, *printed.fields, "line_items"}
    if content.po_number:
        shown.add("po_number")
    extra: dict[str, Any] = {
        "document_type_code": "381" if content.credit_note else "380",
        "tax_basis_total": _amount(content.tax_base),
        "allowance_total": _amount(content.discount),
        "prepaid_amount": _amount(content.prepaid),
        "tax_lines": [
            {"rate": _number(t.rate), "base": _amount(t.base), "amount": _amount(t.amount)}
            for t in content.tax_lines
        ],
        "language": seller.wording.language,
        "seller_country": seller.party.country,
    }
    if buyer.vat_id and "buyer_vat_id" in printed.fields:
        extra["buyer_vat_id"] = buyer.vat_id
    truth["extra"] = extra
    truth["_meta"] = {
        "source": "synthetic",
        "generator": GENERATOR,
        "seed": seed,
        "index": index,
        "seller_group": group,
        "page_style": "invoice-layout",
        "pages": printed.pages,
        "layout": {
            "font": layout.font,
            "letterhead": layout.letterhead,
            "buyer_side": layout.buyer_side,
            "meta_style": layout.meta_style,
            "table_rules": layout.table_rules,
            "totals_style": layout.totals_style,
            "columns": list(layout.columns),
        },
    }
    truth["_qc"] = {"recommended_fields_for_visual_eval": [f for f in FIELD_ORDER if f in shown]}
    return truth


def generate(seed: int, index: int, *, allow_unicode: bool = True) -> SyntheticInvoice:
    """Document ``index`` of ``seed``: the same arguments give the same truth and page text."""
    seller_index = index // SELLER_DOCUMENTS
    seller_rng = random.Random(f"synth-seller/{seed}/{seller_index}")
    language = LANGUAGES[seller_index % len(LANGUAGES)]  # every language in any six sellers
    words = WORDINGS[language]
    layout = draw_layout(seller_rng, words, allow_unicode=allow_unicode)
    seller = draw_seller(seller_rng, words, layout.unicode_font)
    fmt = draw_formats(
        seller_rng,
        language=language,
        country=seller.party.country,
        currency=seller.currency,
        months=words.months,
        long_date=words.long_date,
        euro_symbol=layout.unicode_font,
    )
    rng = random.Random(f"synth-document/{seed}/{index}")
    content = draw_content(rng, seller, index, layout.unicode_font, _line_count(rng))
    pdf, printed = render(content, layout, fmt, letter=seller.party.country == "US")
    group = f"synth:{seed}:{seller_index}"
    truth = build_truth(content, layout, printed, seed=seed, index=index, group=group)
    name = f"synth-{seed}-{index:05d}-{language}"
    return SyntheticInvoice(name, pdf, truth)


def write_synthetic(out_dir: Path, count: int, seed: int) -> list[Path]:
    """Write ``count`` invoices of ``seed`` into ``out_dir``; returns the PDF paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        invoice = generate(seed, index)
        pdf_path = out_dir / f"{invoice.name}.pdf"
        pdf_path.write_bytes(invoice.pdf)
        text = json.dumps(invoice.truth, indent=2, ensure_ascii=False) + "\n"
        (out_dir / f"{invoice.name}.truth.json").write_text(text, encoding="utf-8")
        paths.append(pdf_path)
    return paths
