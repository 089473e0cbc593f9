"""The basket API: every operation answers as documented, plus values, paging, query
counts, permissions and organisation isolation."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled
from jsonschema import Draft202012Validator

from guanxi.analytics.basket.models import BasketSettings
from guanxi.api.management.commands.export_openapi import openapi_document
from tests.activities.factories import make_party
from tests.analytics.basket_api_calls import basket_calls, delivery, ten_baskets
from tests.api.conftest import API, issue_token, token_client

pytestmark = pytest.mark.django_db


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


def test_every_basket_operation_answers_as_documented(
    admin_api, sales_api, org, other_org, django_capture_on_commit_callbacks
):
    document = openapi_document()
    covered = set()
    with django_capture_on_commit_callbacks(execute=True):
        calls = basket_calls(admin_api, sales_api, org, other_org)
    for method, template, client, url, body, status in calls:
        with django_capture_on_commit_callbacks(execute=True):
            if body is None:
                response = getattr(client, method)(url)
            else:
                response = getattr(client, method)(url, body, content_type="application/json")
        assert response.status_code == status, (method, url, response.content)
        _validate(document, method, template, response)
        if status < 300:
            covered.add((method, f"{API}{template}"))
    basket_operations = {
        (method, path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if path.startswith(f"{API}/analytics/basket")
    }
    assert basket_operations
    assert basket_operations - covered == set()


@pytest.fixture
def customer(org, sales_member):
    return make_party(org, sales_member.user, name="篮子接口客户")


@pytest.fixture
def mined(org, admin_api, customer, django_capture_on_commit_callbacks):
    items = ten_baskets(org, customer)
    with scopes_disabled():
        BasketSettings.objects.create(
            org=org, min_support=0, min_count=1, min_lift=1.0, pair_antecedents=False
        )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(f"{API}/analytics/basket/mine")
    assert response.status_code == 202
    run = admin_api.get(f"{API}/analytics/basket/runs/{response.json()['id']}").json()
    assert (run["status"], run["baskets"], run["rules"]) == ("done", 10, 8)
    return items


def test_rules_values_filters_and_pages(admin_api, mined, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        body = admin_api.get(f"{API}/analytics/basket/rules?limit=3").json()
    assert len(body["items"]) == 3
    assert body["next_cursor"]
    top = body["items"][0]
    assert top["lift"] == pytest.approx(1 / 0.3)
    assert {top["antecedent"]["name"], top["consequent"]["name"]} == {"商品D", "商品E"}
    rest = admin_api.get(f"{API}/analytics/basket/rules?limit=50&cursor={body['next_cursor']}")
    assert len(rest.json()["items"]) == 5
    ab = admin_api.get(f"{API}/analytics/basket/rules?min_support=0.5").json()["items"]
    assert len(ab) == 2
    assert ab[0]["count"] == 5
    assert ab[0]["confidence"] == pytest.approx(5 / 6)
    bad = admin_api.get(f"{API}/analytics/basket/rules?min_confidence=3")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"].endswith("min_confidence")


def test_suggestions_for_products_and_customers(admin_api, sales_api, org, sales_member, mined):
    a, b, c = mined["A"].pk, mined["B"].pk, mined["C"].pk
    found = sales_api.get(f"{API}/analytics/basket/suggestions?product={a}").json()
    assert [s["product"]["id"] for s in found] == [b, c]
    assert found[0]["score"] == pytest.approx((5 / 6) * (5 / 6) / 0.6)
    shopper = make_party(org, sales_member.user, name="只买A的")
    delivery(org, shopper, [mined["A"]], owner=sales_member.user)
    found = sales_api.get(f"{API}/analytics/basket/customers/{shopper.pk}/suggestions").json()
    assert [s["product"]["id"] for s in found] == [b, c]
    hidden = make_party(org, None, name="不归销售的客户")
    assert (
        sales_api.get(f"{API}/analytics/basket/customers/{hidden.pk}/suggestions").status_code
        == 404
    )


def test_settings_api_field_errors_change_nothing(admin_api, sales_api, org):
    bad = admin_api.patch(
        f"{API}/analytics/basket/settings",
        {"min_support": 2, "max_rules": 0},
        content_type="application/json",
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert {"min_support", "max_rules"} <= {f.split(".")[-1] for f in fields}
    assert admin_api.get(f"{API}/analytics/basket/settings").json()["min_support"] == 0.005
    assert (
        sales_api.patch(
            f"{API}/analytics/basket/settings", {"min_lift": 2}, content_type="application/json"
        ).status_code
        == 403
    )
