"""Money: ``Decimal`` amounts tagged with an ISO 4217 currency, rounded only for people.

Figures are computed on unrounded ``Decimal`` values (a subscription's daily share, 12/365 of
a monthly amount, does not end after two digits); rounding to the currency's minor units
(cents, yen, fils) happens once, in :func:`format_money` / :meth:`Money.rounded`, so a total is
never the sum of rounded parts. Floats never touch money: YAML and JSON numbers are turned into
``Decimal`` through their shortest text form (:func:`to_decimal`).

Adding two amounts in different currencies raises :class:`CurrencyMismatch`; converting needs
an explicit rate (:class:`FxRates`, the ``fx:`` block of the budgets file).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = [
    "COMMON",
    "CURRENCIES",
    "CurrencyMismatch",
    "FxRates",
    "Money",
    "format_money",
    "format_percent",
    "minor_units",
    "to_decimal",
]

# Active ISO 4217 codes and their minor units (digits after the decimal point). Funds codes
# (BOV, CHE, ...) are included because treasury teams budget in them; precious metals, test and
# "no currency" codes (XAU, XTS, XXX) are left out: a budget is never written in them.


def _codes(text: str) -> list[str]:
    return text.split()


CURRENCIES: Mapping[str, int] = {
    **dict.fromkeys(
        _codes(
            "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP "
            "BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR "
            "FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR "
            "KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV "
            "MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR "
            "SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH "
            "USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG"
        ),
        2,
    ),
    **dict.fromkeys(
        _codes("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"), 0
    ),
    **dict.fromkeys(_codes("BHD IQD JOD KWD LYD OMR TND"), 3),
    **dict.fromkeys(_codes("CLF UYW"), 4),
}


# Currencies most budgets are written in: offered first when a code is misspelt, so "USX"
# suggests USD rather than the equally close USN (a funds code).
COMMON = (
    "USD",
    "EUR",
    "GBP",
    "JPY",
    "CHF",
    "CAD",
    "AUD",
    "SEK",
    "NOK",
    "DKK",
    "PLN",
    "CZK",
    "INR",
    "CNY",
    "BRL",
    "MXN",
    "ZAR",
    "SGD",
    "HKD",
    "NZD",
)


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined without a rate."""


def minor_units(currency: str) -> int:
    """Digits after the decimal point for ``currency`` (KeyError for an unknown code)."""
    return CURRENCIES[currency]


def to_decimal(value: object) -> Decimal:
    """A YAML/JSON number (or its text) as an exact ``Decimal``.

    A float goes through ``repr`` (its shortest round-tripping text), so ``85.1`` becomes
    ``Decimal("85.1")``, not ``85.099999999999994315658113919198513031005859375``. Booleans,
    NaN and infinities are refused with ``ValueError``.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"expected a number, got {value!r}")
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip().replace("_", ""))
        except InvalidOperation:
            raise ValueError(f"expected a number, got {value!r}") from None
    else:
        raise ValueError(f"expected a number, got {value!r}")
    if not result.is_finite():
        raise ValueError(f"expected a number, got {value!r}")
    return result


@dataclass(frozen=True, slots=True)
class Money:
    """An unrounded amount in one currency. ``str()`` is the rounded, grouped presentation."""

    amount: Decimal
    currency: str

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(
                f"cannot combine {self.currency} and {other.currency} without an exchange rate"
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def rounded(self) -> Decimal:
        """The amount rounded half-up to the currency's minor units (cents for USD)."""
        return _round(self.amount, self.currency)

    def __str__(self) -> str:
        return format_money(self)


def _round(amount: Decimal, currency: str) -> Decimal:
    exp = Decimal(1).scaleb(-CURRENCIES.get(currency, 2))
    return amount.quantize(exp, rounding=ROUND_HALF_UP)


def format_money(money: Money | None, *, missing: str = "—") -> str:
    """``USD 12,345.68``: rounded half-up to minor units, thousands grouped; ``missing`` for
    None (a forecast that cannot be made)."""
    if money is None:
        return missing
    return f"{money.currency} {_round(money.amount, money.currency):,}"


def format_percent(value: Decimal | None, *, places: int = 1, missing: str = "—") -> str:
    """``62.5%`` (half-up to ``places`` decimals); ``missing`` for None."""
    if value is None:
        return missing
    exp = Decimal(1).scaleb(-places)
    return f"{value.quantize(exp, rounding=ROUND_HALF_UP)}%"


@dataclass(frozen=True)
class FxRates:
    """Fixed exchange rates from the budgets file: ``rates[("EUR", "USD")] = 1.08`` reads
    "1 EUR is 1.08 USD". A pair also converts the other way (divide by the rate); rates are
    not chained through a third currency, because a chained rate is one nobody agreed to."""

    rates: Mapping[tuple[str, str], Decimal]

    def can_convert(self, source: str, target: str) -> bool:
        return source == target or (source, target) in self.rates or (target, source) in self.rates

    def convert(self, amount: Decimal, source: str, target: str) -> Decimal:
        """``amount`` in ``source`` expressed in ``target`` (one multiplication or division)."""
        if source == target:
            return amount
        direct = self.rates.get((source, target))
        if direct is not None:
            return amount * direct
        inverse = self.rates.get((target, source))
        if inverse is not None:
            return amount / inverse
        raise CurrencyMismatch(
            f"no exchange rate between {source} and {target}: "
            f"add fx: {{{source}/{target}: <rate>}} to the budgets file"
        )

    def money(self, money: Money, target: str) -> Money:
        return Money(self.convert(money.amount, money.currency, target), target)


def total(items: Iterable[Money], currency: str) -> Money:
    """Sum in ``currency`` (every item must already be in it)."""
    result = Money.zero(currency)
    for item in items:
        result = result + item
    return result
