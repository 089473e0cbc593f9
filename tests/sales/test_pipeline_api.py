"""The pipeline API: every operation answers as the (generated) OpenAPI document says,
and the rules hold through it (visibility, stale versions, conversion, query counts)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from guanxi.api.management.commands.export_openapi import openapi_document
from guanxi.sales.models import Opportunity
from tests.api.conftest import API, issue_token, token_client
from tests.api.test_schema import validate
from tests.factories import make_member
from tests.sales.pipeline_api_calls import pipeline_calls
from tests.sales.pipeline_factories import make_customer, make_opportunity, stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_api(admin_member):
    return token_client(issue_token(admin_member))


@pytest.fixture
def sales_api(sales_member):
    return token_client(issue_token(sales_member))


PREFIXES = ("/leads", "/pipeline-stages", "/opportunities", "/sales-targets")


def test_every_pipeline_operation_answers_as_documented(admin_api, sales_api, org, other_org, team):
    make_member(other_org, "admin", username="stranger")
    document = openapi_document()
    covered = set()
    for method, template, client, url, body, status in pipeline_calls(
        admin_api, sales_api, org, other_org
    ):
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
        if path.removeprefix(API).startswith(PREFIXES)
        for method in operations
    }
    assert mine - covered == set()


def test_create_prices_lines_and_reports_field_errors(sales_api, org, sales_member):
    from tests.sales.pipeline_factories import make_product

    party = make_customer(org, sales_member.user)
    product = make_product(org, price="200", tax_rate="13")
    response = sales_api.post(
        f"{API}/opportunities",
        {
            "name": "接口",
            "party_id": party.pk,
            "lines": [{"product_id": product.pk, "quantity": "5"}],
        },
        content_type="application/json",
    )
    body = response.json()
    assert response.status_code == 201
    assert (body["amount"], body["probability"], body["lines"][0]["total_amount"]) == (
        "1130.00",
        10,
        "1130.00",
    )
    response = sales_api.post(
        f"{API}/opportunities",
        {"name": "接口", "party_id": party.pk, "contact_id": 999999, "stage_id": 999999},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"contact_id"}


def test_colleagues_opportunities_are_not_listed(sales_api, org, sales_member):
    colleague = make_member(org, "sales", username="colleague")
    make_opportunity(org, colleague.user, name="别人的")
    make_opportunity(org, sales_member.user, name="我的")
    names = [item["name"] for item in sales_api.get(f"{API}/opportunities").json()["items"]]
    assert names == ["我的"]


def test_stale_move_changes_nothing(sales_api, org, sales_member):
    opp = make_opportunity(org, sales_member.user)
    sales_api.post(
        f"{API}/opportunities/{opp.pk}/move",
        {"stage_id": stage(org, "won").pk, "version": 1},
        content_type="application/json",
    )
    response = sales_api.post(
        f"{API}/opportunities/{opp.pk}/move",
        {"stage_id": stage(org, "open", 2).pk, "version": 1},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "stale_edit"
    with scopes_disabled():
        assert Opportunity.objects.get(pk=opp.pk).status == "won"


def test_list_query_count_does_not_grow(
    sales_api, org, sales_member, django_assert_max_num_queries
):
    party = make_customer(org, sales_member.user)
    for index in range(15):
        make_opportunity(
            org, sales_member.user, party=party, name=f"机会{index}", amount=Decimal(index)
        )
    with django_assert_max_num_queries(10):
        response = sales_api.get(f"{API}/opportunities?limit=50")
    assert len(response.json()["items"]) == 15
    with django_assert_max_num_queries(10):
        assert sales_api.get(f"{API}/leads").status_code == 200
