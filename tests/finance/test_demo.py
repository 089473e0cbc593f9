"""The demo receipts and payments: through the services, deterministic, idempotent."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from django_scopes import scope

from guanxi.core.demo import DemoContext, demo_seeders
from guanxi.finance.demo import seed_money
from guanxi.finance.models import MoneyDocument
from guanxi.finance.openitems import ageing_by_party
from guanxi.stock.models import StockDocument
from tests.finance.factories import make_customer, make_order, make_supplier, post_stock

pytestmark = pytest.mark.django_db


def test_seeder_runs_after_the_stock_seeder():
    orders = {seeder.name: seeder.order for seeder in demo_seeders()}
    assert orders["finance"] == 70
    # Every seeder of records runs before the money; only the analysis of it comes after.
    assert all(
        order < 70
        for name, order in orders.items()
        if not name.startswith(("finance", "analytics", "reports"))
    )
    assert all(
        order > 70 for name, order in orders.items() if name.startswith(("analytics", "reports"))
    )


def test_nothing_to_pay_without_deliveries(org):
    log: list[str] = []
    seed_money(DemoContext(org=org, log=log.append))
    with scope(org=org.pk):
        assert not MoneyDocument.objects.exists()
    assert "nothing to pay" in log[-1]


def _history(org):
    today = timezone.localdate()
    customers = [make_customer(org, f"演示客户{i}") for i in range(10)]
    for index, customer in enumerate(customers):
        for month in range(0, 14, 2):
            day = today - datetime.timedelta(days=30 * month + 3 * index)
            post_stock(org, customer, 1000 + 100 * index, date=day)
    make_order(org, customers[0], "5000.00", date=today - datetime.timedelta(days=3))
    supplier = make_supplier(org, "演示供应商")
    for month in range(0, 10, 2):
        day = today - datetime.timedelta(days=30 * month)
        post_stock(org, supplier, 2000, kind=StockDocument.Kind.PURCHASE_RECEIPT, date=day)
    return customers


def test_seed_pays_most_deliveries_and_leaves_some_overdue(org):
    customers = _history(org)
    log: list[str] = []
    context = DemoContext(org=org, log=log.append)

    seed_money(context)

    with scope(org=org.pk):
        receipts = MoneyDocument.objects.filter(kind="receipt", status="posted")
        payments = MoneyDocument.objects.filter(kind="payment", status="posted")
        assert receipts.count() >= 30
        assert payments.count() >= 3
        rows = ageing_by_party("receivable")
        owing = [rows[c.pk] for c in customers if c.pk in rows and rows[c.pk].balance > 0]
        assert len(owing) >= 4
        assert any(r.b90 > 0 for r in owing)
        assert any(r.b31_60 > 0 or r.b61_90 > 0 for r in owing)
        assert any(r.overdue > 0 for r in owing)
        count = MoneyDocument.objects.count()
    assert "receipts" in log[-1]

    seed_money(context)
    with scope(org=org.pk):
        assert MoneyDocument.objects.count() == count
    assert "left alone" in log[-1]
