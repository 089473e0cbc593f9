"""The sales documents' demo seeder: two years of quotes and orders with seasons, big and
lapsed customers; pre-orders; purchase orders. Deterministic and idempotent."""

from __future__ import annotations

import datetime
from collections import Counter
from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from guanxi.core.demo import DemoContext
from guanxi.parties.models import Party
from guanxi.sales.documents_demo import LAPSED_DAYS, day_weight, seed_documents, spring_festival
from guanxi.sales.models import Order, OrderLine, PurchaseOrder, Quote
from tests.catalog.factories import make_product
from tests.factories import make_member
from tests.sales.documents_fixtures import make_customer, make_supplier

pytestmark = pytest.mark.django_db


def _setup(org, admin_member):
    users = {"admin": admin_member.user}
    for name in ("sales1", "sales2"):
        users[name] = make_member(org, "sales", username=name).user
    for index in range(30):
        make_customer(org, users["sales1"] if index % 2 else None, name=f"演示客户{index}")
    supplier = make_supplier(org, name="演示供应商")
    for index in range(5):
        make_product(
            org,
            code=f"DEMO-{index}",
            name=f"演示产品{index}",
            list_price=Decimal(100 + index * 55),
            cost_price=Decimal(60 + index * 30),
            preferred_supplier=supplier,
        )
    long_ago = timezone.now() - datetime.timedelta(days=800)
    with scopes_disabled():
        Party.objects.filter(org=org).update(created_at=long_ago)
    return DemoContext(org=org, users=users, log=lambda _message: None)


def _counts(org):
    with scope(org=org.pk):
        return (
            Quote.objects.count(),
            Order.objects.count(),
            PurchaseOrder.objects.count(),
            OrderLine.objects.count(),
        )


def test_seeds_a_trading_history_once(org, admin_member):
    ctx = _setup(org, admin_member)
    with scope(org=org.pk):
        seed_documents(ctx)
    first = _counts(org)
    assert first[0] > 300
    assert first[1] > 300
    assert first[2] > 50
    with scope(org=org.pk):
        seed_documents(ctx)
    assert _counts(org) == first

    today = timezone.localdate()
    with scope(org=org.pk):
        orders = list(Order.objects.prefetch_related("lines"))
        statuses = Counter(o.status for o in orders if o.kind == Order.Kind.ORDER)
        assert set(statuses) <= {Order.Status.CONFIRMED, Order.Status.CANCELLED}
        assert statuses[Order.Status.CONFIRMED] > 0.9 * sum(statuses.values())
        preorders = [o for o in orders if o.kind == Order.Kind.PREORDER]
        assert preorders
        assert all(o.warehouse_id and o.status == Order.Status.DRAFT for o in preorders)
        # every total is the sum of its priced lines
        for order in orders[:50]:
            assert order.total == sum((line.total_amount for line in order.lines.all()), Decimal(0))
        # numbers are unique and follow the dates within a year
        numbers = [o.number for o in sorted(orders, key=lambda o: (o.date, o.number))]
        assert len(set(numbers)) == len(numbers)
        # most orders came from a quote
        assert sum(1 for o in orders if o.quote_id) > 0.5 * len(orders)
        assert Quote.objects.filter(status=Quote.Status.REJECTED).exists()
        # a few big customers take a large share
        by_party = Counter(o.party_id for o in orders)
        top = sum(count for _party, count in by_party.most_common(3))
        assert top > 0.25 * len(orders)
        # some customers lapsed: no order in the last nine months, but orders before
        recent = {o.party_id for o in orders if (today - o.date).days <= LAPSED_DAYS - 5}
        assert len(set(by_party) - recent) >= 2
        # seasons: spring and autumn busier than summer, the Spring Festival quiet
        months = Counter(o.date.month for o in orders if o.kind == Order.Kind.ORDER)
        assert months[4] + months[10] > months[7] + months[8]
        purchase = PurchaseOrder.objects.first()
        assert purchase.lines.exists()
        assert purchase.number.startswith("PO-")


def test_nothing_without_customers_or_products(org, admin_member):
    ctx = DemoContext(org=org, users={"admin": admin_member.user}, log=lambda _m: None)
    with scope(org=org.pk):
        seed_documents(ctx)
    assert _counts(org) == (0, 0, 0, 0)


def test_spring_festival_and_day_weights():
    assert spring_festival(2025) == datetime.date(2025, 1, 29)
    assert spring_festival(2026) == datetime.date(2026, 2, 17)
    festivals = {2026: spring_festival(2026)}
    holiday = day_weight(datetime.date(2026, 2, 18), festivals)
    spring = day_weight(datetime.date(2026, 4, 15), festivals)
    sunday = day_weight(datetime.date(2026, 4, 19), festivals)
    assert holiday < sunday < spring


def test_targets_are_fitted_to_the_seeded_history(org, admin_member):
    """This year's targets follow each salesperson's last twelve months of confirmed
    orders (season × a 5–25 % stretch), so the demo's attainment reads like a real one."""
    from guanxi.sales.models import SalesTarget
    from guanxi.sales.pipeline_selectors import monthly_order_totals

    ctx = _setup(org, admin_member)
    today = timezone.localdate()
    rep = ctx.users["sales1"]
    with scope(org=org.pk):
        march = SalesTarget.objects.create(
            org=org, user=rep, period="month", year=today.year, number=3, amount=1
        )
        december = SalesTarget.objects.create(
            org=org, user=rep, period="month", year=today.year, number=12, amount=1
        )
        seed_documents(ctx)
        march.refresh_from_db()
        december.refresh_from_db()
    this_month = today.replace(day=1)
    totals = monthly_order_totals(
        org.pk, [rep.pk], this_month.replace(year=this_month.year - 1), this_month
    )
    average = sum(totals.values(), Decimal(0)) / 12
    assert average > 0
    assert average * Decimal("1.05") - 500 <= march.amount <= average * Decimal("1.25") + 500
    assert (
        average * Decimal("1.3") * Decimal("1.05") - 500
        <= december.amount
        <= average * Decimal("1.3") * Decimal("1.25") + 500
    )
