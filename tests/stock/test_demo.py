"""The stock demo seeder: two warehouses, receipts, deliveries for the confirmed orders,
transfers, a stocktake, returns and corrections, all posted; consistent and idempotent."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django_scopes import scope

from guanxi.core.demo import DemoContext, demo_seeders
from guanxi.finance.models import PartyLedgerEntry
from guanxi.sales import documents_services as sales
from guanxi.sales.models import Order, PurchaseOrder
from guanxi.stock.demo import seed_stock
from guanxi.stock.models import (
    SerialUnit,
    StockDocument,
    StockLedgerEntry,
    StockLevel,
    Warehouse,
)
from tests.stock.helpers import make_customer, make_supplier, stocked

pytestmark = pytest.mark.django_db
D = Decimal


def test_seeder_runs_between_the_sales_documents_and_the_money():
    orders = {seeder.name: seeder.order for seeder in demo_seeders()}
    assert orders["stock.documents"] == 60
    assert orders["sales.documents"] < 60 < orders.get("finance", 70)


def test_nothing_but_warehouses_without_products(org, admin_member):
    log: list[str] = []
    with scope(org=org.pk):
        seed_stock(DemoContext(org=org, users={"admin": admin_member.user}, log=log.append))
        assert Warehouse.objects.count() == 2
        assert not StockDocument.objects.exists()
    assert "no stocked products" in log[0]


def _world(org, admin_member):
    supplier = make_supplier(org, name="演示供应商")
    customers = [
        make_customer(org, name=f"演示客户{i}", province="广东" if i % 2 else "上海")
        for i in range(4)
    ]
    plain = stocked(
        org, name="纸张", code="D-PAPER", preferred_supplier=supplier, reorder_quantity=D("30")
    )
    phone = stocked(
        org,
        name="手机",
        code="D-PHONE",
        serial_tracked=True,
        warranty_type="整机保修",
        warranty_months=12,
        preferred_supplier=supplier,
    )
    service = stocked(org, name="安装", code="D-SVC", kind="service", cost_price=D("0"))
    today = timezone.localdate()
    for index in range(12):
        order = sales.create_order(
            admin_member,
            data={
                "party": customers[index % 4].pk,
                "date": today - datetime.timedelta(days=40 * index + 5),
            },
            lines=[
                {"product": plain.pk, "quantity": str(5 + index), "unit_price": "20"},
                {"product": phone.pk, "quantity": "2", "unit_price": "1999"},
                {"product": service.pk, "quantity": "1", "unit_price": "100"},
            ],
        )
        Order.objects.filter(pk=order.pk).update(status=Order.Status.CONFIRMED)
    po = sales.create_purchase_order(
        admin_member,
        supplier,
        [{"product": plain.pk, "quantity": "40"}],
        data={"date": today - datetime.timedelta(days=100)},
    )
    PurchaseOrder.objects.filter(pk=po.pk).update(status=PurchaseOrder.Status.CONFIRMED)
    return DemoContext(org=org, users={"admin": admin_member.user}, log=lambda _m: None)


def test_two_years_of_consistent_stock(org, admin_member):
    with scope(org=org.pk):
        ctx = _world(org, admin_member)
        seed_stock(ctx)
        counts = StockDocument.objects.values("kind").annotate(n=Count("id"))
        kinds = {row["kind"]: row["n"] for row in counts}
        assert kinds["purchase_receipt"] >= 2
        assert kinds["sales_delivery"] >= 8
        assert kinds.get("transfer", 0) >= 1
        assert set(Warehouse.objects.values_list("name", flat=True)) == {"主仓库", "华南仓"}
        # the ledger and the levels agree, and nothing without backorders is below zero
        sums = {
            (row["product_id"], row["warehouse_id"]): row["s"]
            for row in StockLedgerEntry.objects.values("product_id", "warehouse_id").annotate(
                s=Sum("quantity")
            )
        }
        for level in StockLevel.objects.select_related("product"):
            assert sums.get((level.product_id, level.warehouse_id), 0) == level.on_hand
            assert level.on_hand >= 0
        # serial units in stock match the stock of serial-tracked products
        for level in StockLevel.objects.filter(product__serial_tracked=True):
            in_stock = SerialUnit.objects.filter(
                product_id=level.product_id, warehouse_id=level.warehouse_id, status="in_stock"
            ).count()
            assert in_stock == level.on_hand
        assert SerialUnit.objects.filter(status="sold", customer__isnull=False).exists()
        # the receivable is the posted deliveries' totals less the returns
        receivable = PartyLedgerEntry.objects.filter(book="receivable").aggregate(s=Sum("amount"))[
            "s"
        ]
        signed = StockDocument.objects.exclude(status="draft").aggregate(
            d=Sum("total", filter=Q(kind="sales_delivery")),
            r=Sum("total", filter=Q(kind="sales_return")),
        )
        assert receivable == (signed["d"] or 0) - (signed["r"] or 0)
        # most orders delivered
        delivered = Order.objects.filter(delivery_status__in=["full", "partial"]).count()
        assert delivered >= 8
        first = StockDocument.objects.count()
        seed_stock(ctx)  # idempotent
        assert StockDocument.objects.count() == first


def test_the_demo_pre_orders_are_confirmed_and_reserve_stock(org, admin_member):
    from guanxi.stock.services import ensure_default_warehouse

    with scope(org=org.pk):
        ctx = _world(org, admin_member)
        paper = Order.objects.filter(lines__product__code="D-PAPER").first().lines.first().product
        preorder = sales.create_order(
            admin_member,
            data={
                "party": Order.objects.first().party_id,
                "date": timezone.localdate(),
                "kind": Order.Kind.PREORDER,
                "warehouse": ensure_default_warehouse(org).pk,
            },
            lines=[{"product": paper.pk, "quantity": "3", "unit_price": "20"}],
        )
        assert preorder.status == Order.Status.DRAFT
        seed_stock(ctx)
        preorder.refresh_from_db()
        assert preorder.status == Order.Status.CONFIRMED
        assert StockLevel.objects.get(product=paper, warehouse=preorder.warehouse).reserved == 3
