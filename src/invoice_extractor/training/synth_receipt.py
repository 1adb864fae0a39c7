"""Synthetic European till receipts: ``NAME.png`` + ``NAME.truth.json`` pairs (seller, date,
total), in six languages, rendered with Pillow as a thermal printer prints them.

Each receipt has the shape of a real one: a header block (sometimes logo noise, a brand line or
a slogan above the merchant's legal name, then street, postcode and town, phone and VAT id), a
till and time-stamp line, items, the total, cash and change or a card payment, a VAT summary
table and a greeting. The merchant names, streets, towns, goods, legal forms and VAT ids come
from the synthetic invoices' parts (``synth_words``, ``synth_content``, ``synth_ids``).
Deterministic: receipt ``i`` of seed ``s`` depends only on ``(s, i)``; every
``SELLER_DOCUMENTS`` consecutive receipts share one merchant (``_meta.seller_group``).
"""

from __future__ import annotations

import io
import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from ..ingest.document import Line, Page, Word
from .synth import SELLER_DOCUMENTS
from .synth_content import Seller, draw_seller
from .synth_formats import Formats
from .synth_receipt_words import RECEIPT_WORDINGS, ReceiptWording
from .synth_words import WORDINGS

GENERATOR = "invoice_extractor.training.synth_receipt/1"
DPI = 203  # a thermal printer's 8 dots per millimetre
WIDTH = 40  # characters per printed line
_FONT_PX = 22
_MARGIN = 16
_CENT = Decimal("0.01")
_LANGUAGES = tuple(RECEIPT_WORDINGS)
_NOISE = "*#=~-/|\\:."


@dataclass(frozen=True, slots=True)
class Row:
    left: str
    right: str = ""
    big: bool = False
    centred: bool = False


@dataclass(frozen=True, slots=True)
class SyntheticReceipt:
    name: str
    rows: tuple[Row, ...]
    truth: dict[str, Any]


def _cents(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _wrapped(text: str, *, big: bool) -> list[Row]:
    """A centred text on as many rows as the slip's width needs (big type is wider)."""
    width = int(WIDTH / 1.4) if big else WIDTH
    rows: list[str] = []
    for word in text.split():
        if rows and len(rows[-1]) + 1 + len(word) <= width:
            rows[-1] += " " + word
        else:
            rows.append(word)
    return [Row(row, big=big, centred=True) for row in rows]


def _header(rng: random.Random, seller: Seller, words: ReceiptWording) -> list[Row]:
    """The merchant block; ``rng`` is the merchant's, so its receipts share one header."""
    party = seller.party
    rows: list[Row] = []
    if rng.random() < 0.35:  # a logo read as noise
        rows.append(
            Row("".join(rng.choice(_NOISE) for _ in range(rng.randint(5, 14))), centred=True)
        )
    if rng.random() < 0.4:  # a brand line above the legal name
        rows.append(Row(party.name.split()[0].upper(), big=True, centred=True))
    slogan_top = rng.random() < 0.3
    if slogan_top:
        rows.append(Row(rng.choice(words.slogans), centred=True))
    rows += _wrapped(party.name, big=rng.random() < 0.3)
    rows += [Row(party.street, centred=True), Row(party.town, centred=True)]
    if rng.random() < 0.5:
        rows.append(Row(f"{words.phone} {seller.phone}", centred=True))
    if party.vat_id and rng.random() < 0.85:
        rows.append(Row(rng.choice(words.vat_label).format(id=party.vat_id), centred=True))
    if not slogan_top and rng.random() < 0.3:
        rows.append(Row(rng.choice(words.slogans), centred=True))
    return rows


def _stamp(rng: random.Random, fmt: Formats, day: date) -> str:
    time = f"{rng.randint(7, 21):02d}:{rng.randint(0, 59):02d}"
    if rng.random() < 0.3:
        time += f":{rng.randint(0, 59):02d}"
    return fmt.date(day) + ("" if rng.random() < 0.15 else rng.choice([" ", "  ", " - "])) + time


def draw_receipt(seed: int, index: int) -> SyntheticReceipt:
    """Receipt ``index`` of ``seed``: the same arguments give the same rows and truth."""
    seller_index = index // SELLER_DOCUMENTS
    seller_rng = random.Random(f"synth-receipt-seller/{seed}/{seller_index}")
    language = _LANGUAGES[seller_index % len(_LANGUAGES)]
    words = RECEIPT_WORDINGS[language]
    seller = draw_seller(seller_rng, WORDINGS[language], True)
    fmt = Formats(
        number_style=words.number_style,
        currency=seller.currency,
        money_style="bare",
        date_style=seller_rng.choice(["dmy-dot", "dmy-slash", "dmy-dash", "iso"]),
        months=WORDINGS[language].months,
        long_date=WORDINGS[language].long_date,
        euro_symbol=True,
    )
    header = _header(seller_rng, seller, words)
    rng = random.Random(f"synth-receipt/{seed}/{index}")
    day = date(2023, 1, 1) + timedelta(days=rng.randint(0, 700))
    rows = [*header, Row("")]
    stamp = _stamp(rng, fmt, day)
    till = rng.choice(words.till).format(n=rng.randint(1, 9999))
    rows += [Row(till, stamp)] if rng.random() < 0.5 else [Row(till), Row(stamp)]
    rows.append(Row("-" * WIDTH))
    gross: dict[str, Decimal] = {}
    for _ in range(rng.randint(1, 9)):
        rate = rng.choice(words.rates)
        qty = rng.choice([1, 1, 1, 2, 3])
        price = _cents(Decimal(rng.randint(29, 2999)) / 100)
        amount = price * qty
        gross[rate] = gross.get(rate, Decimal(0)) + amount
        code = "AB"[words.rates.index(rate)]
        text = rng.choice(WORDINGS[language].goods)[: WIDTH - 14]
        if qty > 1:
            rows += [
                Row(text),
                Row(f"  {qty} x {fmt.number(price)}", f"{fmt.number(amount)} {code}"),
            ]
        else:
            rows.append(Row(text, f"{fmt.number(amount)} {code}"))
    total = sum(gross.values(), Decimal(0))
    rows.append(Row("-" * WIDTH))
    rows.append(
        Row(rng.choice(words.total), f"{fmt.symbol} {fmt.number(total)}", big=rng.random() < 0.4)
    )
    if rng.random() < 0.55:
        step = rng.choice([Decimal(5), Decimal(10), Decimal(20), Decimal(50)])
        given = ((total // step) + 1) * step
        rows.append(Row(rng.choice(words.cash), fmt.number(given)))
        rows.append(Row(rng.choice(words.change), fmt.number(given - total)))
    else:
        rows.append(Row(rng.choice(words.card), fmt.number(total)))
    rows += [Row(""), Row("  ".join(words.vat_heading))]
    for rate, amount in sorted(gross.items(), key=lambda item: words.rates.index(item[0])):
        net = _cents(amount / (1 + Decimal(rate.replace(",", ".")) / 100))
        cells = [
            f"{'AB'[words.rates.index(rate)]} {rate}%",
            fmt.number(net),
            fmt.number(amount - net),
        ]
        rows.append(Row("  ".join(cells), fmt.number(amount)))
    rows += [Row(""), Row(rng.choice(words.thanks), centred=True)]
    name = f"receipt-{seed:03d}-{index:05d}"
    truth: dict[str, Any] = {
        "seller_name": seller.party.name,
        "issue_date": day.isoformat(),
        "total": f"{total:.2f}",
        "currency": seller.currency,
        "extra": {"language": language, "date_as_printed": stamp},
        "_meta": {
            "source": "synthetic",
            "generator": GENERATOR,
            "seed": seed,
            "index": index,
            "seller_group": f"receipt-{seed}-{seller_index}",
            "page_style": "receipt",
        },
        "_qc": {"recommended_fields_for_visual_eval": ["issue_date", "seller_name", "total"]},
    }
    return SyntheticReceipt(name, tuple(rows), truth)


def _font(big: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    size = round(_FONT_PX * (1.4 if big else 1.0))
    for name in (
        "DejaVuSansMono-Bold.ttf" if big else "DejaVuSansMono.ttf",
        "LiberationMono-Regular.ttf",
    ):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def layout(
    rows: tuple[Row, ...],
) -> tuple[int, int, list[list[tuple[str, tuple[int, int, int, int], bool]]]]:
    """Pixel width, height and per row its words with their boxes (and whether big)."""
    normal = _font(False)
    width = int(normal.getlength("M" * WIDTH)) + 2 * _MARGIN
    placed: list[list[tuple[str, tuple[int, int, int, int], bool]]] = []
    y = _MARGIN
    for row in rows:
        font = _font(row.big)
        height = round(_FONT_PX * (1.4 if row.big else 1.0))
        line: list[tuple[str, tuple[int, int, int, int], bool]] = []
        for text, align in ((row.left, "centre" if row.centred else "left"), (row.right, "right")):
            if not text.strip():
                continue
            span = font.getlength(text)
            x = {"left": _MARGIN, "right": width - _MARGIN - span, "centre": (width - span) / 2}[
                align
            ]
            offset = 0
            for token in text.split(" "):
                if token:
                    x0 = x + font.getlength(text[:offset])
                    box = (round(x0), y, round(x0 + font.getlength(token)), y + height)
                    line.append((token, box, row.big))
                offset += len(token) + 1
        placed.append(line)
        y += round(height * 1.35)
    return width, y + _MARGIN, placed


def render_png(receipt: SyntheticReceipt) -> bytes:
    width, height, placed = layout(receipt.rows)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for line in placed:
        for text, (x0, y0, _, _), big in line:
            draw.text((x0, y0), text, fill=0, font=_font(big))
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(DPI, DPI))
    return out.getvalue()


def receipt_page(receipt: SyntheticReceipt) -> Page:
    """The receipt's words as an OCR page would give them (PDF points), without OCR."""
    width, height, placed = layout(receipt.rows)
    scale = 72 / DPI
    page = Page(1, width * scale, height * scale, source="ocr")
    for line in placed:
        words = [
            Word(t, x0 * scale, y0 * scale, x1 * scale, y1 * scale)
            for t, (x0, y0, x1, y1), _ in line
        ]
        if words:
            page.words.extend(words)
            page.lines.append(Line(words))
    return page


def write_receipts(out_dir: Path, count: int, seed: int) -> list[Path]:
    """``count`` receipts of ``seed`` as ``NAME.png`` + ``NAME.truth.json``; the images."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for index in range(count):
        receipt = draw_receipt(seed, index)
        image = out_dir / f"{receipt.name}.png"
        image.write_bytes(render_png(receipt))
        truth = json.dumps(receipt.truth, indent=2, ensure_ascii=False, sort_keys=True)
        (out_dir / f"{receipt.name}.truth.json").write_text(truth + "\n", encoding="utf-8")
        written.append(image)
    return written
