"""The stock API: every operation answers as its schema says, with the same rules as the
pages (visibility, field errors, stale edits, posting and reversal)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_scopes import scope

from guanxi.api.management.commands.export_openapi import openapi_document
from guanxi.stock.models import StockDocument
from tests.api.conftest import API
from tests.api.test_schema import validate
from tests.stock.api_calls import stock_calls
from tests.stock.helpers import Kind, draft, line, make_warehouse, on_hand, receive

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(scope="module")
def document():
    return openapi_document()


def test_every_stock_operation_answers_as_documented(
    document, admin_api, sales_api, org, other_org, admin_member
):
    covered = set()
    for method, template, client, url, body, status in stock_calls(
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
    stock_operations = {
        (method, path)
        for path, operations in document["paths"].items()
        if path.startswith(f"{API}/stock/")
        for method in operations
    }
    assert stock_operations - covered == set()


def test_create_and_post_through_the_api(admin_api, org, supplier, widget, main_warehouse):
    response = admin_api.post(
        f"{API}/stock/documents",
        {
            "kind": "purchase_receipt",
            "party_id": supplier.pk,
            "lines": [
                {"product_id": widget.pk, "quantity": "5", "unit_price": "10", "tax_rate": "13"}
            ],
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft"
    assert body["total"] == "56.50"
    assert body["warehouse"]["id"] == main_warehouse.pk
    response = admin_api.post(f"{API}/stock/documents/{body['id']}/post")
    assert response.status_code == 200
    assert response.json()["status"] == "posted"
    assert on_hand(org, widget) == 5
    # posting again changes nothing
    again = admin_api.post(f"{API}/stock/documents/{body['id']}/post")
    assert again.status_code == 200
    assert on_hand(org, widget) == 5


def test_not_enough_stock_is_a_field_error(admin_api, org, customer, widget):
    doc = draft(org, None, Kind.SALES_DELIVERY, [line(widget, 2)], party=customer.pk)
    response = admin_api.post(f"{API}/stock/documents/{doc.pk}/post")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "lines.0.quantity"


def test_field_errors_use_api_names(admin_api, org, widget, customer, other_org):
    from tests.stock.helpers import stocked

    foreign = stocked(other_org, name="别家")
    response = admin_api.post(
        f"{API}/stock/documents",
        {
            "kind": "purchase_receipt",
            "party_id": customer.pk,
            "lines": [{"product_id": foreign.pk, "quantity": "1"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"party_id", "lines.0.product_id"}
    with scope(org=org.pk):
        assert not StockDocument.objects.exists()


def test_levels_and_ledger_lists(
    admin_api, org, user, supplier, widget, south, django_assert_max_num_queries
):
    receive(org, user, supplier, widget, 4, "25")
    receive(org, user, supplier, widget, 2, "25", warehouse=south.pk)
    with django_assert_max_num_queries(8):
        response = admin_api.get(f"{API}/stock/levels")
    items = response.json()["items"]
    assert {(i["warehouse"]["id"], i["on_hand"]) for i in items} == {
        (south.pk, "2.000"),
        (
            items[0]["warehouse"]["id"]
            if items[0]["warehouse"]["id"] != south.pk
            else items[1]["warehouse"]["id"],
            "4.000",
        ),
    }
    assert {i["value"] for i in items} == {"100.00", "50.00"}
    with django_assert_max_num_queries(8):
        response = admin_api.get(f"{API}/stock/ledger?product={widget.pk}&limit=1")
    page = response.json()
    assert len(page["items"]) == 1
    assert page["next_cursor"]
    rest = admin_api.get(f"{API}/stock/ledger?product={widget.pk}&cursor={page['next_cursor']}")
    assert len(rest.json()["items"]) == 1


def test_sales_rep_does_not_see_others_documents(sales_api, org, user, supplier, widget):
    doc = receive(org, user, supplier, widget, 1)
    assert sales_api.get(f"{API}/stock/documents/{doc.pk}").status_code == 404
    ledger = sales_api.get(f"{API}/stock/ledger").json()["items"]
    assert ledger[0]["document"] is None
    assert ledger[0]["party"] is None


def test_readonly_token_cannot_post(org, user, supplier, widget, readonly_member):
    from tests.api.conftest import issue_token, token_client

    client = token_client(issue_token(readonly_member))
    doc = draft(org, user, Kind.PURCHASE_RECEIPT, [line(widget, 1)], party=supplier.pk)
    assert client.post(f"{API}/stock/documents/{doc.pk}/post").status_code == 403
    doc.refresh_from_db()
    assert doc.status == StockDocument.Status.DRAFT


def test_transfer_needs_a_target_warehouse(admin_api, org, widget):
    make_warehouse(org, "备用仓", code="SPARE")
    response = admin_api.post(
        f"{API}/stock/documents",
        {"kind": "transfer", "lines": [{"product_id": widget.pk, "quantity": "1"}]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "to_warehouse_id"


def test_document_list_keeps_its_query_count(
    admin_api, org, user, supplier, customer, widget, django_assert_max_num_queries
):
    receive(org, user, supplier, widget, 30)
    for _ in range(12):
        draft(org, user, Kind.SALES_DELIVERY, [line(widget, 1)], party=customer.pk)
    with django_assert_max_num_queries(8):
        response = admin_api.get(f"{API}/stock/documents?limit=10")
    body = response.json()
    assert len(body["items"]) == 10
    assert body["next_cursor"]
    with django_assert_max_num_queries(8):
        response = admin_api.get(f"{API}/stock/serials")
    assert response.status_code == 200
