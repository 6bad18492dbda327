"""VAT by the buyer's country, and the one rounding rule of billing.

Rounding: amounts are integer cents; every computed amount (a prorated line, the VAT of a line) is
rounded **per line, half-up** (0.5 cent goes up, away from zero for credits); the invoice's VAT is the
sum of its lines' VAT. Rates are Decimal, never float.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from core.exceptions import ApplicationError

# Standard rates (2025) of the countries we sell to. A city is a public body buying a service in its
# own country: the destination country's standard rate applies.
STANDARD_RATES: dict[str, Decimal] = {
    "AT": Decimal("0.20"),
    "BE": Decimal("0.21"),
    "DE": Decimal("0.19"),
    "DK": Decimal("0.25"),
    "ES": Decimal("0.21"),
    "FI": Decimal("0.255"),
    "FR": Decimal("0.20"),
    "IE": Decimal("0.23"),
    "IT": Decimal("0.22"),
    "LU": Decimal("0.17"),
    "NL": Decimal("0.21"),
    "PT": Decimal("0.23"),
    "SE": Decimal("0.25"),
}
# Outside the EU no VAT is charged; the invoice says why.
NON_EU_NOTE = "VAT not applicable: service supplied outside the European Union."


@dataclass(frozen=True)
class VatRule:
    country: str
    rate: Decimal
    note: str


def vat_for_country(country: str) -> VatRule:
    """The VAT rule for a buyer in ``country`` (ISO 3166 alpha-2)."""
    code = (country or "").strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise ApplicationError(f"Unknown country code {country!r}.", code="invalid_country")
    if code in STANDARD_RATES:
        return VatRule(country=code, rate=STANDARD_RATES[code], note="")
    return VatRule(country=code, rate=Decimal("0"), note=NON_EU_NOTE)


def round_half_up(value: Decimal) -> int:
    """Round a Decimal amount of cents to whole cents, half away from zero."""
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def vat_cents(*, amount_cents: int, rate: Decimal) -> int:
    """VAT of one line, rounded half-up."""
    return round_half_up(Decimal(amount_cents) * rate)
