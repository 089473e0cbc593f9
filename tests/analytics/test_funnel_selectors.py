"""The funnel on the hand-made opportunities of sales_api_calls.build_funnel.

Period: the first quarter of 2026 (Asia/Shanghai). Cohort (created in the period):
O1, O2, O3. Reached: s1 3; s2 2 (O1, O2); s3 1 (O1); s4 1 (O1 went to won from s3, so
it counts as having passed s4); won 1. Conversion: s1→s2 2/3 = 66.7%, s2→s3 1/2 = 50%,
s3→s4 100%, s4→won 100%. Win rate 1 / (1 won + 1 lost) = 50%.

Time in stage (entries in the period): s1: O1 10 days, O2 4 days, O3 still there
→ 3 entries, 2 ended, 7.0 days; s2: O1 5, O2 16, O4 still there → 10.5 days;
s3: O1 5 days. (O4's entry into s1 was in 2025: not counted.)
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django_scopes import scope

from guanxi.analytics import funnel_selectors as fs
from tests.analytics.sales_api_calls import build_funnel

D = datetime.date
Q1 = fs.FunnelFilters(D(2026, 1, 1), D(2026, 3, 31))


@pytest.fixture
def world(org):
    return build_funnel(org)


def test_conversion_between_stages_and_win_rate(world):
    with scope(org=world.org.pk):
        c = fs.conversion(world.admin, Q1)
    assert c.cohort == 3
    assert [r.reached for r in c.rows] == [3, 2, 1, 1]
    assert [r.to_next for r in c.rows] == [
        Decimal("66.7"),
        Decimal("50.0"),
        Decimal("100.0"),
        Decimal("100.0"),
    ]
    assert [r.of_cohort for r in c.rows] == [
        Decimal("100.0"),
        Decimal("66.7"),
        Decimal("33.3"),
        Decimal("33.3"),
    ]
    assert (c.won, c.lost, c.open) == (1, 1, 1)
    assert c.win_rate == Decimal("50.0")
    assert f"stage={world.stages[1].pk}" in c.rows[1].url


def test_average_time_in_stage(world):
    with scope(org=world.org.pk):
        rows = fs.time_in_stage(world.admin, Q1)
    got = [(r.entries, r.ended, r.average_days) for r in rows]
    assert got == [
        (3, 2, Decimal("7.0")),
        (3, 2, Decimal("10.5")),
        (1, 1, Decimal("5.0")),
        (0, 0, None),
    ]


def test_open_pipeline_by_stage(world):
    with scope(org=world.org.pk):
        rows = fs.pipeline_by_stage(world.admin, Q1)
    assert [(r.count, r.amount, r.weighted) for r in rows[:2]] == [
        (1, Decimal("10000.00"), Decimal("1000.00")),
        (1, Decimal("20000.00"), Decimal("5000.00")),
    ]
    assert "status=open" in rows[0].url


def test_weighted_forecast_by_close_month(world):
    with scope(org=world.org.pk):
        f = fs.forecast(world.admin, Q1, start=D(2026, 4, 20), months=3)
        later = fs.forecast(world.admin, Q1, start=D(2026, 5, 1), months=2)
    assert [(r.key, r.count, r.amount, r.weighted) for r in f.rows] == [
        ("2026-04", 1, Decimal("10000.00"), Decimal("1000.00")),
        ("2026-05", 1, Decimal("20000.00"), Decimal("5000.00")),
        ("2026-06", 0, Decimal("0.00"), Decimal("0.00")),
    ]
    assert f.total_weighted == Decimal("6000.00")
    assert "close_month=2026-04" in f.rows[0].url
    # From May, April's deal is overdue.
    assert (later.overdue.count, later.overdue.weighted) == (1, Decimal("1000.00"))


def test_lead_to_customer_to_first_order(world):
    with scope(org=world.org.pk):
        lf = fs.lead_funnel(world.admin, Q1)
    assert (lf.leads, lf.converted, lf.ordered) == (3, 2, 1)
    assert lf.conversion_rate == Decimal("66.7")
    assert lf.order_rate == Decimal("50.0")
    assert lf.overall_rate == Decimal("33.3")


def test_a_sales_user_sees_their_own_opportunities(world):
    with scope(org=world.org.pk):
        c = fs.conversion(world.seller, Q1)
        rows = fs.pipeline_by_stage(world.seller, Q1)
        times = fs.time_in_stage(world.seller, Q1)
    assert c.cohort == 3  # O1–O3 are the seller's
    assert [r.count for r in rows[:2]] == [1, 0]  # O4 (admin's) is hidden
    assert times[1].entries == 2


def test_owner_filter(world):
    with scope(org=world.org.pk):
        c = fs.conversion(
            world.admin, fs.FunnelFilters(Q1.date_from, Q1.date_to, owner_id=world.admin.user_id)
        )
    assert c.cohort == 0
    assert c.win_rate is None
