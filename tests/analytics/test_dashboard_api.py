"""The dashboard and behavioural types API: every operation answers as documented, the
figures equal the page's, and bad input is a field error."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from guanxi.analytics.behaviour.models import CustomerBehaviour
from guanxi.api.management.commands.export_openapi import openapi_document
from tests.analytics.behaviour_api_calls import behaviour_calls
from tests.analytics.dashboard_api_calls import dashboard_calls
from tests.analytics.dashboard_data import build
from tests.api.conftest import API, issue_token, token_client
from tests.api.test_schema import validate
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_api(admin_member):
    return token_client(issue_token(admin_member))


@pytest.fixture
def sales_api(sales_member):
    return token_client(issue_token(sales_member))


PATHS = ("/analytics/dashboard", "/analytics/people", "/analytics/behaviour-types")


def test_every_operation_answers_as_documented(admin_api, sales_api, org, other_org):
    make_member(other_org, "admin", username="stranger")
    document = openapi_document()
    covered = set()
    calls = dashboard_calls(admin_api, sales_api, org, other_org)
    calls += behaviour_calls(admin_api, sales_api, org, other_org)
    for method, template, client, url, body, status in calls:
        if body is None:
            response = getattr(client, method)(url)
        else:
            response = getattr(client, method)(url, body, content_type="application/json")
        assert response.status_code == status, (method, url, response.content)
        validate(document, method, template, response)
        if status < 300:
            covered.add((method, f"{API}{template}"))
    mine = {
        (method, path)
        for path, operations in document["paths"].items()
        if path.removeprefix(API).startswith(PATHS) or path.endswith("/behaviour-types")
        for method in operations
    }
    assert mine - covered == set()


def test_dashboard_figures_and_field_errors(org):
    biz = build(org)
    api = token_client(issue_token(biz.boss))
    body = api.get(
        f"{API}/analytics/dashboard?period=custom&start=2026-06-01&end=2026-06-30"
    ).json()
    assert Decimal(body["revenue"]) == Decimal("3000")
    assert [p["name"] for p in body["top_products"]] == ["水泵", "阀门"]
    assert body["top_salespeople"][0]["id"] == biz.sales2.user_id
    assert body["new_customers"] == 1
    assert body["lapsed_customers"] == 2
    assert body["period"] == {"key": "custom", "start": "2026-06-01", "end": "2026-06-30"}
    response = api.get(f"{API}/analytics/dashboard?period=custom&start=2026-06-01")
    assert response.status_code == 422
    assert any(e["field"] == "end" for e in response.json()["errors"])
    sales = token_client(issue_token(biz.sales))
    body = sales.get(
        f"{API}/analytics/dashboard?period=custom&start=2026-06-01&end=2026-06-30"
    ).json()
    assert Decimal(body["revenue"]) == Decimal("1000")
    assert sales.get(f"{API}/analytics/people/{biz.sales2.user_id}").status_code == 404
    person = sales.get(f"{API}/analytics/people/{biz.sales.user_id}?period=year").json()
    assert person["targets"][0]["gap"] is not None


def test_put_unknown_type_writes_nothing(sales_api, org, sales_member):
    from tests.sales.pipeline_factories import make_customer

    party = make_customer(org, sales_member.user, name="客户")
    url = f"{API}/parties/{party.pk}/behaviour-types"
    response = sales_api.put(url, {"types": ["stingy", "nope"]}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "types"
    with scopes_disabled():
        assert not CustomerBehaviour.objects.exists()
    body = sales_api.put(url, {"types": ["stingy"]}, content_type="application/json").json()
    assert [t["key"] for t in body["types"]] == ["stingy"]
