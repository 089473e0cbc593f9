"""The sales analysis API: figures equal the selectors', documented answers, 422 field
errors, visibility."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from guanxi.api.management.commands.export_openapi import openapi_document
from tests.analytics.sales_api_calls import build_funnel, build_sales, sales_calls
from tests.api.conftest import API, issue_token, token_client

Q1 = "period=custom&date_from=2026-01-01&date_to=2026-03-31"


@pytest.fixture
def admin_api(admin_member):
    return token_client(issue_token(admin_member))


@pytest.fixture
def sales_api(sales_member):
    return token_client(issue_token(sales_member))


def _validate(document, method, template, response):
    operation = document["paths"][f"{API}{template}"][method]
    status = str(response.status_code)
    assert status in operation["responses"], f"{method} {template}: {status} undocumented"
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": document["components"]})
    errors = sorted(validator.iter_errors(response.json()), key=str)
    assert errors == [], f"{method} {template} {status}: {errors[0].message}"


def test_every_sales_analysis_call_answers_as_documented(admin_api, sales_api, org, other_org):
    document = openapi_document()
    for method, template, client, url, _body, status in sales_calls(
        admin_api, sales_api, org, other_org
    ):
        response = getattr(client, method)(url)
        assert response.status_code == status, (url, response.content)
        _validate(document, method, template, response)


@pytest.fixture
def world(org, admin_member):
    return build_sales(org, admin=admin_member)


def test_trend_figures(admin_api, world):
    body = admin_api.get(f"{API}/analytics/sales/trend?{Q1}&split=team").json()
    assert [p["net"] for p in body["points"]] == ["1300.00", "300.00", "2000.00"]
    assert body["points"][0]["previous"] == "200.00"
    assert body["points"][0]["change_percent"] == "550.0"
    assert body["total"] == "3600.00"
    teams = {s["label"]: s["values"] for s in body["series"]}
    assert teams["华东组"] == ["300.00", "-100.00", "0"]


def test_composition_and_pareto(admin_api, world):
    comp = admin_api.get(f"{API}/analytics/sales/composition?{Q1}&dimension=city&top=2").json()
    assert [(s["label"], s["share"]) for s in comp["slices"]] == [
        ("上海", "55.6"),
        ("杭州", "27.8"),
        ("Others", "16.7"),
    ]
    pareto = admin_api.get(f"{API}/analytics/sales/pareto?{Q1}&measure=profit").json()
    assert pareto["top_share"] == "70.7"
    assert pareto["rows"][0]["label"] == "丁公司"


def test_sales_user_sees_own_figures(world):
    api = token_client(issue_token(world.seller))
    body = api.get(f"{API}/analytics/sales/trend?{Q1}").json()
    assert [p["net"] for p in body["points"]] == ["300.00", "-100.00", "0.00"]


def test_bad_parameters_are_field_errors(admin_api, world):
    response = admin_api.get(f"{API}/analytics/sales/trend?period=custom&date_from=2026-02-01")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["date_to"]
    response = admin_api.get(f"{API}/analytics/sales/composition?top=500")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "top"
    response = admin_api.get(f"{API}/analytics/sales/trend?grain=hour")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "grain"


def test_funnel_and_forecast(admin_api, org, admin_member):
    build_funnel(org, admin=admin_member)
    body = admin_api.get(f"{API}/analytics/funnel?{Q1}").json()
    assert body["cohort"] == 3
    assert [s["reached"] for s in body["stages"]] == [3, 2, 1, 1]
    assert [s["average_days"] for s in body["stages"][:3]] == ["7.0", "10.5", "5.0"]
    assert body["win_rate"] == "50.0"
    assert body["leads"] == {
        "leads": 3,
        "converted": 2,
        "ordered": 1,
        "conversion_rate": "66.7",
        "order_rate": "50.0",
    }
    fc = admin_api.get(f"{API}/analytics/forecast?months=24").json()
    assert fc["total_weighted"] == "6000.00"
