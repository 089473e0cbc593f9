"""Trend, composition and Pareto on the hand-computed data of sales_api_calls.build_sales.

2026 by month (net / gross profit / quantity / purchases):
- January: d2 300 + d3 1000 = 1300; profit (300−180) + (1000−700) = 420; qty 4; 2 purchases.
- February: return −100, d5 +500 and its reversal −500, re-post 400 = 300;
  profit −40 + 0 + 200 = 160; qty −1 + 2 − 2 + 2 = 1; 1 purchase (d7: d5 is reversed).
- March: d8 2000; profit 1400; qty 10; 1 purchase. The draft d9 never counts.
- January 2025 (last year): d1 200.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django_scopes import scope

from guanxi.analytics import sales_selectors as sel
from tests.analytics.sales_api_calls import build_sales

D = datetime.date
Q1 = sel.SalesFilters(D(2026, 1, 1), D(2026, 3, 31))


@pytest.fixture
def world(org):
    return build_sales(org)


def _q(url):
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def test_trend_by_month_with_year_over_year(world):
    with scope(org=world.org.pk):
        t = sel.trend(world.admin, Q1, grain="month")
    assert [r.label for r in t.rows] == ["2026-01", "2026-02", "2026-03"]
    assert [r.net for r in t.rows] == [Decimal("1300.00"), Decimal("300.00"), Decimal("2000.00")]
    assert [r.profit for r in t.rows] == [Decimal("420.00"), Decimal("160.00"), Decimal("1400.00")]
    assert [r.quantity for r in t.rows] == [Decimal("4.000"), Decimal("1.000"), Decimal("10.000")]
    assert [r.purchases for r in t.rows] == [2, 1, 1]
    assert [r.previous for r in t.rows] == [Decimal("200.00"), 0, 0]
    assert t.rows[0].yoy == Decimal("550.0")  # (1300 − 200) / 200
    assert t.rows[1].yoy is None
    assert t.total() == Decimal("3600.00")
    # Each point drills down to the ledger of its month.
    assert _q(t.rows[1].url) == {"date_from": "2026-02-01", "date_to": "2026-02-28"}
    assert urlparse(t.rows[1].url).path == "/finance/query/sales/"


def test_trend_other_grains_and_measures(world):
    with scope(org=world.org.pk):
        quarters = sel.trend(world.admin, Q1, grain="quarter", measure="profit")
        weeks = sel.trend(
            world.admin, sel.SalesFilters(D(2026, 2, 2), D(2026, 2, 15)), grain="week"
        )
        years = sel.trend(
            world.admin, sel.SalesFilters(D(2025, 1, 1), D(2026, 12, 31)), grain="year"
        )
        days = sel.trend(world.admin, sel.SalesFilters(D(2026, 2, 10), D(2026, 2, 12)), grain="day")
    assert [(r.label, r.value) for r in quarters.rows] == [("2026 Q1", Decimal("1980.00"))]
    # Weeks start on Monday: 2 Feb (return −100) and 9 Feb (+500 −500 +400).
    assert [(r.label, r.net) for r in weeks.rows] == [
        ("2026-W06", Decimal("-100.00")),
        ("2026-W07", Decimal("400.00")),
    ]
    assert [(r.label, r.net) for r in years.rows] == [
        ("2025", Decimal("200.00")),
        ("2026", Decimal("3600.00")),
    ]
    assert years.rows[1].previous == Decimal("200.00")
    assert [r.net for r in days.rows] == [Decimal("500.00"), 0, Decimal("-100.00")]


def test_trend_split_by_customer_keeps_top_and_others(world):
    with scope(org=world.org.pk):
        t = sel.trend(world.admin, Q1, grain="month", split="customer", top=2)
    by_label = {s.label: s.values for s in t.series}
    # Top two by net over the quarter: D (2000) and B (1000); A (200) and C (400) are others.
    assert list(by_label) == ["丁公司", "乙公司", "Others"]
    assert by_label["丁公司"] == [0, 0, Decimal("2000.00")]
    assert by_label["Others"] == [Decimal("300.00"), Decimal("300.00"), 0]
    d = world.customers["D"].pk
    assert _q(t.series[0].urls[2])["party"] == str(d)


def test_trend_split_by_team_and_person(world):
    with scope(org=world.org.pk):
        teams = sel.trend(world.admin, Q1, split="team")
        people = sel.trend(world.admin, Q1, split="person")
    by_team = {s.label: s.values for s in teams.series}
    assert by_team["华东组"] == [Decimal("300.00"), Decimal("-100.00"), 0]
    assert by_team["No team"] == [Decimal("1000.00"), Decimal("400.00"), Decimal("2000.00")]
    other = next(s for s in people.series if s.key == world.other.user_id)
    assert other.values == [Decimal("1000.00"), 0, Decimal("2000.00")]
    assert _q(other.urls[0])["owner"] == str(world.other.user_id)


def test_filters_narrow_the_slice(world):
    with scope(org=world.org.pk):
        furniture = sel.sales_totals(
            world.admin,
            sel.SalesFilters(
                Q1.date_from, Q1.date_to, category_id=world.categories["furniture"].pk
            ),
        )
        customer_c = sel.sales_totals(
            world.admin,
            sel.SalesFilters(Q1.date_from, Q1.date_to, party_id=world.customers["C"].pk),
        )
        team = sel.sales_totals(
            world.admin, sel.SalesFilters(Q1.date_from, Q1.date_to, team_id=world.team.pk)
        )
    assert furniture["net"] == Decimal("2200.00")
    assert customer_c == {
        "net": Decimal("400.00"),
        "profit": Decimal("200.00"),
        "quantity": Decimal("2.000"),
        "purchases": 1,
    }
    assert team["net"] == Decimal("200.00")


def test_a_sales_user_sees_only_their_own_sales(world):
    with scope(org=world.org.pk):
        t = sel.trend(world.seller, Q1)
        p = sel.pareto(world.seller, Q1)
    assert [r.net for r in t.rows] == [Decimal("300.00"), Decimal("-100.00"), 0]
    assert [r.label for r in p.rows] == ["甲公司"]


def test_composition_by_product_with_others(world):
    with scope(org=world.org.pk):
        c = sel.composition(world.admin, Q1, dimension="product", top=1)
        full = sel.composition(world.admin, Q1, dimension="category")
    assert c.total == Decimal("3600.00")
    assert [(s.label, s.value, s.share) for s in c.slices] == [
        ("办公椅", Decimal("2200.00"), Decimal("61.1")),
        ("Others", Decimal("1400.00"), Decimal("38.9")),
    ]
    assert _q(c.slices[0].url)["product"] == str(world.products["P1"].pk)
    assert [(s.label, s.share) for s in full.slices] == [
        ("办公家具", Decimal("61.1")),
        ("电子产品", Decimal("38.9")),
    ]


def test_composition_by_region_channel_group(world):
    with scope(org=world.org.pk):
        province = sel.composition(world.admin, Q1, dimension="province")
        channel = sel.composition(world.admin, Q1, dimension="channel", measure="profit")
        group = sel.composition(world.admin, Q1, dimension="customer_group")
    # 上海 2000, 浙江 1000, 江苏 200 + 400.
    assert [(s.label, s.value) for s in province.slices] == [
        ("上海", Decimal("2000.00")),
        ("浙江", Decimal("1000.00")),
        ("江苏", Decimal("600.00")),
    ]
    # Profit: D (no source) 1400, B website 300, A + C referral 80 + 200.
    assert [(s.label, s.value) for s in channel.slices] == [
        ("Not given", Decimal("1400.00")),
        ("Website", Decimal("300.00")),
        ("Referral", Decimal("280.00")),
    ]
    # Group 重点客户 = A + D = 2200; B and C are in no group (1400).
    assert [(s.label, s.value, s.share) for s in group.slices] == [
        ("重点客户", Decimal("2200.00"), Decimal("61.1")),
        ("Not in a group", Decimal("1400.00"), Decimal("38.9")),
    ]


def test_pareto_of_customers_by_revenue_and_profit(world):
    with scope(org=world.org.pk):
        revenue = sel.pareto(world.admin, Q1)
        profit = sel.pareto(world.admin, Q1, measure="profit")
        products = sel.pareto(world.admin, Q1, subject="product")
    # D 2000, B 1000, C 400, A 200: cumulative 2000, 3000, 3400, 3600.
    assert revenue.count == 4
    assert revenue.total == Decimal("3600.00")
    assert [r.label for r in revenue.rows] == ["丁公司", "乙公司", "丙公司", "甲公司"]
    assert [r.cumulative for r in revenue.rows] == [
        Decimal("2000.00"),
        Decimal("3000.00"),
        Decimal("3400.00"),
        Decimal("3600.00"),
    ]
    assert [r.cumulative_share for r in revenue.rows] == [
        Decimal("55.6"),
        Decimal("83.3"),
        Decimal("94.4"),
        Decimal("100.0"),
    ]
    assert [r.count_share for r in revenue.rows] == [
        Decimal("25.0"),
        Decimal("50.0"),
        Decimal("75.0"),
        Decimal("100.0"),
    ]
    # The top 20% of 4 customers is ⌈0.8⌉ = 1 customer.
    assert (revenue.top_count, revenue.top_share) == (1, Decimal("55.6"))
    # Profit: D 1400, B 300, C 200, A 80 of 1980.
    assert profit.total == Decimal("1980.00")
    assert profit.top_share == Decimal("70.7")
    assert [r.label for r in products.rows] == ["办公椅", "投影仪"]
    assert revenue.curve[0] == (0, 0)
    assert revenue.curve[-1] == (Decimal("100.0"), Decimal("100.0"))


def test_pareto_curve_has_at_most_a_hundred_points(org):
    """With many customers only the listed rows and one row per percent come back."""
    from django_scopes import scopes_disabled

    from guanxi.stock.models import StockDocument, Warehouse
    from tests.analytics.sales_api_calls import _doc
    from tests.factories import make_member
    from tests.sales.pipeline_factories import make_customer, make_product

    boss = make_member(org, "admin", username="paretoboss")
    product = make_product(org, code="PX")
    parties = [make_customer(org, boss.user, name=f"客户{i}") for i in range(250)]
    with scopes_disabled():
        wh = Warehouse.objects.create(org=org, code="PW", name="仓")
        for i, party in enumerate(parties):
            _doc(
                org,
                wh,
                StockDocument.Kind.SALES_DELIVERY,
                D(2026, 1, 5),
                party,
                boss.user,
                [(product, 1, 10 + i, 1)],
            )
    with scope(org=org.pk):
        p = sel.pareto(boss, Q1, listed=10)
    assert p.count == 250
    assert len(p.rows) == 10
    assert len(p.curve) == 101  # the origin and one point per percent
    # The top 20% = the 50 largest: 210 + … + 259 of the total 10 + … + 259.
    top = sum(range(210, 260))
    total = sum(range(10, 260))
    assert p.top_share == (Decimal(top) * 100 / Decimal(total)).quantize(Decimal("0.1"))


def test_bucket_helpers():
    assert sel.buckets_between(D(2026, 1, 31), D(2026, 3, 1), "month") == [
        D(2026, 1, 1),
        D(2026, 2, 1),
        D(2026, 3, 1),
    ]
    assert sel.bucket_label(D(2025, 12, 29), "week") == "2026-W01"
    assert sel.previous_period(Q1, "month") == (D(2025, 1, 1), D(2025, 3, 31))
    assert sel.year_back(D(2024, 2, 29)) == D(2023, 2, 28)
