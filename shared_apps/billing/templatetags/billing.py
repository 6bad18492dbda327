"""Money in templates: integer cents shown as 1,234.50 (two decimals, Decimal arithmetic, no float)."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def cents(value: int | None) -> str:
    """12345 -> "123.45"; 144000 -> "1,440.00"; -500 -> "-5.00"."""
    if value is None:
        return ""
    amount = Decimal(int(value)) / 100
    return f"{amount:,.2f}"


@register.filter
def percent(rate: Decimal | None) -> str:
    """Decimal("0.2100") -> "21"; Decimal("0.2550") -> "25.5"."""
    if rate is None:
        return ""
    return f"{(rate * 100).normalize():f}"
