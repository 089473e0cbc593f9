"""The sales analysis, Pareto and funnel pages: figures, drill-down links, bad input,
permissions and query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.analytics.sales_api_calls import build_funnel, build_sales
from tests.conftest import login

Q1 = "period=custom&date_from=2026-01-01&date_to=2026-03-31"


@pytest.fixture
def world(org, admin_member):
    return build_sales(org, admin=admin_member)


def test_sales_analysis_page_shows_trend_and_composition(admin_client, world):
    response = admin_client.get(f"/analysis/sales/?{Q1}&grain=month&dimension=category")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="chart-sales-trend"' in html
    assert 'data-testid="chart-sales-composition"' in html
    trend = response.context["trend"]
    assert [str(r.net) for r in trend.rows] == ["1300.00", "300.00", "2000.00"]
    assert "/finance/query/sales/?date_from=2026-01-01&amp;date_to=2026-01-31" in html
    assert [s.label for s in response.context["comp"].slices] == ["办公家具", "电子产品"]
    assert "61.1%" in html
    # The analysis switcher lists the page, active.
    nav = response.context["analytics_nav"]
    assert any(e.active and e.url == "/analysis/sales/" for e in nav)


def test_sales_analysis_split_and_filters(admin_client, world):
    party = world.customers["A"].pk
    response = admin_client.get(f"/analysis/sales/?{Q1}&split=product&party={party}&measure=profit")
    assert response.status_code == 200
    trend = response.context["trend"]
    # Customer A: January 300 − 180 = 120, February return −100 + 60 = −40.
    assert [str(r.value) for r in trend.rows] == ["120.00", "-40.00", "0.00"]
    assert [s.label for s in trend.series] == ["办公椅"]
    assert "Customer: 甲公司" in response.content.decode()


def test_sales_analysis_query_count_does_not_grow_with_data(admin_client, world, org):
    url = f"/analysis/sales/?{Q1}&split=customer&dimension=customer_group"
    admin_client.get(url)
    with CaptureQueriesContext(connection) as small:
        admin_client.get(url)
    from tests.analytics.sales_api_calls import build_sales as more

    more(org, suffix="二")  # as many documents again, other customers and people
    with CaptureQueriesContext(connection) as large:
        response = admin_client.get(url)
    assert response.status_code == 200
    assert len(large) <= len(small) + 1  # the team list may grow by a query-free row
    assert len(large) <= 30


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("period=custom&date_from=2026-03-01&date_to=2026-01-01", "date_to", "cannot be before"),
        ("period=custom&date_from=2026-03-01", "date_to", "last day of the period"),
        ("grain=hour", "grain", "Select a valid choice"),
        ("period=custom&date_from=2000-01-01&date_to=2026-01-01&grain=day", "date_to", "at most"),
        ("period=custom&date_from=2020-01-01&date_to=2026-01-01&grain=day", "grain", "too many"),
        ("party=999999", "party", "customer you can see"),
        ("date_from=yesterday", "date_from", "valid date"),
    ],
)
def test_sales_analysis_bad_input_shows_field_errors(admin_client, world, query, field, message):
    response = admin_client.get(f"/analysis/sales/?{query}")
    assert response.status_code == 200
    assert message in str(response.context["form"].errors[field])
    assert 'data-testid="analysis-errors"' in response.content.decode()
    assert "trend" not in response.context


def test_hidden_customer_is_refused_like_a_missing_one(client, world):
    login(client, world.seller)
    hidden = world.customers["B"].pk  # owned by another salesperson
    response = client.get(f"/analysis/sales/?party={hidden}")
    assert "customer you can see" in str(response.context["form"].errors["party"])


def test_pareto_page_states_the_top_share(admin_client, world):
    response = admin_client.get(f"/analysis/pareto/?{Q1}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "The top 20% of customers (1 of 4) bring 55.6% of net sales." in html
    assert f"/customers/{world.customers['D'].pk}/" in html
    profit = admin_client.get(f"/analysis/pareto/?{Q1}&subject=product&measure=profit")
    assert "of gross profit" in profit.content.decode()


def test_pareto_page_query_count(admin_client, world):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(f"/analysis/pareto/?{Q1}")
    assert response.status_code == 200
    assert len(queries) <= 20


def test_funnel_page(admin_client, org, admin_member):
    build_funnel(org, admin=admin_member)
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(f"/analysis/funnel/?{Q1}")
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["conversion"].cohort == 3
    assert 'data-testid="chart-sales-funnel"' in html
    assert '<span data-testid="win-rate">50.0%</span>' in html
    assert "/sales/opportunities/?stage=" in html
    assert len(queries) <= 30


def test_funnel_bad_input(admin_client, org):
    response = admin_client.get("/analysis/funnel/?months=0&period=decade")
    errors = response.context["form"].errors
    assert set(errors) == {"months", "period"}


def test_pages_need_the_analysis_permission(client, org):
    from guanxi.accounts.models import Role
    from tests.factories import make_member

    member = make_member(org, "sales", username="noanalysis")
    from django_scopes import scopes_disabled

    with scopes_disabled():
        role = Role.objects.get(pk=member.role_id)
        role.permissions = {**(role.permissions or {}), "analytics": []}
        role.save()
    login(client, member)
    for url in ("/analysis/sales/", "/analysis/pareto/", "/analysis/funnel/"):
        assert client.get(url).status_code == 403


def test_pages_in_chinese(client, world):
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    login(client, world.admin)
    response = client.get(f"/analysis/sales/?{Q1}")
    assert response.status_code == 200
    assert response.headers.get("Content-Language", "").lower().startswith("zh")
