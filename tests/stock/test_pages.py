"""Warehouses, stock on hand, product ledger, serial numbers, reorder suggestions and the
panels other pages load."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scope

from guanxi.sales.models import PurchaseOrder
from guanxi.stock.models import SerialUnit, Warehouse
from tests.conftest import login
from tests.factories import make_member
from tests.stock.helpers import (
    Kind,
    deliver,
    line,
    make_supplier,
    posted,
    receive,
    stocked,
)

pytestmark = pytest.mark.django_db
D = Decimal


# --- warehouses ---------------------------------------------------------------------


def test_warehouse_page_creates_the_default_warehouse(admin_client, org):
    response = admin_client.get(reverse("stock:warehouse_list"))
    assert response.status_code == 200
    with scope(org=org.pk):
        default = Warehouse.objects.get(is_default=True)
    assert default.name == "主仓库"
    assert 'data-testid="default-badge"' in response.content.decode()


def test_add_edit_and_deactivate_a_warehouse(admin_client, org, main_warehouse):
    response = admin_client.post(
        reverse("stock:warehouse_create"), {"code": "SZ", "name": "深圳仓", "is_active": "on"}
    )
    assert response.status_code == 302
    with scope(org=org.pk):
        shenzhen = Warehouse.objects.get(code="SZ")
    assert not shenzhen.is_default
    url = reverse("stock:warehouse_edit", args=[shenzhen.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url, {"code": "SZ", "name": "深圳仓", "is_default": "on", "is_active": "on", "version": "1"}
    )
    assert response.status_code == 302
    with scope(org=org.pk):
        main_warehouse.refresh_from_db()
        shenzhen.refresh_from_db()
    assert shenzhen.is_default
    assert not main_warehouse.is_default
    # the default cannot be deactivated; the other one can
    response = admin_client.post(
        url, {"code": "SZ", "name": "深圳仓", "is_default": "on", "version": str(shenzhen.version)}
    )
    assert response.status_code == 422
    response = admin_client.post(
        reverse("stock:warehouse_edit", args=[main_warehouse.pk]),
        {
            "code": main_warehouse.code,
            "name": main_warehouse.name,
            "version": str(main_warehouse.version),
        },
    )
    assert response.status_code == 302
    with scope(org=org.pk):
        main_warehouse.refresh_from_db()
    assert not main_warehouse.is_active


def test_warehouse_holding_stock_cannot_be_deactivated(
    admin_client, org, user, supplier, widget, south
):
    receive(org, user, supplier, widget, 1, warehouse=south.pk)
    response = admin_client.post(
        reverse("stock:warehouse_edit", args=[south.pk]),
        {"code": south.code, "name": south.name, "version": str(south.version)},
    )
    assert response.status_code == 422
    assert "still holds stock" in response.content.decode()


def test_duplicate_warehouse_code_is_refused(admin_client, main_warehouse):
    response = admin_client.post(
        reverse("stock:warehouse_create"), {"code": main_warehouse.code, "name": "重复"}
    )
    assert response.status_code == 422
    assert "already has this code" in response.content.decode()


def test_sales_rep_cannot_add_warehouses(sales_client):
    assert sales_client.get(reverse("stock:warehouse_list")).status_code == 200
    assert sales_client.get(reverse("stock:warehouse_create")).status_code == 403


def test_other_orgs_warehouse_is_not_found(client, other_org, main_warehouse):
    login(client, make_member(other_org, "admin", username="outsider"))
    assert client.get(reverse("stock:warehouse_edit", args=[main_warehouse.pk])).status_code == 404


# --- stock on hand and the ledger -------------------------------------------------------


def test_stock_on_hand_shows_levels_totals_and_filters(
    admin_client, org, user, supplier, customer, widget, south, django_assert_max_num_queries
):
    other = stocked(org, name="扫描仪", code="SC-1")
    receive(org, user, supplier, widget, 10, "20")
    receive(org, user, supplier, other, 3, "50", warehouse=south.pk)
    deliver(org, user, customer, widget, 4)
    url = reverse("stock:stock_on_hand")
    with django_assert_max_num_queries(10):
        response = admin_client.get(url)
    assert response.status_code == 200
    levels = {(row.product.code, row.warehouse.code): row for row in response.context["page"]}
    assert levels[(widget.code, "WH01")].on_hand == 6
    assert response.context["totals"].value == D("270.00")  # 6 × 20 + 3 × 50
    response = admin_client.get(url, {"warehouse": south.pk})
    assert [row.product.code for row in response.context["page"]] == ["SC-1"]
    response = admin_client.get(url, {"q": "扫描"})
    assert [row.product.code for row in response.context["page"]] == ["SC-1"]


def test_stock_on_hand_filters_by_category(admin_client, org, user, supplier):
    from tests.catalog.factories import make_category

    office = make_category(org, "办公设备")
    printers = make_category(org, "打印机", parent=office)
    in_category = stocked(org, name="喷墨打印机", code="IJ-1", category=printers)
    elsewhere = stocked(org, name="杂项", code="MISC")
    receive(org, user, supplier, in_category, 1)
    receive(org, user, supplier, elsewhere, 1)
    response = admin_client.get(reverse("stock:stock_on_hand"), {"category": office.pk})
    assert [row.product.code for row in response.context["page"]] == ["IJ-1"]


def test_product_ledger_links_each_row_to_its_document(
    admin_client, org, user, supplier, customer, widget, django_assert_max_num_queries
):
    receipt = receive(org, user, supplier, widget, 5)
    delivery = deliver(org, user, customer, widget, 2)
    url = reverse("stock:product_ledger", args=[widget.pk])
    with django_assert_max_num_queries(12):
        response = admin_client.get(url)
    content = response.content.decode()
    assert reverse("stock:document_detail", args=[receipt.pk]) in content
    assert reverse("stock:document_detail", args=[delivery.pk]) in content
    balances = [balance for _entry, balance in response.context["rows"]]
    assert balances == [D("3"), D("5")]


def test_ledger_hides_documents_the_member_may_not_see(sales_client, org, user, supplier, widget):
    receipt = receive(org, user, supplier, widget, 5)
    response = sales_client.get(reverse("stock:product_ledger", args=[widget.pk]))
    assert response.status_code == 200
    assert receipt.number not in response.content.decode()


def test_product_stock_panel(admin_client, org, user, supplier, widget):
    receive(org, user, supplier, widget, 5)
    response = admin_client.get(reverse("stock:product_stock_panel", args=[widget.pk]))
    assert response.status_code == 200
    assert 'data-testid="product-levels"' in response.content.decode()


def test_product_page_has_a_stock_tab(admin_client, widget):
    from guanxi.catalog.tabs import PRODUCT_TAB_PROVIDERS

    assert any(p.key == "stock" for p in PRODUCT_TAB_PROVIDERS)
    response = admin_client.get(widget.get_absolute_url())
    assert response.status_code == 200
    assert reverse("stock:product_stock_panel", args=[widget.pk]) in response.content.decode()


# --- serial numbers -----------------------------------------------------------------------


def test_serial_list_search_and_unit_page(admin_client, org, user, supplier, customer, phone):
    receive(org, user, supplier, phone, 2, line={"serials": ["IMEI-0001", "IMEI-0002"]})
    delivery = deliver(org, user, customer, phone, 1, line={"serials": ["IMEI-0001"]})
    response = admin_client.get(reverse("stock:serial_list"), {"q": "0001"})
    units = list(response.context["page"])
    assert [u.serial for u in units] == ["IMEI-0001"]
    page = admin_client.get(reverse("stock:serial_detail", args=[units[0].pk]))
    content = page.content.decode()
    assert page.status_code == 200
    assert customer.name in content
    assert supplier.name in content
    assert delivery.number in content
    assert len(page.context["history"]) == 2


def test_serial_history_providers_add_events(admin_client, org, user, supplier, phone):
    import datetime

    from guanxi.stock import selectors

    receive(org, user, supplier, phone, 1, line={"serials": ["R-1"]})

    def repairs(unit, membership):
        return [selectors.HistoryItem(date=datetime.date(2026, 4, 1), label="维修", detail="换屏")]

    selectors.SERIAL_HISTORY_PROVIDERS.append(repairs)
    try:
        with scope(org=org.pk):
            unit = SerialUnit.objects.get(serial="R-1")
        response = admin_client.get(reverse("stock:serial_detail", args=[unit.pk]))
    finally:
        selectors.SERIAL_HISTORY_PROVIDERS.remove(repairs)
    assert "换屏" in response.content.decode()


def test_other_orgs_serial_unit_is_not_found(client, org, other_org, user, supplier, phone):
    receive(org, user, supplier, phone, 1, line={"serials": ["X-9"]})
    with scope(org=org.pk):
        unit = SerialUnit.objects.get(serial="X-9")
    login(client, make_member(other_org, "admin", username="outsider"))
    assert client.get(reverse("stock:serial_detail", args=[unit.pk])).status_code == 404


# --- reorder suggestions ----------------------------------------------------------------


def test_reorder_suggestions_and_purchase_orders_per_supplier(admin_client, org, user, supplier):
    other_supplier = make_supplier(org, name="深圳电子元件厂")
    low = stocked(
        org,
        name="硒鼓",
        code="TN-1",
        reorder_level=D("10"),
        reorder_quantity=D("50"),
        preferred_supplier=supplier,
    )
    short = stocked(
        org, name="墨盒", code="INK-1", reorder_level=D("8"), preferred_supplier=other_supplier
    )
    fine = stocked(org, name="纸张", code="PAPER", reorder_level=D("5"))
    receive(org, user, supplier, low, 4)
    receive(org, user, supplier, short, 3)
    receive(org, user, supplier, fine, 20)
    url = reverse("stock:reorder_suggestions")
    response = admin_client.get(url)
    rows = {p.code: p for p in response.context["page"]}
    assert set(rows) == {"TN-1", "INK-1"}
    assert rows["TN-1"].suggested == 50
    assert rows["INK-1"].suggested == 5  # up to the level
    response = admin_client.post(
        url,
        {
            "product": [str(low.pk), str(short.pk)],
            f"quantity-{low.pk}": "50",
            f"quantity-{short.pk}": "5",
        },
    )
    assert response.status_code == 302
    with scope(org=org.pk):
        orders = list(PurchaseOrder.objects.order_by("id"))
    assert {po.supplier_id for po in orders} == {supplier.pk, other_supplier.pk}
    # what is on order no longer needs reordering
    response = admin_client.get(url)
    assert list(response.context["page"]) == []


def test_reorder_without_supplier_is_a_clear_error(admin_client, org, user, supplier):
    orphan = stocked(org, name="无供应商", code="ORPH", reorder_level=D("5"))
    response = admin_client.post(
        reverse("stock:reorder_suggestions"),
        {"product": [str(orphan.pk)], f"quantity-{orphan.pk}": "5"},
    )
    assert response.status_code == 422
    assert "no preferred supplier" in response.content.decode()
    with scope(org=org.pk):
        assert not PurchaseOrder.objects.exists()


def test_reserved_stock_counts_against_reorder_and_availability(
    org, admin_member, user, supplier, customer, main_warehouse
):
    from guanxi.sales import documents_services as sales
    from guanxi.stock import selectors
    from guanxi.stock.reservations import reserve_order

    product = stocked(org, name="预售品", code="PRE-1", reorder_level=D("3"))
    receive(org, user, supplier, product, 5)
    order = sales.create_order(
        admin_member,
        data={"party": customer.pk, "kind": "preorder", "warehouse": main_warehouse.pk},
        lines=[{"product": product.pk, "quantity": "4", "unit_price": "10"}],
    )
    with scope(org=org.pk):
        type(order).objects.filter(pk=order.pk).update(status="confirmed")
        order.refresh_from_db()
    reserve_order(order)
    with scope(org=org.pk):
        codes = [p.code for p in selectors.reorder_candidates(org.pk)]
    assert codes == ["PRE-1"]  # 5 − 4 reserved = 1 ≤ 3


# --- the customer page's tab -------------------------------------------------------------


def test_customer_page_has_a_deliveries_tab(admin_client, org, user, supplier, customer, widget):
    from guanxi.parties.record_views import PARTY_TAB_PROVIDERS

    assert any(p.key == "deliveries" for p in PARTY_TAB_PROVIDERS)
    receive(org, user, supplier, widget, 3)
    delivery = deliver(org, user, customer, widget, 1)
    response = admin_client.get(reverse("stock:party_documents_panel", args=[customer.pk]))
    assert response.status_code == 200
    assert delivery.number in response.content.decode()
    page = admin_client.get(customer.get_absolute_url())
    assert reverse("stock:party_documents_panel", args=[customer.pk]) in page.content.decode()


def test_customer_tab_of_another_org_is_not_found(client, other_org, customer):
    login(client, make_member(other_org, "admin", username="outsider"))
    assert client.get(reverse("stock:party_documents_panel", args=[customer.pk])).status_code == 404


def test_adjustment_documents_show_in_their_tab(admin_client, org, user, supplier, widget):
    receive(org, user, supplier, widget, 2)
    doc = posted(org, user, Kind.ADJUSTMENT, [line(widget, -1)])
    response = admin_client.get(reverse("stock:document_list"), {"kind": "adjustment"})
    assert [d.pk for d in response.context["page"]] == [doc.pk]


# --- stock age --------------------------------------------------------------------------


def test_stock_ageing_first_in_first_out(
    admin_client, org, user, supplier, customer, widget, south
):
    import datetime

    from guanxi.stock.posting import org_today

    today = org_today(org)
    receive(org, user, supplier, widget, 10, "10", date=today - datetime.timedelta(days=120))
    receive(org, user, supplier, widget, 5, "10", date=today - datetime.timedelta(days=45))
    receive(org, user, supplier, widget, 3, "10", date=today - datetime.timedelta(days=5))
    deliver(org, user, customer, widget, 12, date=today - datetime.timedelta(days=2))
    # 6 left: 3 from 5 days ago, 3 of the 5 from 45 days ago, none of the oldest
    response = admin_client.get(reverse("stock:stock_ageing"))
    assert response.status_code == 200
    (row,) = response.context["rows"]
    assert row.on_hand == 6
    assert row.buckets == (D("3"), D("3"), D("0"), D("0"))
    assert row.value == D("60.00")
    # one warehouse counts transfers in
    posted(org, user, Kind.TRANSFER, [line(widget, 2)], to_warehouse=south.pk, date=today)
    response = admin_client.get(reverse("stock:stock_ageing"), {"warehouse": south.pk})
    (row,) = response.context["rows"]
    assert row.buckets == (D("2"), D("0"), D("0"), D("0"))
