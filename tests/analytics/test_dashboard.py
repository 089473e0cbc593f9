"""The dashboard (H5) and the person page (C4): figures on the hand-computed business of
tests/analytics/dashboard_data.py, role visibility, bad input and query counts."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scope

from guanxi.analytics import dashboard_selectors as sel
from tests.analytics.dashboard_data import JUNE, TODAY, build
from tests.conftest import login
from tests.finance.factories import post_stock, reverse_stock
from tests.sales.pipeline_factories import make_customer

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def _empty_cache():
    # The sales figures are cached (locmem in tests): every test starts cold.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def biz(org):
    return build(org)


def june():
    return sel.resolve_period("custom", *JUNE, today=TODAY)


def figures(member):
    with scope(org=member.org_id):
        return sel.dashboard(member, june(), today=TODAY)


# --- periods -------------------------------------------------------------------------------


def test_periods():
    month = sel.resolve_period("month", today=TODAY)
    assert (month.start, month.end) == (datetime.date(2026, 6, 1), datetime.date(2026, 7, 1))
    quarter = sel.resolve_period("quarter", today=datetime.date(2026, 12, 31))
    assert (quarter.start, quarter.end) == (datetime.date(2026, 10, 1), datetime.date(2027, 1, 1))
    year = sel.resolve_period("year", today=TODAY)
    assert (year.start, year.end) == (datetime.date(2026, 1, 1), datetime.date(2027, 1, 1))
    last12 = sel.resolve_period("last12", today=TODAY)
    assert (last12.start, last12.end) == (datetime.date(2025, 6, 16), datetime.date(2026, 6, 16))
    custom = june()
    assert custom.last_day == datetime.date(2026, 6, 30)
    assert custom.as_params() == {"period": "custom", "start": "2026-06-01", "end": "2026-06-30"}


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("weekly",), "period"),
        (("custom", None, datetime.date(2026, 1, 1)), "start"),
        (("custom", datetime.date(2026, 1, 1), None), "end"),
        (("custom", datetime.date(2026, 2, 1), datetime.date(2026, 1, 1)), "end"),
        (("custom", datetime.date(2010, 1, 1), datetime.date(2026, 1, 1)), "end"),
    ],
)
def test_bad_periods_are_field_errors(args, field):
    with pytest.raises(ValidationError) as caught:
        sel.resolve_period(*args, today=TODAY)
    assert field in caught.value.message_dict


# --- figures -------------------------------------------------------------------------------


def test_admin_sees_the_organisation(biz):
    data = figures(biz.boss)
    assert data.revenue == D("3000.00")
    assert data.deliveries == 2
    assert [(r.label, r.amount) for r in data.products] == [
        ("水泵", D("2000")),
        ("阀门", D("1000")),
    ]
    assert [(r.key, r.amount) for r in data.people] == [
        (biz.sales2.user_id, D("2000")),
        (biz.sales.user_id, D("1000")),
    ]
    assert (data.new_customers, data.lapsed_in_period, data.lapsed_total) == (1, 1, 2)
    assert {b.key: b.count for b in data.regions} == {"江苏": 2, "浙江": 1, "-": 1}
    assert {b.key: b.count for b in data.ages} == {"p_35": 1, "c_u1": 3}
    assert sum(r.count for r in data.pipeline) == 2
    assert sum(r.amount for r in data.pipeline) == D("15000")
    month = data.attainment[0]
    assert (month.period, month.target, month.attained) == ("month", D("5000"), D("2000.00"))
    assert month.gap == D("3000")
    assert month.percent == 40
    # The daily trend fills every day of June; the two sales land on their days.
    assert data.trend_unit == "day"
    assert len(data.trend) == 30
    assert data.trend[2].amount == D("1000")
    assert data.trend[9].amount == D("2000")
    assert sum(p.amount for p in data.trend) == data.revenue


def test_sales_user_sees_own_figures(biz):
    data = figures(biz.sales)
    assert data.revenue == D("1000.00")
    assert [r.label for r in data.products] == ["阀门"]
    assert [r.key for r in data.people] == [biz.sales.user_id]
    assert (data.new_customers, data.lapsed_in_period, data.lapsed_total) == (0, 1, 2)
    assert {b.key: b.count for b in data.regions} == {"江苏": 2, "-": 1}
    assert sum(r.amount for r in data.pipeline) == D("10000")
    assert data.attainment[0].target == D("5000")


def test_manager_sees_the_team(biz):
    # The manager role sees the organisation by default; a team manager sees the team.
    data = figures(biz.lead)
    team_visible = biz.lead.role.visibility == "team"
    assert data.revenue == (D("1000.00") if team_visible else D("3000.00"))


def test_monthly_trend_and_segments(biz):
    with scope(org=biz.org.pk):
        year = sel.resolve_period("year", today=TODAY)
        data = sel.dashboard(biz.boss, year, today=TODAY)
        assert data.trend_unit == "month"
        assert len(data.trend) == 12
        assert [p.amount for p in data.trend[:6]] == [
            D("1300"),
            D("0"),
            D("300"),
            D("0"),
            D("0"),
            D("3000"),
        ]
        assert data.new_customers == 4
        lapsed = set(
            sel.customer_segment(biz.boss, june(), "lapsed", TODAY).values_list(
                "party_id", flat=True
            )
        )
        assert lapsed == {biz.customers["C"].pk, biz.customers["D"].pk}
        with pytest.raises(ValidationError):
            sel.customer_segment(biz.boss, june(), "gone", TODAY)


def test_person_page_visibility(biz):
    with scope(org=biz.org.pk):
        summary = sel.person_summary(biz.sales, biz.sales.user_id, june(), today=TODAY)
        assert summary.revenue == D("1000.00")
        assert [c.label for c in summary.customers] == ["甲公司"]
        assert summary.current[0].target == D("5000")
        assert [(a.period, a.number, a.attained) for a in summary.targets] == [
            ("month", 6, D("2000.00"))
        ]
        assert sum(r.amount for r in summary.pipeline) == D("10000")
        with pytest.raises(Http404):
            sel.person_summary(biz.sales, biz.sales2.user_id, june(), today=TODAY)
        with pytest.raises(Http404):
            sel.person_summary(biz.sales, 999999, june(), today=TODAY)
        other = sel.person_summary(biz.boss, biz.sales2.user_id, june(), today=TODAY)
        assert other.revenue == D("2000.00")


# --- pages ---------------------------------------------------------------------------------

JUNE_QS = {"period": "custom", "start": "2026-06-01", "end": "2026-06-30"}


def test_dashboard_page(client, biz):
    login(client, biz.boss)
    response = client.get(reverse("analytics:dashboard"), JUNE_QS)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="chart-sales-trend"' in html
    assert 'data-testid="kpi-revenue">3,000.00' in html or "3000.00" in html
    # Drill-down URLs ride in the chart options.
    assert "/finance/query/sales/?product=" in html
    assert reverse("analytics:person", args=[biz.sales2.user_id]) in html
    assert "stage=" in html
    assert "status=open" in html
    assert "province=%E6%B1%9F%E8%8B%8F" in html


def test_dashboard_bad_period_is_a_field_error(client, biz):
    login(client, biz.boss)
    response = client.get(
        reverse("analytics:dashboard"),
        {"period": "custom", "start": "2026-02-01", "end": "2026-01-01"},
    )
    assert response.status_code == 400
    assert 'data-testid="period-errors"' in response.content.decode()
    response = client.get(reverse("analytics:dashboard"), {"period": "fortnight", "start": "x"})
    assert response.status_code == 400


def test_dashboard_needs_analytics_permission(client, org):
    from tests.factories import make_member

    member = make_member(org, "readonly", username="ro")
    login(client, member)
    assert client.get(reverse("analytics:dashboard")).status_code == 200
    client.logout()
    assert client.get(reverse("analytics:dashboard")).status_code == 302


def _count(client, url, params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_dashboard_query_count_is_fixed(client, biz):
    login(client, biz.boss)
    url = reverse("analytics:dashboard")
    before = _count(client, url, JUNE_QS)
    for number in range(6):
        party = make_customer(
            biz.org, biz.sales.user, name=f"新客户{number}", province=f"省{number}"
        )
        post_stock(
            biz.org, party, 100 + number, date=datetime.date(2026, 6, 20), owner=biz.sales.user
        )
    after = _count(client, url, JUNE_QS)
    assert after == before
    assert after <= 16


def test_person_page(client, biz):
    login(client, biz.sales)
    own = client.get(reverse("analytics:person", args=[biz.sales.user_id]), JUNE_QS)
    assert own.status_code == 200
    assert 'data-testid="person-targets"' in own.content.decode()
    assert client.get(reverse("analytics:person", args=[biz.sales2.user_id])).status_code == 404
    login(client, biz.boss)
    assert client.get(reverse("analytics:person", args=[biz.sales2.user_id])).status_code == 200


def test_drill_down_customer_list(client, biz):
    login(client, biz.boss)
    url = reverse("analytics:dashboard_customers")
    response = client.get(url, {"province": "江苏"})
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="customer-row"') == 2
    response = client.get(url, {"segment": "lapsed", **JUNE_QS})
    html = response.content.decode()
    assert "丙公司" in html
    assert "丁公司" in html
    assert "甲公司" not in html
    response = client.get(url, {"band": "p_35"})
    assert "乙先生" in response.content.decode()
    response = client.get(url, {"province": "-"})
    assert "丁公司" in response.content.decode()
    assert client.get(url, {"segment": "nope"}).status_code == 400
    # The sales user never sees another's customer through the drill-down.
    login(client, biz.sales)
    assert "乙先生" not in client.get(url, {"province": "浙江"}).content.decode()
    with CaptureQueriesContext(connection) as ctx:
        client.get(url, {"segment": "new", **JUNE_QS})
    assert len(ctx.captured_queries) <= 12


def test_targets_and_overview_link_the_person_page(client, biz):
    login(client, biz.boss)
    person_url = reverse("analytics:person", args=[biz.sales.user_id])
    targets = client.get(reverse("sales:target_list"), {"year": 2026}).content.decode()
    assert person_url in targets
    assert person_url in client.get(reverse("sales:overview")).content.decode()


# --- new customers at the period's edges -----------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "new"),
    [
        # A first bought on 10 January, C on 20 January; A again on 3 June.
        ((2026, 1, 10), (2026, 1, 31), 2),  # A's first purchase on the first day counts
        ((2026, 1, 11), (2026, 1, 31), 1),  # the day after: only C
        ((2026, 1, 1), (2026, 1, 9), 0),  # the day before A's first purchase: nobody
        ((2026, 1, 1), (2026, 1, 10), 1),  # A's first purchase on the last day counts
        ((2026, 6, 3), (2026, 6, 30), 1),  # A buys again in June: only B is new
    ],
)
def test_new_customers_at_the_period_edges(biz, first, last, new):
    period = sel.resolve_period("custom", datetime.date(*first), datetime.date(*last), today=TODAY)
    with scope(org=biz.org.pk):
        data = sel.dashboard(biz.boss, period, today=TODAY)
        segment = set(
            sel.customer_segment(biz.boss, period, "new", TODAY).values_list("party_id", flat=True)
        )
    assert data.new_customers == new == len(segment)


def test_lapsed_customers_follow_the_latest_purchase_before_the_period_end(biz):
    # C (20 January) and D (10 March) are more than 90 days before 15 June; a purchase
    # after the period's end does not save D, one inside the period saves C.
    post_stock(biz.org, biz.customers["D"], 10, date=datetime.date(2026, 7, 2))
    post_stock(biz.org, biz.customers["C"], 10, date=datetime.date(2026, 6, 12))
    data = figures(biz.boss)
    assert (data.new_customers, data.lapsed_in_period, data.lapsed_total) == (1, 1, 1)


def test_companies_that_never_bought_are_banded_by_creation(biz):
    with scope(org=biz.org.pk):
        make_customer(biz.org, biz.sales.user, name="戊公司")
    data = figures(biz.boss)
    assert {b.key: b.count for b in data.ages} == {"p_35": 1, "c_u1": 4}


# --- the cached sales figures ------------------------------------------------------------------


def _queries(member):
    with CaptureQueriesContext(connection) as ctx:
        data = figures(member)
    return data, len(ctx.captured_queries)


def test_sales_figures_are_cached_until_the_next_posting(biz):
    first, cold = _queries(biz.boss)
    again, warm = _queries(biz.boss)
    assert warm == cold - 2  # documents by day and owner, lines by product: from the cache
    assert (again.revenue, again.gross_profit, again.products, again.people, again.trend) == (
        first.revenue,
        first.gross_profit,
        first.products,
        first.people,
        first.trend,
    )
    # A posted delivery shows at once.
    delivery = post_stock(
        biz.org,
        biz.customers["C"],
        400,
        date=datetime.date(2026, 6, 20),
        product=biz.products["P1"],
        owner=biz.sales.user,
    )
    data, count = _queries(biz.boss)
    assert count == cold
    assert (data.revenue, data.deliveries) == (D("3400.00"), 3)
    assert data.trend[19].amount == D("400")
    assert [(r.label, r.amount) for r in data.products] == [
        ("水泵", D("2000")),
        ("阀门", D("1400")),
    ]
    assert [(r.key, r.amount) for r in data.people][1] == (biz.sales.user_id, D("1400"))
    # So does its reversal (the original becomes "reversed", the reversal is posted).
    reverse_stock(delivery, date=datetime.date(2026, 6, 21))
    data = figures(biz.boss)
    assert data.revenue == D("3000.00")
    assert data.deliveries == 2  # the reversed delivery is no longer a sale
    assert (data.trend[19].amount, data.trend[20].amount) == (D("400"), D("-400"))


def test_cached_figures_are_kept_apart_per_visibility(biz):
    assert figures(biz.boss).revenue == D("3000.00")
    assert figures(biz.sales).revenue == D("1000.00")
    assert figures(biz.sales2).revenue == D("2000.00")
    assert figures(biz.boss).revenue == D("3000.00")
    with scope(org=biz.org.pk):
        keys = {sel.sales_cache_key(m, june()) for m in (biz.boss, biz.sales, biz.sales2)}
    assert len(keys) == 3


def test_cached_figures_show_current_names(biz):
    figures(biz.boss)
    product = biz.products["P2"]
    product.name = "潜水泵"
    product.save()
    biz.sales2.user.display_name = "新名字"
    biz.sales2.user.save()
    data = figures(biz.boss)
    assert data.products[0].label == "潜水泵"
    assert data.people[0].label == "新名字"


def test_a_reversed_delivery_is_no_purchase(biz):
    # B's only delivery (10 June) is reversed: B is no longer new in June.
    with scope(org=biz.org.pk):
        from guanxi.stock.models import StockDocument

        delivery = StockDocument.objects.get(party=biz.customers["B"], status="posted")
    reverse_stock(delivery, date=datetime.date(2026, 6, 11))
    data = figures(biz.boss)
    assert data.new_customers == 0
    assert data.revenue == D("1000.00")
