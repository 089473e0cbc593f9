"""party_balance and credit_exposure: what other apps read."""

from __future__ import annotations

import pytest
from django_scopes import scope

from guanxi.finance.balances import credit_exposure, party_balance
from guanxi.stock.models import StockDocument
from tests.finance.factories import D, make_customer, make_order, make_supplier, post_stock, receipt

pytestmark = pytest.mark.django_db


def test_party_balance_per_book(org):
    customer = make_customer(org, is_supplier=True)
    post_stock(org, customer, "100.00")
    post_stock(org, customer, "30.00", kind=StockDocument.Kind.PURCHASE_RECEIPT)
    receipt(org, customer, "40.00")
    with scope(org=org.pk):
        assert party_balance(customer) == D(60)
        assert party_balance(customer, "payable") == D(30)
        assert party_balance(make_supplier(org, "无")) == D(0)


def test_credit_exposure_adds_undelivered_confirmed_orders(org):
    customer = make_customer(org)
    order = make_order(org, customer, "1000.00")
    make_order(org, customer, "500.00", status="draft")
    other = make_order(org, customer, "200.00")
    post_stock(org, customer, "300.00", order=order)
    receipt(org, customer, "100.00")
    with scope(org=org.pk):
        # balance 300 − 100, plus 700 + 200 undelivered
        assert credit_exposure(customer) == D(1100)
        assert credit_exposure(customer, exclude_order=other.pk) == D(900)
