"""Purchase order pages: list, create, edit, confirm, cancel, delete, print, Receive."""

from __future__ import annotations

from decimal import Decimal

from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from guanxi.sales import documents_selectors as sel
from guanxi.sales.models import PurchaseOrder
from tests.conftest import login
from tests.sales.documents_fixtures import *  # noqa: F403
from tests.sales.documents_fixtures import in_scope, make_po

D = Decimal


def _po_data(supplier, rows, **header):
    data = {
        "supplier": supplier.pk,
        "date": "2026-03-02",
        "expected_date": "2026-03-12",
        "warehouse": "",
        "payment_due_days": "45",
        "contract_terms": "质保一年",
        "notes": "",
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"lines-{index}-{key}"] = value
    data.update(header)
    return data


def _admin(admin_member):
    return login(Client(), admin_member)


def test_create_purchase_order(admin_member, supplier, toner, warehouse):
    client = _admin(admin_member)
    page = client.get(f"{reverse('sales:purchase_order_create')}?supplier={supplier.pk}")
    assert page.status_code == 200
    assert supplier.name in page.content.decode()
    response = client.post(
        reverse("sales:purchase_order_create"),
        _po_data(
            supplier,
            [
                {
                    "product": toner.pk,
                    "quantity": "10",
                    "list_price": "200",
                    "discount_percent": "15",
                    "tax_rate": "13",
                }
            ],
            warehouse=warehouse.pk,
        ),
    )
    assert response.status_code == 302
    with scopes_disabled():
        po = PurchaseOrder.objects.get()
    assert po.total == D("1921.00")
    assert po.contract_terms == "质保一年"
    detail = client.get(response["Location"])
    assert "170.00" in detail.content.decode()


def test_customer_is_not_a_supplier(admin_member, customer, toner):
    client = _admin(admin_member)
    response = client.post(
        reverse("sales:purchase_order_create"),
        _po_data(customer, [{"product": toner.pk, "quantity": "1"}]),
    )
    assert response.status_code == 200
    assert "Choose a supplier you may see." in response.content.decode()
    with scopes_disabled():
        assert not PurchaseOrder.all_objects.exists()


def test_bad_purchase_line(admin_member, supplier, toner):
    client = _admin(admin_member)
    response = client.post(
        reverse("sales:purchase_order_create"),
        _po_data(supplier, [{"product": toner.pk, "quantity": "1", "list_price": "-5"}]),
    )
    assert response.status_code == 200
    assert 'data-field="list_price"' in response.content.decode()


def test_edit_confirm_cancel_delete(admin_member, purchase_order, toner):
    client = _admin(admin_member)
    po = purchase_order
    edit = reverse("sales:purchase_order_edit", args=[po.pk])
    assert client.get(edit).status_code == 200
    with in_scope(po.org):
        existing = po.lines.get()
    data = _po_data(
        po.supplier,
        [
            {
                "id": existing.pk,
                "product": toner.pk,
                "quantity": "5",
                "list_price": "100",
                "discount_percent": "0",
                "tax_rate": "0",
            }
        ],
        version=po.version,
    )
    data["lines-INITIAL_FORMS"] = "1"
    assert client.post(edit, data).status_code == 302
    po.refresh_from_db()
    assert po.total == D("500.00")
    client.post(reverse("sales:purchase_order_action", args=[po.pk, "confirm"]))
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.CONFIRMED
    refused = client.post(
        reverse("sales:purchase_order_action", args=[po.pk, "delete"]), follow=True
    )
    assert "Only draft and cancelled" in refused.content.decode()
    client.post(reverse("sales:purchase_order_action", args=[po.pk, "cancel"]))
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.CANCELLED
    gone = client.post(reverse("sales:purchase_order_action", args=[po.pk, "delete"]))
    assert gone["Location"] == reverse("sales:purchase_order_list")
    assert (
        client.post(reverse("sales:purchase_order_action", args=[po.pk, "fly"])).status_code == 404
    )


def test_list_and_query_count(admin_member, supplier, toner, django_assert_max_num_queries):
    client = _admin(admin_member)
    for _ in range(2):
        make_po(admin_member, supplier, [{"product": toner, "quantity": 1}])
    url = reverse("sales:purchase_order_list")
    client.get(url)
    with django_assert_max_num_queries(20) as few:
        response = client.get(url, {"sort": "supplier"})
    assert response.content.decode().count('data-testid="po-row"') == 2
    for _ in range(8):
        make_po(admin_member, supplier, [{"product": toner, "quantity": 1}])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url, {"sort": "supplier"})


def test_receive_button(admin_member, purchase_order, monkeypatch):
    client = _admin(admin_member)
    client.post(reverse("sales:purchase_order_action", args=[purchase_order.pk, "confirm"]))
    monkeypatch.setattr(sel, "optional_url", lambda name, *args: None)
    page = client.get(reverse("sales:purchase_order_detail", args=[purchase_order.pk]))
    assert 'data-testid="receive"' not in page.content.decode()
    monkeypatch.setattr(sel, "optional_url", lambda name, *args: f"/stock/receive/{args[0]}/")
    page = client.get(reverse("sales:purchase_order_detail", args=[purchase_order.pk]))
    assert f"/stock/receive/{purchase_order.pk}/" in page.content.decode()


def test_sales_reps_do_not_see_purchase_orders(sales_client, purchase_order, foreign_member):
    url = reverse("sales:purchase_order_detail", args=[purchase_order.pk])
    assert sales_client.get(url).status_code == 404
    assert sales_client.get(reverse("sales:purchase_order_list")).status_code == 403
    assert login(Client(), foreign_member).get(url).status_code == 404


def test_print_and_pdf(admin_member, purchase_order):
    client = _admin(admin_member)
    printed = client.get(
        reverse("sales:document_print", args=["purchase_order", purchase_order.pk])
    )
    body = printed.content.decode()
    assert purchase_order.number in body
    assert "200.00" in body  # the list price
    pdf = client.get(reverse("sales:document_pdf", args=["purchase_order", purchase_order.pk]))
    assert pdf.content.startswith(b"%PDF")
