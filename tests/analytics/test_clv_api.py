"""The lifetime-value API: answers match the generated schema, plus values, visibility
and bad input."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from jsonschema import Draft202012Validator

from guanxi.analytics import clv_services
from guanxi.analytics.models import ClvModelFit, CustomerMetrics
from guanxi.api.management.commands.export_openapi import openapi_document
from tests.analytics.clv_api_calls import clv_calls
from tests.analytics.clv_fixtures import OBSERVATION_END, build_clv_dataset
from tests.api.conftest import API, issue_token, token_client
from tests.finance.factories import make_customer

pytestmark = pytest.mark.django_db
MODEL = f"{API}/analytics/clv/model"
REFIT = f"{API}/analytics/clv/model/refit"
TOP = f"{API}/analytics/clv/top-customers"


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


def test_every_clv_operation_answers_as_documented(admin_api, sales_api, org, other_org):
    document = openapi_document()
    before_any_fit = admin_api.get(MODEL)
    assert before_any_fit.status_code == 404
    _validate(document, "get", "/analytics/clv/model", before_any_fit)
    covered = set()
    for method, template, client, url, body, status in clv_calls(
        admin_api, sales_api, org, other_org
    ):
        if body is None:
            response = getattr(client, method)(url)
        else:
            response = getattr(client, method)(url, body, content_type="application/json")
        assert response.status_code == status, (method, url, response.content)
        _validate(document, method, template, response)
        if status < 300:
            covered.add((method, f"{API}{template}"))
    clv_operations = {
        (method, path)
        for path, operations in document["paths"].items()
        for method in operations
        if "/analytics/clv/" in path
    }
    assert clv_operations == covered


def test_refit_and_read_back_the_model(org, admin_member, admin_api):
    build_clv_dataset(org, owner=admin_member.user)
    response = admin_api.post(
        REFIT, {"observation_end": OBSERVATION_END.isoformat()}, content_type="application/json"
    )
    assert response.status_code == 201
    body = response.json()
    fit = clv_services.latest_fit(org)
    assert body["id"] == fit.pk
    assert body["status"] == "ok"
    assert body["n_customers"] == 24
    assert body["bgnbd"]["r"] == pytest.approx(fit.r)
    assert body["bgnbd"]["purchases_per_week"] == pytest.approx(fit.r / fit.alpha)
    assert body["gamma_gamma"]["mean_spend"] == pytest.approx(fit.p * fit.v / (fit.q - 1))
    cal = body["calibration"]
    assert cal["available"] is True
    assert cal["holdout_start"] == fit.holdout_start.isoformat()
    assert [b["frequency"] for b in cal["by_frequency"]][-1] == "7+"
    assert cal["cumulative"]["dates"][-1] == OBSERVATION_END.isoformat()
    assert admin_api.get(MODEL).json() == body


def test_insufficient_data_has_no_parameters(org, admin_api):
    body = admin_api.post(REFIT, {}, content_type="application/json").json()
    assert body["status"] == "insufficient_data"
    assert body["bgnbd"] is None
    assert body["gamma_gamma"] is None
    assert "at least 20 customers" in body["message"]


def test_bad_refit_dates_are_field_errors_and_write_nothing(org, admin_api):
    response = admin_api.post(
        REFIT, {"observation_end": "2999-01-01"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["observation_end"]
    assert "future" in response.json()["errors"][0]["message"]
    response = admin_api.post(REFIT, {"observation_end": "31/12"}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "observation_end"
    with scopes_disabled():
        assert not ClvModelFit.objects.filter(org=org).exists()


def test_sales_member_cannot_refit(org, sales_api):
    assert sales_api.post(REFIT, {}, content_type="application/json").status_code == 403


def test_top_customers_follow_visibility(org, admin_member, sales_member, sales_api, admin_api):
    mine = make_customer(org, name="我的", owner=sales_member.user)
    theirs = make_customer(org, name="别人的", owner=admin_member.user)
    unscored = make_customer(org, name="未评分", owner=sales_member.user)
    with scope(org=org.pk):
        for party, value in ((mine, "120.50"), (theirs, "999.00")):
            CustomerMetrics.objects.create(
                org=org,
                party=party,
                computed_at=timezone.now(),
                frequency=3,
                p_alive=0.8,
                expected_purchases_12m=1.5,
                expected_value_12m=Decimal(value),
            )
        CustomerMetrics.objects.create(org=org, party=unscored, computed_at=timezone.now())
    rows = sales_api.get(TOP).json()
    assert rows == [
        {
            "id": mine.pk,
            "name": "我的",
            "frequency": 3,
            "p_alive": 0.8,
            "expected_purchases_12m": 1.5,
            "expected_value_12m": "120.50",
        }
    ]
    assert [r["name"] for r in admin_api.get(TOP).json()] == ["别人的", "我的"]
    assert [r["name"] for r in admin_api.get(f"{TOP}?limit=1").json()] == ["别人的"]


def test_another_organisations_fit_is_invisible(org, other_org, admin_api):
    clv_services.fit_clv_model(other_org, OBSERVATION_END)
    assert admin_api.get(MODEL).status_code == 404
