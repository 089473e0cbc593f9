"""The sales-documents API: every call of documents_api_calls answers as the live OpenAPI
document says, and the rules (field errors, visibility, versions, amounts) hold."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled
from jsonschema import Draft202012Validator

from guanxi.api.management.commands.export_openapi import openapi_document
from guanxi.sales import pdf as pdf_module
from guanxi.sales.models import Order, Quote
from tests.api.conftest import API
from tests.sales.documents_api_calls import documents_calls
from tests.sales.documents_fixtures import *  # noqa: F403
from tests.sales.documents_fixtures import line, make_order, make_quote

D = Decimal


@pytest.fixture
def document():
    return openapi_document()


def _validate(document, method, template, response):
    operation = document["paths"][f"{API}{template}"][method]
    status = str(response.status_code)
    assert status in operation["responses"], f"{method} {template}: {status} undocumented"
    if status == "204":
        return
    media = response["Content-Type"].split(";")[0]
    if media != "application/json":
        assert media in operation["responses"][status]["content"]
        return
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": document["components"]})
    errors = sorted(validator.iter_errors(response.json()), key=str)
    assert errors == [], f"{method} {template} {status}: {errors[0].message}"


def test_every_documents_operation_answers_as_documented(
    document, admin_api, sales_api, org, other_org, sales_member, admin_member
):
    covered = set()
    for method, template, client, url, body, status in documents_calls(
        admin_api, sales_api, org, other_org
    ):
        if body is None:
            response = getattr(client, method)(url)
        else:
            response = getattr(client, method)(url, body, content_type="application/json")
        assert response.status_code == status, (method, url, response.content[:500])
        _validate(document, method, template, response)
        if status < 300:
            covered.add((method, template))
    ours = {
        (method, path.removeprefix(API))
        for path, operations in document["paths"].items()
        for method in operations
        if path.removeprefix(API).startswith(("/quotes", "/orders", "/purchase-orders"))
    }
    assert ours - covered == set()


def test_create_quote_computes_amounts(sales_api, customer, printer):
    response = sales_api.post(
        f"{API}/quotes",
        {
            "party_id": customer.pk,
            "lines": [
                {
                    "product_id": printer.pk,
                    "quantity": "2",
                    "unit_price": "99.99",
                    "discount_percent": "10",
                }
            ],
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["lines"][0]["net_amount"] == "179.98"
    assert body["lines"][0]["tax_amount"] == "23.40"
    assert body["total"] == "203.38"
    assert body["status"] == "draft"


def test_field_errors_name_the_line(sales_api, customer, printer, foreign_product):
    response = sales_api.post(
        f"{API}/quotes",
        {
            "party_id": customer.pk,
            "lines": [
                {"product_id": printer.pk, "quantity": "-3"},
                {"product_id": foreign_product.pk, "quantity": "1"},
            ],
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"lines.0.quantity", "lines.1.product_id"}
    with scopes_disabled():
        assert not Quote.all_objects.exists()


def test_customer_the_caller_may_not_see(sales_api, org, other_sales_member, printer):
    from tests.sales.documents_fixtures import make_customer

    hidden = make_customer(org, other_sales_member.user, name="看不到的客户")
    response = sales_api.post(
        f"{API}/orders",
        {"party_id": hidden.pk, "lines": [{"product_id": printer.pk, "quantity": "1"}]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "party_id"


def test_list_sort_and_pages(sales_api, sales_member, customer, printer):
    for quantity in (3, 1, 2):
        make_quote(sales_member, customer, [line(printer, quantity)])
    first = sales_api.get(f"{API}/quotes?sort=total&limit=2").json()
    assert [q["total"] for q in first["items"]] == ["2258.87", "4517.74"]
    second = sales_api.get(f"{API}/quotes?sort=total&limit=2&cursor={first['next_cursor']}").json()
    assert [q["total"] for q in second["items"]] == ["6776.61"]
    assert second["next_cursor"] is None


def test_list_query_count(
    sales_api, sales_member, customer, printer, django_assert_max_num_queries
):
    for _ in range(3):
        make_order(sales_member, customer, [line(printer)])
    sales_api.get(f"{API}/orders")
    with django_assert_max_num_queries(15) as few:
        sales_api.get(f"{API}/orders")
    for _ in range(10):
        make_order(sales_member, customer, [line(printer)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = sales_api.get(f"{API}/orders")
    assert len(response.json()["items"]) == 13


def test_confirm_blocked_by_credit(sales_api, order, customer, org):
    from guanxi.sales.models import SalesSettings

    with scopes_disabled():
        SalesSettings.objects.update_or_create(org=org, defaults={"credit_check": "block"})
        customer.settlement_type = "credit"
        customer.credit_limit = D("100")
        customer.save()
    response = sales_api.post(
        f"{API}/orders/{order.pk}/confirm",
        {"version": order.version},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "credit_limit_exceeded"
    order.refresh_from_db()
    assert order.status == Order.Status.DRAFT


def test_pdf_unavailable_is_503(sales_api, quote, monkeypatch):
    monkeypatch.setattr(pdf_module, "_weasyprint", lambda: None)
    response = sales_api.get(f"{API}/quotes/{quote.pk}/pdf")
    assert response.status_code == 503
    assert response.json()["code"] == "pdf_unavailable"


def test_other_organisation_is_404(other_org, quote, order, purchase_order):
    from tests.api.conftest import issue_token, token_client
    from tests.factories import make_member

    stranger = token_client(issue_token(make_member(other_org, "admin", username="api-stranger")))
    for url in (
        f"{API}/quotes/{quote.pk}",
        f"{API}/orders/{order.pk}",
        f"{API}/purchase-orders/{purchase_order.pk}",
        f"{API}/orders/{order.pk}/pdf",
    ):
        assert stranger.get(url).status_code == 404
    assert (
        stranger.post(
            f"{API}/orders/{order.pk}/lock", {"version": 1}, content_type="application/json"
        ).status_code
        == 404
    )
    assert reverse("sales:quote_detail", args=[quote.pk])
