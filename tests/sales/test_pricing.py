"""The pricing rules of quotes, orders and purchase orders (guanxi.sales.pricing)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from guanxi.sales.pricing import (
    LineAmounts,
    discounted_unit_price,
    document_totals,
    line_errors,
    money,
    price_line,
    validate_line,
    validate_percent,
    validate_price,
    validate_quantity,
)

D = Decimal


def test_plain_line_without_discount_or_tax():
    amounts = price_line(D("3"), D("10.00"), D("0"), D("0"))
    assert amounts == LineAmounts(
        net=D("30.00"), tax=D("0.00"), total=D("30.00"), discount=D("0.00")
    )


def test_line_with_discount_and_tax():
    # 2 × 99.99 = 199.98; 10% off → 179.982 → 179.98; 13% tax → 23.3974 → 23.40
    amounts = price_line("2", "99.99", "10", "13")
    assert amounts.net == D("179.98")
    assert amounts.tax == D("23.40")
    assert amounts.total == D("203.38")
    assert amounts.discount == D("20.00")
    assert amounts.gross == D("199.98")


def test_half_up_rounding_on_the_net_and_the_tax():
    # 1 × 0.125 → 0.13 (half-up, not banker's 0.12)
    assert price_line("1", "0.125").net == D("0.13")
    # net 0.50 at 1% tax = 0.005 → 0.01
    assert price_line("1", "0.50", "0", "1").tax == D("0.01")


def test_fractional_quantity():
    assert price_line("1.5", "3.33").net == D("5.00")  # 4.995 → 5.00


def test_floats_go_through_their_repr():
    assert price_line(0.1, 3).net == D("0.30")


def test_full_discount_gives_zero():
    amounts = price_line("4", "25", "100", "13")
    assert amounts.net == D("0.00")
    assert amounts.tax == D("0.00")
    assert amounts.discount == D("100.00")


def test_document_totals_are_sums_of_rounded_lines():
    # three lines of 1 × 0.333 at 0% → each 0.33; the document total is 0.99, not 1.00
    lines = [price_line("1", "0.333") for _ in range(3)]
    totals = document_totals(lines)
    assert totals.total == D("0.99")
    assert totals.subtotal == D("0.99")


def test_document_totals_with_discounts_and_tax():
    lines = [price_line("2", "100", "10", "13"), price_line("1", "50", "0", "6")]
    totals = document_totals(lines)
    assert totals.subtotal == D("250.00")
    assert totals.discount_total == D("20.00")
    assert totals.tax_total == D("26.40")  # 23.40 + 3.00
    assert totals.total == D("256.40")
    assert totals.net_total == D("230.00")


def test_empty_document():
    totals = document_totals([])
    assert totals.total == D("0.00")
    assert totals.subtotal == D("0.00")


def test_discounted_unit_price():
    assert discounted_unit_price("100", "15") == D("85.00")
    assert discounted_unit_price("9.99", "33.33") == D("6.66")


def test_money_rounds_half_up():
    assert money("2.675") == D("2.68")
    assert money(None) == D("0.00")


# --- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("-1", "10", "0", "0"), "quantity"),
        (("0", "10", "0", "0"), "quantity"),
        (("1", "-0.01", "0", "0"), "unit_price"),
        (("1", "10", "100.01", "0"), "discount_percent"),
        (("1", "10", "-5", "0"), "discount_percent"),
        (("1", "10", "0", "101"), "tax_rate"),
        (("1", "10", "0", "-1"), "tax_rate"),
        (("abc", "10", "0", "0"), "quantity"),
        (("1", "x", "0", "0"), "unit_price"),
        (("1", "NaN", "0", "0"), "unit_price"),
        (("1.0001", "10", "0", "0"), "quantity"),
        (("1", "10.001", "0", "0"), "unit_price"),
        (("1", "10", "12.345", "0"), "discount_percent"),
        (("100000000000", "100", "0", "0"), "quantity"),
        (("1e999999", "1", "0", "0"), "quantity"),
        (("1", "1e999999", "0", "0"), "unit_price"),
        (("1e-999999", "1", "0", "0"), "quantity"),
    ],
)
def test_bad_lines_raise_field_errors(args, field):
    with pytest.raises(ValidationError) as caught:
        validate_line(*args)
    assert field in caught.value.message_dict


def test_zero_quantity_may_be_allowed():
    assert line_errors("0", "10", allow_zero_quantity=True) == {}


def test_several_errors_at_once():
    errors = line_errors("-1", "-1", "200", "200")
    assert set(errors) == {"quantity", "unit_price", "discount_percent", "tax_rate"}


def test_good_line_passes():
    validate_line("2", "99.99", "100", "13")


def test_single_value_validators():
    assert validate_quantity("2.5") == D("2.5")
    assert validate_price("0") == D("0")
    assert validate_percent("100", "discount_percent") == D("100")
    with pytest.raises(ValidationError) as caught:
        validate_quantity("-1", field="qty")
    assert "qty" in caught.value.message_dict
    with pytest.raises(ValidationError):
        validate_price("-3")
    with pytest.raises(ValidationError) as caught:
        validate_percent("100.5", "tax_rate")
    assert "tax_rate" in caught.value.message_dict
    with pytest.raises(ValidationError):
        validate_percent("zz", "tax_rate")


# --- properties --------------------------------------------------------------------------

quantities = st.decimals(min_value=D("0.001"), max_value=D("100000"), places=3)
prices = st.decimals(min_value=D("0"), max_value=D("100000"), places=2)
percents = st.decimals(min_value=D("0"), max_value=D("100"), places=2)


@settings(deadline=None)  # the machine may be busy: no wall-time limit
@given(quantities, prices, percents, percents)
def test_line_properties(qty, price, discount, rate):
    amounts = price_line(qty, price, discount, rate)
    for value in (amounts.net, amounts.tax, amounts.total, amounts.discount):
        assert value == value.quantize(D("0.01"))
        assert value >= 0
    assert amounts.total == amounts.net + amounts.tax
    assert amounts.gross == (qty * price).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    assert amounts.net <= amounts.gross
    # the net is within half a cent of the exact discounted amount
    exact = qty * price * (100 - discount) / 100
    assert abs(amounts.net - exact) <= D("0.005")
    assert line_errors(qty, price, discount, rate) == {}


@settings(deadline=None)
@given(st.lists(st.tuples(quantities, prices, percents, percents), max_size=8))
def test_totals_properties(rows):
    lines = [price_line(*row) for row in rows]
    totals = document_totals(lines)
    assert totals.total == sum((line.total for line in lines), D("0"))
    assert totals.tax_total == sum((line.tax for line in lines), D("0"))
    assert totals.subtotal - totals.discount_total + totals.tax_total == totals.total
