"""Template filters of the sales documents."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()


@register.filter
def plain(value: Any) -> str:
    """A quantity or percentage without trailing zeros or exponent: 20.000 → "20",
    1.500 → "1.5" (Decimal.normalize alone would give "2E+1")."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    text = format(number.normalize(), "f")
    return "0" if text in {"-0", ""} else text
