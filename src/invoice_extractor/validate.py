"""EN 16931 business-rule checks, reported as warnings on the invoice.

Every rule runs only when all its inputs are present: a value the extractor did not find is not
an error. Sums are compared as ``Decimal`` with a tolerance of 0.01, because documents round
each printed amount. Values in warnings keep the document's own precision.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_UP, Decimal

from invoice_extractor.extract.embedded.ranker import active_model
from invoice_extractor.ids import check_vat_id, is_valid_bic, is_valid_iban
from invoice_extractor.model import DocumentType, Invoice, Status

__all__ = ["MATCH_RULES", "RULES", "review_threshold", "uncertain_fields", "validate"]

RULES: tuple[tuple[str, str], ...] = (
    ("BR-CO-10", "Sum of line_items amounts equals subtotal."),
    ("BR-CO-13", "tax_exclusive_total equals subtotal - allowances + charges."),
    ("BR-CO-14", "tax_total equals the sum of tax_lines amounts."),
    ("BR-CO-15", "total equals tax_exclusive_total + tax_total."),
    ("BR-CO-16", "amount_due equals total - prepaid."),
    ("BR-CO-17", "Each tax line amount equals base x rate / 100, rounded half-up to 2 decimals."),
    (
        "line_items.N",
        "Each line item's amount equals quantity x unit_price, less its allowances and plus its "
        "charges.",
    ),
    ("IBAN", "payment.iban passes the ISO 13616 checksum and country length."),
    ("VAT", "seller.vat_id and buyer.vat_id pass their country's checksum, where one is known."),
    ("BIC", "payment.bic is a well-formed 8 or 11 character BIC with a valid country."),
    ("BR-DATES", "due_date is not before issue_date."),
    (
        "MISSING",
        "An invoice's number, issue date, seller, buyer and total were found (EN 16931 BR-02, "
        "BR-03, BR-06, BR-07, BR-14); a till receipt's date, seller and total.",
    ),
    (
        "UNCERTAIN",
        "Every field found is at least as sure as the engine's review threshold (calibrated on "
        "sellers held out in training); below it the invoice needs a look.",
    ),
)
"""Every check ``validate`` runs: (id the warning starts with, one-line description)."""

MATCH_RULES: tuple[tuple[str, str], ...] = (
    (
        "DUPLICATE",
        "No earlier invoice of the installation has the same file, the same seller and invoice "
        "number (normalised), or the same seller, date and total; the warning names it.",
    ),
    (
        "SUPPLIER-IBAN",
        "payment.iban is the IBAN on file for the seller's supplier (a change is the classic "
        "payment-fraud signal).",
    ),
    (
        "SUPPLIER-VAT",
        "seller.vat_id is the supplier's VAT id on file, and that one passes its checksum.",
    ),
    ("SUPPLIER-NEW", "seller.vat_id belongs to a supplier already in the supplier list."),
)
"""The checks against what the installation knows (``matching/``), run once an invoice is stored;
their warnings are kept when ``validate`` runs again."""

_TOLERANCE = Decimal("0.01")
_CENT = Decimal("0.01")
_ZERO = Decimal(0)


def _fmt(value: Decimal) -> str:
    return format(value, "f")


def _close(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) <= _TOLERANCE


def _terms(
    first: tuple[str, Decimal], *rest: tuple[str, str, Decimal | None]
) -> tuple[str, str, Decimal]:
    """Names, values and result of ``a +/- b ...``, leaving out absent optional terms.

    So a warning reads ``subtotal - allowances != ... (100.00 - 5.00 != ...)`` and never shows
    a term the document does not have.
    """
    names, values, result = [first[0]], [_fmt(first[1])], first[1]
    for sign, name, value in rest:
        if value is None:
            continue
        names.append(f"{sign} {name}")
        values.append(f"{sign} {_fmt(value)}")
        result = result + value if sign == "+" else result - value
    return " ".join(names), " ".join(values), result


def _sum_rule(
    rule: str, expr: tuple[str, str, Decimal], field: str, actual: Decimal
) -> Iterator[str]:
    names, values, result = expr
    if not _close(result, actual):
        yield f"{rule}: {names} != {field} ({values} != {_fmt(actual)})"


def _br_co_10(inv: Invoice) -> Iterator[str]:
    amounts = [item.amount for item in inv.line_items]
    if inv.subtotal is None or not amounts or any(a is None for a in amounts):
        return
    total = sum((a for a in amounts if a is not None), _ZERO)
    if not _close(total, inv.subtotal):
        yield (
            f"BR-CO-10: sum of line_items amounts != subtotal "
            f"({_fmt(total)} != {_fmt(inv.subtotal)})"
        )


def _br_co_13(inv: Invoice) -> Iterator[str]:
    if inv.subtotal is None or inv.tax_exclusive_total is None:
        return
    expr = _terms(
        ("subtotal", inv.subtotal),
        ("-", "allowances", inv.allowances),
        ("+", "charges", inv.charges),
    )
    yield from _sum_rule("BR-CO-13", expr, "tax_exclusive_total", inv.tax_exclusive_total)


def _br_co_14(inv: Invoice) -> Iterator[str]:
    amounts = [line.amount for line in inv.tax_lines]
    if inv.tax_total is None or not amounts or any(a is None for a in amounts):
        return
    total = sum((a for a in amounts if a is not None), _ZERO)
    if not _close(total, inv.tax_total):
        yield (
            f"BR-CO-14: sum of tax_lines amounts != tax_total "
            f"({_fmt(total)} != {_fmt(inv.tax_total)})"
        )


def _br_co_15(inv: Invoice) -> Iterator[str]:
    if inv.tax_exclusive_total is None or inv.tax_total is None or inv.total is None:
        return
    expr = _terms(
        ("tax_exclusive_total", inv.tax_exclusive_total), ("+", "tax_total", inv.tax_total)
    )
    yield from _sum_rule("BR-CO-15", expr, "total", inv.total)


def _br_co_16(inv: Invoice) -> Iterator[str]:
    # The rounding amount (BT-114) is not modelled, so it is taken as zero.
    if inv.total is None or inv.amount_due is None:
        return
    expr = _terms(("total", inv.total), ("-", "prepaid", inv.prepaid))
    yield from _sum_rule("BR-CO-16", expr, "amount_due", inv.amount_due)


def _br_co_17(inv: Invoice) -> Iterator[str]:
    for i, line in enumerate(inv.tax_lines):
        if line.base is None or line.rate is None or line.amount is None:
            continue
        expected = (line.base * line.rate / 100).quantize(_CENT, rounding=ROUND_HALF_UP)
        if not _close(expected, line.amount):
            yield (
                f"BR-CO-17: tax_lines.{i}: base x rate / 100 != amount "
                f"({_fmt(line.base)} x {_fmt(line.rate)} / 100 != {_fmt(line.amount)})"
            )


def _line_ok(
    quantity: Decimal, unit_price: Decimal, amount: Decimal, adjustment: Decimal = _ZERO
) -> bool:
    # Prices may be quoted per 10, 100 or 1000 units (BT-149 base quantity); the line's own
    # allowances and charges (BT-136, BT-141) come off and on the product.
    return any(
        _product_ok(quantity * unit_price / base + adjustment, amount) for base in _PRICE_BASES
    )


_PRICE_BASES = (Decimal(1), Decimal(10), Decimal(100), Decimal(1000))


def _product_ok(product: Decimal, amount: Decimal) -> bool:
    exponent = amount.as_tuple().exponent
    if not isinstance(exponent, int):  # NaN / Infinity: nothing sensible to compare
        return True
    # One unit of the amount's last printed decimal place (0.01 for "10.00", 1 for "10").
    unit = Decimal(1).scaleb(exponent)
    if abs(product - amount) <= max(_TOLERANCE, unit / 2):
        return True
    # The document rounded the product to its own precision, or to cents.
    if _close(product.quantize(unit, rounding=ROUND_HALF_UP), amount):
        return True
    return product.quantize(_CENT, rounding=ROUND_HALF_UP) == amount


def _line_items(inv: Invoice) -> Iterator[str]:
    for i, item in enumerate(inv.line_items):
        if item.quantity is None or item.unit_price is None or item.amount is None:
            continue
        adjustment = (item.charges or _ZERO) - (item.allowances or _ZERO)
        if not _line_ok(item.quantity, item.unit_price, item.amount, adjustment):
            terms = "".join(
                f" {sign} {name}"
                for sign, name, value in (
                    ("-", "allowances", item.allowances),
                    ("+", "charges", item.charges),
                )
                if value is not None
            )
            values = "".join(
                f" {sign} {_fmt(value)}"
                for sign, value in (("-", item.allowances), ("+", item.charges))
                if value is not None
            )
            yield (
                f"line_items.{i}: quantity x unit_price{terms} != amount "
                f"({_fmt(item.quantity)} x {_fmt(item.unit_price)}{values} != {_fmt(item.amount)})"
            )


def _identifiers(inv: Invoice) -> Iterator[str]:
    iban = inv.payment.iban
    if iban and not is_valid_iban(iban):
        yield f"IBAN: payment.iban {iban} fails its checksum"
    for path, vat_id in (("seller.vat_id", inv.seller.vat_id), ("buyer.vat_id", inv.buyer.vat_id)):
        # None (no known checksum for the country) is not a finding.
        if vat_id and check_vat_id(vat_id) is False:
            yield f"VAT: {path} {vat_id} fails its checksum"
    bic = inv.payment.bic
    if bic and not is_valid_bic(bic):
        yield f"BIC: payment.bic {bic} is not a valid BIC"


def _dates(inv: Invoice) -> Iterator[str]:
    if inv.issue_date and inv.due_date and inv.due_date < inv.issue_date:
        yield (
            f"BR-DATES: due_date {inv.due_date.isoformat()} "
            f"is before issue_date {inv.issue_date.isoformat()}"
        )


# What every invoice prints (EN 16931 BR-02, BR-03, BR-06, BR-07, BR-14), and what a till
# receipt (a simplified invoice) prints of it. A reading without one of them is no reading a
# person may skip, however sure its other values are.
REQUIRED_FIELDS: tuple[str, ...] = (
    "invoice_number",
    "issue_date",
    "seller.name",
    "buyer.name",
    "total",
)
RECEIPT_REQUIRED_FIELDS: tuple[str, ...] = ("issue_date", "seller.name", "total")


def _missing(inv: Invoice) -> Iterator[str]:
    receipt = inv.document_type is DocumentType.RECEIPT
    required = RECEIPT_REQUIRED_FIELDS if receipt else REQUIRED_FIELDS
    absent = [path for path in required if inv.get_path(path) is None]
    if absent and inv.status is not Status.FAILED:
        yield f"MISSING: {', '.join(absent)} not found"


def review_threshold() -> float | None:
    """The confidence below which a field needs a look: the engine's calibrated ``ok``
    threshold (None without a model: then no field is judged by its confidence)."""
    model = active_model()
    return None if model is None else model.ok_threshold


def uncertain_fields(inv: Invoice) -> list[tuple[str, float]]:
    """Fields the offline engine read with a calibrated confidence below its threshold (other
    backends' confidences are not calibrated: they are not judged by it). The review page marks
    exactly these, so the page and the status agree."""
    model = active_model()
    if model is None or inv.status is Status.FAILED:
        return []
    return [
        (path, conf)
        for path, conf in model.uncertain(inv)
        if inv.sources.get(path, inv.extractor) == "embedded"
    ]


def _uncertain(inv: Invoice) -> Iterator[str]:
    low = uncertain_fields(inv)
    threshold = review_threshold()
    if low and threshold is not None:
        fields = ", ".join(f"{path} ({conf:.2f})" for path, conf in low)
        yield f"UNCERTAIN: {fields} below the review threshold {threshold:.2f}"


_CHECKS: tuple[Callable[[Invoice], Iterator[str]], ...] = (
    _br_co_10,
    _br_co_13,
    _br_co_14,
    _br_co_15,
    _br_co_16,
    _br_co_17,
    _line_items,
    _identifiers,
    _dates,
    _missing,
    _uncertain,
)


def validate(invoice: Invoice) -> Invoice:
    """A copy of ``invoice`` with one warning per failed check and its status updated.

    Existing warnings are kept and none is added twice, so running it again changes nothing.
    ``failed`` stays failed; otherwise the status is ``needs_review`` if there is any warning,
    else ``ok``.
    """
    out = invoice.model_copy(deep=True)
    warnings = list(out.warnings)
    for check in _CHECKS:
        try:
            found = list(check(out))
        except ArithmeticError:
            # Absurd magnitudes (1E+60 overflows quantize) must not stop the pipeline.
            continue
        for warning in found:
            if warning not in warnings:
                warnings.append(warning)
    out.warnings = warnings
    if out.status is not Status.FAILED:
        out.status = Status.NEEDS_REVIEW if warnings else Status.OK
    return out


_CHECK_PREFIXES = tuple(
    rule.removesuffix("N") if rule.endswith(".N") else f"{rule}:" for rule, _ in RULES
)


def strip_check_warnings(invoice: Invoice) -> Invoice:
    """A copy without the warnings ``validate`` wrote, so the checks can run again on new values
    (after a user's correction); warnings from the extractor itself are kept."""
    out = invoice.model_copy(deep=True)
    out.warnings = [w for w in out.warnings if not w.startswith(_CHECK_PREFIXES)]
    return out
