"""Line and document amounts, computed once, the same way everywhere (C5–C7).

The rules (documented in docs/user/quotes-and-orders.md and docs/decisions.md):

- Prices are **exclusive of tax** (不含税单价).
- A line's net amount is ``round(quantity × unit price × (1 − discount % / 100))``.
- A line's tax is ``round(net × tax rate / 100)``; its total is ``net + tax``.
- A line's discount is ``round(quantity × unit price) − net`` (so gross − discount = net).
- Every rounding is to 0.01 with ROUND_HALF_UP (四舍五入), once per line.
- Document totals are the sums of the rounded lines: subtotal (before discount),
  discount total, tax total and total. They are never recomputed from the totals.

Every document service (quotes, orders, purchase orders, opportunity lines, stock
documents) prices through `price_line` and `document_totals`, and validates its input
through `validate_line`, so the web pages, the API and imports agree to the cent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CENT = Decimal("0.01")
ZERO = Decimal("0")
HUNDRED = Decimal("100")
MAX_AMOUNT = Decimal("999999999999.99")  # what a MONEY column (14, 2) can hold
MAX_QUANTITY = Decimal("99999999999.999")  # what a QUANTITY column (14, 3) can hold


@dataclass(frozen=True)
class LineAmounts:
    """The amounts of one priced line, each rounded to 0.01."""

    net: Decimal
    tax: Decimal
    total: Decimal
    discount: Decimal

    @property
    def gross(self) -> Decimal:
        """Quantity × unit price, rounded: the amount before discount."""
        return self.net + self.discount


@dataclass(frozen=True)
class Totals:
    """The totals of a document: sums of its rounded lines."""

    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal

    @property
    def net_total(self) -> Decimal:
        return self.subtotal - self.discount_total


def money(value: Any) -> Decimal:
    """`value` as a Decimal rounded half-up to 0.01."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def to_decimal(value: Any) -> Decimal:
    """`value` as a Decimal; floats go through their shortest repr (0.1 → Decimal("0.1"))."""
    if isinstance(value, Decimal):
        return value
    if value is None or value == "":
        return ZERO
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value).strip())


def price_line(
    quantity: Any, unit_price: Any, discount_percent: Any = ZERO, tax_rate: Any = ZERO
) -> LineAmounts:
    """Price one line (see the module docstring for the rules).

    Does not validate: call `validate_line` first where the input comes from a user.
    """
    qty = to_decimal(quantity)
    price = to_decimal(unit_price)
    discount = to_decimal(discount_percent)
    rate = to_decimal(tax_rate)
    gross = money(qty * price)
    net = money(qty * price * (HUNDRED - discount) / HUNDRED)
    tax = money(net * rate / HUNDRED)
    return LineAmounts(net=net, tax=tax, total=net + tax, discount=gross - net)


def document_totals(lines: Iterable[LineAmounts]) -> Totals:
    """Sum the rounded lines of a document."""
    subtotal = discount_total = tax_total = total = ZERO
    for line in lines:
        subtotal += line.gross
        discount_total += line.discount
        tax_total += line.tax
        total += line.total
    return Totals(
        subtotal=subtotal.quantize(CENT),
        discount_total=discount_total.quantize(CENT),
        tax_total=tax_total.quantize(CENT),
        total=total.quantize(CENT),
    )


def discounted_unit_price(list_price: Any, discount_percent: Any) -> Decimal:
    """A purchase line's unit price: list price × (1 − discount / 100), rounded to 0.01."""
    return money(to_decimal(list_price) * (HUNDRED - to_decimal(discount_percent)) / HUNDRED)


# --- validation ---------------------------------------------------------------------------


def _parse(value: Any, field: str, errors: dict[str, list[str]]) -> Decimal | None:
    try:
        number = to_decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        errors.setdefault(field, []).append(_("Enter a number."))
        return None
    if not number.is_finite():
        errors.setdefault(field, []).append(_("Enter a number."))
        return None
    return number


def line_errors(
    quantity: Any,
    unit_price: Any,
    discount_percent: Any = ZERO,
    tax_rate: Any = ZERO,
    *,
    allow_zero_quantity: bool = False,
) -> dict[str, list[str]]:
    """Field-keyed messages for a line's numbers; empty when the line is fine."""
    errors: dict[str, list[str]] = {}
    qty = _parse(quantity, "quantity", errors)
    price = _parse(unit_price, "unit_price", errors)
    discount = _parse(discount_percent, "discount_percent", errors)
    rate = _parse(tax_rate, "tax_rate", errors)
    if qty is not None:
        if qty < 0:
            errors.setdefault("quantity", []).append(_("The quantity cannot be negative."))
        elif qty == 0 and not allow_zero_quantity:
            errors.setdefault("quantity", []).append(_("Enter a quantity above zero."))
        elif qty.as_tuple().exponent < -3:  # type: ignore[operator]
            errors.setdefault("quantity", []).append(
                _("Use at most three decimal places for the quantity.")
            )
        elif qty > MAX_QUANTITY:
            errors.setdefault("quantity", []).append(_("The quantity is too large."))
    if price is not None:
        if price < 0:
            errors.setdefault("unit_price", []).append(_("The price cannot be negative."))
        elif price.as_tuple().exponent < -2:  # type: ignore[operator]
            errors.setdefault("unit_price", []).append(
                _("Use at most two decimal places for the price.")
            )
        elif price > MAX_AMOUNT:
            errors.setdefault("unit_price", []).append(_("The price is too large."))
    if discount is not None:
        if not ZERO <= discount <= HUNDRED:
            errors.setdefault("discount_percent", []).append(
                _("The discount must be between 0 and 100%.")
            )
        elif discount.as_tuple().exponent < -2:  # type: ignore[operator]
            errors.setdefault("discount_percent", []).append(
                _("Use at most two decimal places for a percentage.")
            )
    if rate is not None:
        if not ZERO <= rate <= HUNDRED:
            errors.setdefault("tax_rate", []).append(_("The tax rate must be between 0 and 100%."))
        elif rate.as_tuple().exponent < -2:  # type: ignore[operator]
            errors.setdefault("tax_rate", []).append(
                _("Use at most two decimal places for a percentage.")
            )
    if not errors and qty is not None and price is not None:
        amounts = price_line(qty, price, discount, rate)
        if amounts.gross > MAX_AMOUNT or amounts.total > MAX_AMOUNT:
            errors.setdefault("quantity", []).append(_("The line amount is too large."))
    return errors


def validate_line(
    quantity: Any,
    unit_price: Any,
    discount_percent: Any = ZERO,
    tax_rate: Any = ZERO,
    *,
    allow_zero_quantity: bool = False,
) -> None:
    """Raise a ValidationError keyed by field (quantity, unit_price, discount_percent,
    tax_rate) when a line's numbers are not acceptable."""
    errors = line_errors(
        quantity,
        unit_price,
        discount_percent,
        tax_rate,
        allow_zero_quantity=allow_zero_quantity,
    )
    if errors:
        raise ValidationError(errors)


def validate_quantity(quantity: Any, field: str = "quantity") -> Decimal:
    """A non-negative quantity as a Decimal, or a ValidationError keyed by `field`."""
    errors: dict[str, list[str]] = {}
    qty = _parse(quantity, field, errors)
    if qty is not None and qty < 0:
        errors.setdefault(field, []).append(_("The quantity cannot be negative."))
    if errors or qty is None:
        raise ValidationError(errors)
    return qty


def validate_price(price: Any, field: str = "unit_price") -> Decimal:
    """A non-negative price as a Decimal, or a ValidationError keyed by `field`."""
    errors: dict[str, list[str]] = {}
    value = _parse(price, field, errors)
    if value is not None and value < 0:
        errors.setdefault(field, []).append(_("The price cannot be negative."))
    if errors or value is None:
        raise ValidationError(errors)
    return value


def validate_percent(value: Any, field: str) -> Decimal:
    """A percentage 0–100 as a Decimal, or a ValidationError keyed by `field`."""
    errors: dict[str, list[str]] = {}
    number = _parse(value, field, errors)
    if number is not None and not ZERO <= number <= HUNDRED:
        errors.setdefault(field, []).append(_("Enter a percentage between 0 and 100."))
    if errors or number is None:
        raise ValidationError(errors)
    return number
