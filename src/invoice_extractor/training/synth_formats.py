"""How a synthetic invoice prints numbers, money and dates: one ``Formats`` per seller, drawn from
the conventions of its language and country."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

# (thousands separator, decimal separator): 1,234.56 / 1.234,56 / 1 234,56 / 1'234.56 / 1234.56
NUMBER_STYLES: dict[str, tuple[str, str]] = {
    "en": (",", "."),
    "eu": (".", ","),
    "fr": (" ", ","),
    "ch": ("'", "."),
    "plain-dot": ("", "."),
    "plain-comma": ("", ","),
}
SYMBOLS: dict[str, str] = {"EUR": "€", "GBP": "£", "USD": "$", "CHF": "CHF"}


@dataclass(frozen=True, slots=True)
class Formats:
    number_style: str
    currency: str
    money_style: str  # "symbol-before" | "symbol-after" | "code-before" | "code-after" | "bare"
    date_style: str  # "dmy-dot" | "dmy-slash" | "dmy-dash" | "mdy" | "iso" | "long" | "short-month"
    months: tuple[str, ...]
    long_date: str  # "{d} {m} {y}" with the language's word order ("{m} {d}, {y}" in en-US)
    euro_symbol: bool  # whether the font can print "€"

    def number(self, value: Decimal, places: int = 2) -> str:
        thousands, decimal = NUMBER_STYLES[self.number_style]
        sign = "-" if value < 0 else ""
        text = f"{abs(value):.{places}f}"
        whole, _, fraction = text.partition(".")
        groups: list[str] = []
        while len(whole) > 3:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        groups.insert(0, whole)
        joined = thousands.join(groups)
        return sign + (joined + decimal + fraction if fraction else joined)

    def quantity(self, value: Decimal) -> str:
        places = 0 if value == value.to_integral_value() else 2
        return self.number(value, places)

    def rate(self, value: Decimal) -> str:
        places = 0 if value == value.to_integral_value() else 1
        return (
            self.number(value, places) + " %"
            if self.number_style == "fr"
            else (self.number(value, places) + "%")
        )

    @property
    def symbol(self) -> str:
        symbol = SYMBOLS[self.currency]
        return "EUR" if symbol == "€" and not self.euro_symbol else symbol

    def money(self, value: Decimal) -> str:
        amount = self.number(value)
        if self.money_style == "symbol-before":
            return f"{self.symbol} {amount}" if self.symbol.isalpha() else self.symbol + amount
        if self.money_style == "symbol-after":
            return f"{amount} {self.symbol}"
        if self.money_style == "code-before":
            return f"{self.currency} {amount}"
        if self.money_style == "code-after":
            return f"{amount} {self.currency}"
        return amount

    def date(self, value: date) -> str:
        d, m, y = value.day, value.month, value.year
        if self.date_style == "dmy-dot":
            return f"{d:02d}.{m:02d}.{y}"
        if self.date_style == "dmy-slash":
            return f"{d:02d}/{m:02d}/{y}"
        if self.date_style == "dmy-dash":
            return f"{d:02d}-{m:02d}-{y}"
        if self.date_style == "mdy":
            return f"{m:02d}/{d:02d}/{y}"
        if self.date_style == "iso":
            return value.isoformat()
        if self.date_style == "short-month":
            return f"{d:02d}-{self.months[m - 1][:3]}-{y}"
        return self.long_date.format(d=d, m=self.months[m - 1], y=y)


def draw_formats(
    rng: random.Random,
    *,
    language: str,
    country: str,
    currency: str,
    months: tuple[str, ...],
    long_date: str,
    euro_symbol: bool,
) -> Formats:
    """The conventions of one seller: mostly its country's, sometimes another common one."""
    if country == "US":
        number_style, date_styles = "en", ["mdy", "long", "iso"]
    elif country == "CH":
        number_style, date_styles = "ch", ["dmy-dot", "long", "iso"]
    elif language == "en":
        number_style = rng.choice(["en", "en", "plain-dot"])
        date_styles = ["dmy-slash", "long", "iso", "short-month", "dmy-dot"]
    elif language == "fr":
        number_style = rng.choice(["fr", "fr", "eu", "plain-comma"])
        date_styles = ["dmy-slash", "long", "iso", "dmy-dot"]
    else:
        number_style = rng.choice(["eu", "eu", "plain-comma", "fr"])
        date_styles = ["dmy-dot", "dmy-slash", "dmy-dash", "long", "iso"]
    money_style = rng.choice(["symbol-before", "symbol-after", "code-before", "code-after", "bare"])
    if money_style.startswith("symbol") and currency == "USD":
        money_style = "symbol-before"
    return Formats(
        number_style=number_style,
        currency=currency,
        money_style=money_style,
        date_style=rng.choice(date_styles),
        months=months,
        long_date=long_date if country != "US" else "{m} {d}, {y}",
        euro_symbol=euro_symbol,
    )
