"""The finance API: answers match the generated schema and every finance operation is
exercised, plus behaviour the schema cannot show (values, paging, query counts)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_scopes import scope
from jsonschema import Draft202012Validator

from guanxi.api.management.commands.export_openapi import openapi_document
from guanxi.finance.models import MoneyDocument
from tests.api.conftest import API, issue_token, token_client
from tests.finance.api_calls import finance_calls
from tests.finance.factories import make_customer, make_order, post_stock, receipt

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
    if status == "204":
        assert response.content == b""
        return
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": document["components"]})
    errors = sorted(validator.iter_errors(response.json()), key=str)
    assert errors == [], f"{method} {template} {status}: {errors[0].message}"


def test_every_finance_operation_answers_as_documented(admin_api, sales_api, org, other_org):
    document = openapi_document()
    covered = set()
    for method, template, client, url, body, status in finance_calls(
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
    finance_operations = {
        (method, path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "finance" in operation.get("tags", [])
    }
    assert finance_operations
    assert finance_operations - covered == set()


def test_create_post_and_balances(admin_api, org):
    customer = make_customer(org)
    delivery = post_stock(org, customer, "500.00")
    order = make_order(org, customer, "900.00")
    body = admin_api.post(
        f"{API}/money-documents",
        {
            "kind": "receipt",
            "party_id": customer.pk,
            "date": "2026-05-01",
            "amount": "800.00",
            "allocations": [
                {"stock_document_id": delivery.pk, "amount": "500.00"},
                {"order_id": order.pk, "amount": "200.00"},
            ],
            "post": True,
        },
        content_type="application/json",
    ).json()
    assert body["status"] == "posted"
    assert [a["amount"] for a in body["allocations"]] == ["500.00", "200.00"]
    items = admin_api.get(f"{API}/parties/{customer.pk}/open-items").json()
    assert items["ageing"]["balance"] == "-300.00"
    assert {(i["source"], i["open_amount"]) for i in items["items"]} == {
        ("advance", "-200.00"),
        ("on_account", "-100.00"),
    }
    summary = admin_api.get(f"{API}/receivables").json()
    assert summary["totals"]["balance"] == "-300.00"
    assert summary["items"][0]["party"]["id"] == customer.pk


def test_bad_allocations_are_field_errors_and_write_nothing(admin_api, org):
    customer = make_customer(org)
    delivery = post_stock(org, customer, "100.00")
    response = admin_api.post(
        f"{API}/money-documents",
        {
            "kind": "receipt",
            "party_id": customer.pk,
            "date": "2026-05-01",
            "amount": "50.00",
            "allocations": [
                {"stock_document_id": delivery.pk, "amount": "150.00"},
                {"amount": "1.00"},
            ],
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"allocations.0.amount", "allocations.1.target", "allocations"} <= fields
    with scope(org=org.pk):
        assert not MoneyDocument.objects.exists()


def test_party_not_visible_is_a_field_error(sales_api, org):
    hidden = make_customer(org, "别人的客户")
    response = sales_api.post(
        f"{API}/money-documents",
        {"kind": "receipt", "party_id": hidden.pk, "date": "2026-05-01", "amount": "5"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["party_id"]


def test_money_list_pages_without_extra_queries(admin_api, org, django_assert_max_num_queries):
    customer = make_customer(org)
    for _ in range(3):
        receipt(org, customer, "1.00")
    with django_assert_max_num_queries(15) as small:
        admin_api.get(f"{API}/money-documents")
    for _ in range(10):
        delivery = post_stock(org, customer, "1.00")
        receipt(org, customer, "1.00", allocations=[(delivery, "1.00")])
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = admin_api.get(f"{API}/money-documents?limit=200").json()
    assert len(body["items"]) == 13


def test_statement_running_balance_across_pages(admin_api, org):
    customer = make_customer(org)
    for amount in ("100.00", "50.00", "25.00"):
        post_stock(org, customer, amount)
    first = admin_api.get(f"{API}/parties/{customer.pk}/statement?limit=2").json()
    assert [r["balance"] for r in first["items"]] == ["100.00", "150.00"]
    second = admin_api.get(
        f"{API}/parties/{customer.pk}/statement?limit=2&cursor={first['next_cursor']}"
    ).json()
    assert second["opening_balance"] == "150.00"
    assert [r["balance"] for r in second["items"]] == ["175.00"]


def test_ledger_lines_and_totals(admin_api, org):
    customer = make_customer(org)
    post_stock(org, customer, "120.00", quantity=3, unit_cost="20")
    body = admin_api.get(f"{API}/ledgers/sales").json()
    assert body["items"][0]["net"] == "120.00"
    assert Decimal(body["items"][0]["gross_profit"]) == Decimal("60")
    totals = admin_api.get(f"{API}/ledgers/sales/totals").json()
    assert totals["count"] == 1
    assert Decimal(totals["cost"]) == Decimal("60")
