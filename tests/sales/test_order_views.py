"""Order pages: list, create, edit, confirm (credit check), cancel, split, lock, delete,
the Deliver button, and the customer page's tabs."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from guanxi.finance.models import PartyLedgerEntry
from guanxi.sales import documents_selectors as sel
from guanxi.sales.models import Order, SalesSettings
from tests.conftest import login
from tests.sales.documents_fixtures import *  # noqa: F403
from tests.sales.documents_fixtures import in_scope, line, make_order

D = Decimal


def _order_data(party, rows, **header):
    data = {
        "party": party.pk,
        "contact": "",
        "kind": "order",
        "date": "2026-03-02",
        "delivery_date": "2026-03-20",
        "warehouse": "",
        "payment_terms": "月结30天",
        "payment_due_days": "30",
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


def _settings(org, **fields):
    with in_scope(org):
        row, _created = SalesSettings.objects.get_or_create(org=org)
        for key, value in fields.items():
            setattr(row, key, value)
        row.save()


def _credit_customer(customer, limit, owed):
    with scopes_disabled():
        customer.settlement_type = "credit"
        customer.credit_limit = D(limit)
        customer.save()
        PartyLedgerEntry.objects.create(
            org_id=customer.org_id,
            party=customer,
            book=PartyLedgerEntry.Book.RECEIVABLE,
            date=datetime.date(2026, 1, 1),
            amount=D(owed),
        )


def test_create_order(sales_client, customer, printer, warehouse):
    page = sales_client.get(f"{reverse('sales:order_create')}?party={customer.pk}&kind=preorder")
    assert page.status_code == 200
    response = sales_client.post(
        reverse("sales:order_create"),
        _order_data(
            customer,
            [{"product": printer.pk, "quantity": "3", "unit_price": "1000", "tax_rate": "13"}],
            warehouse=warehouse.pk,
        ),
    )
    assert response.status_code == 302
    with scopes_disabled():
        order = Order.objects.get()
    assert order.total == D("3390.00")
    assert order.warehouse_id == warehouse.pk
    assert order.payment_terms == "月结30天"


def test_preorder_without_warehouse_is_refused(sales_client, customer, printer):
    response = sales_client.post(
        reverse("sales:order_create"),
        _order_data(customer, [{"product": printer.pk, "quantity": "1"}], kind="preorder"),
    )
    assert response.status_code == 200
    assert "pre-order needs the warehouse" in response.content.decode()
    with scopes_disabled():
        assert not Order.all_objects.exists()


def test_bad_line_on_order(sales_client, customer, printer):
    response = sales_client.post(
        reverse("sales:order_create"),
        _order_data(customer, [{"product": printer.pk, "quantity": "-1"}]),
    )
    assert response.status_code == 200
    assert "cannot be negative" in response.content.decode()


def test_list_and_query_count(
    sales_client, sales_member, customer, printer, django_assert_max_num_queries
):
    for _ in range(3):
        make_order(sales_member, customer, [line(printer)])
    url = reverse("sales:order_list")
    sales_client.get(url)
    with django_assert_max_num_queries(20) as few:
        response = sales_client.get(url, {"sort": "-total"})
    assert response.content.decode().count('data-testid="order-row"') == 3
    for _ in range(10):
        make_order(sales_member, customer, [line(printer)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        sales_client.get(url, {"sort": "-total"})
    kinds = sales_client.get(url, {"kind": "preorder"})
    assert kinds.content.decode().count('data-testid="order-row"') == 0


def test_detail_edit_confirm(sales_client, order, printer):
    detail = reverse("sales:order_detail", args=[order.pk])
    assert sales_client.get(detail).status_code == 200
    assert sales_client.get(reverse("sales:order_edit", args=[order.pk])).status_code == 200
    response = sales_client.post(reverse("sales:order_confirm", args=[order.pk]), follow=True)
    assert "has been confirmed" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    # no more editing
    edit = sales_client.get(reverse("sales:order_edit", args=[order.pk]), follow=True)
    assert "Only draft orders can be edited." in edit.content.decode()


def test_confirm_with_credit_warning(sales_client, order, customer, org):
    _settings(org, credit_check="warn")
    _credit_customer(customer, "1000", "500")
    response = sales_client.post(reverse("sales:order_confirm", args=[order.pk]), follow=True)
    body = response.content.decode()
    assert "Credit limit exceeded" in body
    assert "has been confirmed" in body
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED


def test_confirm_blocked_by_credit(sales_client, order, customer, org):
    _settings(org, credit_check="block")
    _credit_customer(customer, "1000", "500")
    response = sales_client.post(reverse("sales:order_confirm", args=[order.pk]), follow=True)
    assert "Credit limit exceeded" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.DRAFT


def test_cancel_with_reason(sales_client, order):
    url = reverse("sales:order_cancel", args=[order.pk])
    assert sales_client.get(url).status_code == 200
    empty = sales_client.post(url, {"cancel_reason": ""})
    assert empty.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.DRAFT
    done = sales_client.post(url, {"cancel_reason": "客户取消采购", "version": order.version})
    assert done.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    page = sales_client.get(reverse("sales:order_detail", args=[order.pk]))
    assert "客户取消采购" in page.content.decode()


def test_split_page(sales_client, order):
    url = reverse("sales:order_split", args=[order.pk])
    assert sales_client.get(url).status_code == 200
    with in_scope(order.org):
        first, second = order.lines.order_by("position")
    bad = sales_client.post(url, {f"move-{first.pk}": "9"})
    assert bad.status_code == 200
    assert "At most 2 can move" in bad.content.decode()
    response = sales_client.post(url, {f"move-{first.pk}": "1", f"move-{second.pk}": ""})
    assert response.status_code == 302
    with scopes_disabled():
        new = Order.objects.get(split_from=order)
    assert response["Location"] == reverse("sales:order_detail", args=[new.pk])
    page = sales_client.get(reverse("sales:order_detail", args=[order.pk]))
    assert new.number in page.content.decode()


def test_lock_unlock_and_delete(sales_client, order):
    sales_client.post(reverse("sales:order_lock", args=[order.pk]), {"locked": "1"})
    order.refresh_from_db()
    assert order.is_locked
    refused = sales_client.post(reverse("sales:order_delete", args=[order.pk]), follow=True)
    assert "locked" in refused.content.decode()
    cancel = sales_client.post(
        reverse("sales:order_cancel", args=[order.pk]), {"cancel_reason": "x"}, follow=True
    )
    assert "locked" in cancel.content.decode()
    sales_client.post(reverse("sales:order_lock", args=[order.pk]), {"locked": "0"})
    response = sales_client.post(reverse("sales:order_delete", args=[order.pk]))
    assert response["Location"] == reverse("sales:order_list")


def test_deliver_button_only_when_the_stock_page_exists(
    sales_client, order, monkeypatch, admin_member
):
    admin = login(Client(), admin_member)
    sales_client.post(reverse("sales:order_confirm", args=[order.pk]))
    monkeypatch.setattr(sel, "optional_url", lambda name, *args: None)
    page = admin.get(reverse("sales:order_detail", args=[order.pk]))
    assert 'data-testid="deliver"' not in page.content.decode()
    monkeypatch.setattr(sel, "optional_url", lambda name, *args: f"/stock/deliver/{args[0]}/")
    page = admin.get(reverse("sales:order_detail", args=[order.pk]))
    assert f"/stock/deliver/{order.pk}/" in page.content.decode()


def test_visibility(order, other_sales_member, foreign_member):
    url = reverse("sales:order_detail", args=[order.pk])
    assert login(Client(), other_sales_member).get(url).status_code == 404
    foreign = login(Client(), foreign_member)
    assert foreign.get(url).status_code == 404
    assert foreign.post(reverse("sales:order_confirm", args=[order.pk])).status_code == 404
    assert foreign.get(reverse("sales:document_pdf", args=["order", order.pk])).status_code == 404


def test_order_print_and_pdf(sales_client, order):
    printed = sales_client.get(reverse("sales:document_print", args=["order", order.pk]))
    assert order.number in printed.content.decode()
    pdf = sales_client.get(reverse("sales:document_pdf", args=["order", order.pk]))
    assert pdf.content.startswith(b"%PDF")


def test_party_tabs(sales_client, customer, quote, order, supplier, admin_member, purchase_order):
    quotes = sales_client.get(reverse("sales:party_quotes_tab", args=[customer.pk]))
    assert quote.number in quotes.content.decode()
    orders = sales_client.get(reverse("sales:party_orders_tab", args=[customer.pk]))
    assert order.number in orders.content.decode()
    admin = login(Client(), admin_member)
    pos = admin.get(reverse("sales:party_purchase_orders_tab", args=[supplier.pk]))
    assert purchase_order.number in pos.content.decode()
    page = sales_client.get(customer.get_absolute_url())
    assert reverse("sales:party_quotes_tab", args=[customer.pk]) in page.content.decode()
    assert reverse("sales:party_orders_tab", args=[customer.pk]) in page.content.decode()
    supplier_page = admin.get(supplier.get_absolute_url())
    assert reverse("sales:party_purchase_orders_tab", args=[supplier.pk]) in (
        supplier_page.content.decode()
    )


def test_party_tab_of_a_hidden_customer(customer, foreign_member):
    foreign = login(Client(), foreign_member)
    assert foreign.get(reverse("sales:party_orders_tab", args=[customer.pk])).status_code == 404
