"""Hand-computed data of the report designer tests.

Three customers, two products and four sales documents:

    D1 2026-01-10 delivery  customer 华联 (owner: sales)   P1 ×2 net 200 cost 120
    D2 2026-02-05 delivery  customer 珠江 (owner: other)   P1 ×1 net 100 cost 60, P2 ×3 net 300 cost 150
    D3 2026-02-20 return    customer 华联 (owner: sales)   P1 ×1 net 100 cost 60  (counts −100)
    D4 2026-02-21 draft     customer 华联                  P1 ×9 net 999          (not a sale)

Net sales 500 (华联 100, 珠江 400; January 200, February 300); the sales member (own
records) sees D1 and D3 only: 100. Expenses: sales 100 travel + 50 gifts, other 30 travel.

Test modules import what they use: `from tests.analytics.reports_fixtures import *`.
"""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django_scopes import scope

from guanxi.activities.models import Activity
from guanxi.stock.models import StockDocument, StockDocumentLine
from tests.activities.conftest import smtp_server
from tests.activities.factories import make_activity, make_contact, make_party
from tests.api.conftest import admin_api, admin_token, sales_api
from tests.catalog.factories import make_product
from tests.factories import make_member
from tests.sales.documents_fixtures import make_warehouse

_numbers = itertools.count(1)
SK = StockDocument.Kind


def make_sale(org, *, party, owner, day, lines, kind=SK.SALES_DELIVERY, status="posted", warehouse):
    """A sales document with its lines, written directly (posting is tested elsewhere)."""
    with scope(org=org.pk):
        net = sum((Decimal(n) for _p, _q, n, _c in lines), Decimal("0"))
        document = StockDocument.objects.create(
            org=org,
            number=f"SD{next(_numbers):05d}",
            kind=kind,
            status=status,
            date=day,
            party=party,
            warehouse=warehouse,
            owner=owner,
            subtotal=net,
            total=net,
            tax_total=Decimal("0"),
        )
        for position, (product, quantity, amount, unit_cost) in enumerate(lines):
            StockDocumentLine.objects.create(
                org=org,
                document=document,
                position=position,
                product=product,
                quantity=Decimal(quantity),
                unit_price=Decimal(amount) / Decimal(quantity),
                net_amount=Decimal(amount),
                total_amount=Decimal(amount),
                unit_cost=Decimal(unit_cost),
            )
        return document


@pytest.fixture
def other_member(org):
    return make_member(org, "sales", username="other")


@pytest.fixture
def sales_data(org, admin_member, sales_member, other_member):
    warehouse = make_warehouse(org)
    hualian = make_party(
        org, sales_member.user, name="上海华联贸易有限公司", province="上海", level="key"
    )
    zhujiang = make_party(org, other_member.user, name="广州珠江电器", province="广东")
    boss = make_party(org, admin_member.user, name="北京总部客户", province="北京")
    make_contact(hualian, "王芳", email="wangfang@example.test")
    make_contact(zhujiang, "李雷")
    p1 = make_product(org, name="打印机")
    p2 = make_product(org, name="墨盒")
    s, o = sales_member.user, other_member.user
    make_sale(
        org,
        party=hualian,
        owner=s,
        day=datetime.date(2026, 1, 10),
        lines=[(p1, "2", "200", "60")],
        warehouse=warehouse,
    )
    make_sale(
        org,
        party=zhujiang,
        owner=o,
        day=datetime.date(2026, 2, 5),
        lines=[(p1, "1", "100", "60"), (p2, "3", "300", "50")],
        warehouse=warehouse,
    )
    make_sale(
        org,
        party=hualian,
        owner=s,
        day=datetime.date(2026, 2, 20),
        lines=[(p1, "1", "100", "60")],
        kind=SK.SALES_RETURN,
        warehouse=warehouse,
    )
    make_sale(
        org,
        party=hualian,
        owner=s,
        day=datetime.date(2026, 2, 21),
        lines=[(p1, "9", "999", "60")],
        status="draft",
        warehouse=warehouse,
    )
    E = Activity.ExpenseCategory
    make_activity(
        org, s, Activity.Kind.EXPENSE, amount="100.00", expense_category=E.TRAVEL, party=hualian
    )
    make_activity(
        org, s, Activity.Kind.EXPENSE, amount="50.00", expense_category=E.GIFT, party=hualian
    )
    make_activity(
        org, o, Activity.Kind.EXPENSE, amount="30.00", expense_category=E.TRAVEL, party=zhujiang
    )
    return SimpleNamespace(hualian=hualian, zhujiang=zhujiang, boss=boss, p1=p1, p2=p2)


__all__ = [
    "admin_api",
    "admin_token",
    "make_sale",
    "other_member",
    "sales_api",
    "sales_data",
    "smtp_server",
]
