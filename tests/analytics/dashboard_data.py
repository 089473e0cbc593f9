"""A small, hand-computed business for the dashboard tests (figures in the docstring).

Today is 2026-06-15; the period is June 2026 unless a test says otherwise.

People: boss (admin), sales (team 华东), sales2 (team 华南), lead (manager, team 华东).

Customers (owner, province, kind) and their posted deliveries (net, tax-free):
- A  sales,  江苏, company: 2026-01-10 500 (P2, by sales); 2026-06-03 1000 (P1, by sales)
- B  sales2, 浙江, person born 1990-07-01 (35 on 2026-06-15): 2026-06-10 2000 (P2, by sales2)
- C  sales,  江苏, company: 2026-01-20 800 (P1, by sales)
- D  sales,  no province, company: 2026-03-10 300 (P1, by sales)

June as the admin sees it: revenue 3000 (2 deliveries); products P2 2000, P1 1000; people
sales2 2000, sales 1000; new customers 1 (B); lapse cut-off 2026-06-15 − 90 d = 03-17:
lapsed C and D (2), of which lapsed in June D (its 90 days ended 06-08); provinces 江苏 2,
浙江 1, unknown 1; ages: B 35–44, A C D companies under a year.

The sales user sees their own documents and customers: revenue 1000, products P1 1000,
people sales 1000, new 0, lapsed 2 (C, D), lapsed in June 1 (D).

Opportunities (open, first stage): sales 10000, sales2 5000. Target: sales, June 2026,
5000; a confirmed order of sales on 2026-06-05 for 2000 (attainment 40 %, gap 3000).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django_scopes import scopes_disabled

from tests.factories import make_member, make_team
from tests.finance.factories import make_product, post_stock
from tests.sales.pipeline_factories import make_customer, make_opportunity

TODAY = datetime.date(2026, 6, 15)
JUNE = (datetime.date(2026, 6, 1), datetime.date(2026, 6, 30))


@dataclass
class Business:
    org: Any
    boss: Any
    sales: Any
    sales2: Any
    lead: Any
    customers: dict[str, Any]
    products: dict[str, Any]


def build(org, *, boss=None) -> Business:
    from guanxi.sales.models import Order, SalesTarget

    east = make_team(org, "华东")
    south = make_team(org, "华南")
    boss = boss or make_member(org, "admin", username="boss")
    sales = make_member(org, "sales", team=east, username="sales")
    sales2 = make_member(org, "sales", team=south, username="sales2")
    lead = make_member(org, "manager", team=east, username="lead")
    s, s2 = sales.user, sales2.user
    customers = {
        "A": make_customer(org, s, name="甲公司", province="江苏"),
        "B": make_customer(
            org,
            s2,
            name="乙先生",
            province="浙江",
            kind="person",
            birthday=datetime.date(1990, 7, 1),
        ),
        "C": make_customer(org, s, name="丙公司", province="江苏"),
        "D": make_customer(org, s, name="丁公司"),
    }
    products = {
        "P1": make_product(org, code="P1", name="阀门"),
        "P2": make_product(org, code="P2", name="水泵"),
    }
    a, b, c, d = (customers[k] for k in "ABCD")
    p1, p2 = products["P1"], products["P2"]
    post_stock(org, a, 500, date=datetime.date(2026, 1, 10), product=p2, owner=s)
    post_stock(org, a, 1000, date=datetime.date(2026, 6, 3), product=p1, owner=s)
    post_stock(org, b, 2000, date=datetime.date(2026, 6, 10), product=p2, owner=s2)
    post_stock(org, c, 800, date=datetime.date(2026, 1, 20), product=p1, owner=s)
    post_stock(org, d, 300, date=datetime.date(2026, 3, 10), product=p1, owner=s)
    make_opportunity(org, s, party=a, name="甲机会", amount=Decimal("10000"))
    make_opportunity(org, s2, party=b, name="乙机会", amount=Decimal("5000"))
    with scopes_disabled():
        SalesTarget.objects.create(
            org=org, user=s, period="month", year=2026, number=6, amount=Decimal("5000")
        )
        Order.objects.create(
            org=org,
            number="SO-DASH-1",
            date=datetime.date(2026, 6, 5),
            party=a,
            owner=s,
            status="confirmed",
            total=Decimal("2000"),
        )
    return Business(org, boss, sales, sales2, lead, customers, products)
