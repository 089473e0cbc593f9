"""Calls of the stock API for tests/api/test_schema.py: each answers as documented.

Run in order: later calls depend on the rows earlier ones create or change.
"""

from __future__ import annotations

from decimal import Decimal

from django_scopes import scope, scopes_disabled

from guanxi.accounts.models import Membership
from guanxi.stock.models import SerialUnit
from guanxi.stock.services import ensure_default_warehouse
from tests.api.conftest import API
from tests.stock.helpers import (
    Kind,
    deliver,
    draft,
    line,
    make_customer,
    make_supplier,
    receive,
    stocked,
)


def stock_calls(admin_api, sales_api, org, other_org) -> list[tuple]:
    with scopes_disabled():
        admin = Membership.objects.filter(org=org, role__code="admin").first()
        admin_user = admin.user
    main = ensure_default_warehouse(org)
    supplier = make_supplier(org, name="接口供应商")
    customer = make_customer(org, admin_user, name="接口客户")
    product = stocked(
        org, name="接口商品", code="API-1", reorder_level=Decimal("50"), preferred_supplier=supplier
    )
    phone = stocked(
        org,
        name="接口手机",
        code="API-PH",
        serial_tracked=True,
        warranty_months=12,
        warranty_type="整机保修",
    )
    receive(org, admin_user, supplier, product, 20, "10")
    receive(org, admin_user, supplier, phone, 1, "900", line={"serials": ["API-SN-1"]})
    delivery = deliver(org, admin_user, customer, product, 5, "20")
    spare = draft(org, admin_user, Kind.PURCHASE_RECEIPT, [line(product, 1)], party=supplier.pk)
    empty = draft(org, admin_user, Kind.SALES_DELIVERY, [], party=customer.pk)
    theirs = receive(
        other_org,
        None,
        make_supplier(other_org, name="别家供应商"),
        stocked(other_org, name="别家商品"),
        1,
    )
    with scope(org=org.pk):
        unit = SerialUnit.objects.get(serial="API-SN-1")
    d, s = delivery.pk, spare.pk
    new = {
        "kind": "purchase_receipt",
        "party_id": supplier.pk,
        "lines": [{"product_id": product.pk, "quantity": "3", "unit_price": "11"}],
    }
    return [
        # warehouses
        ("get", "/stock/warehouses", sales_api, f"{API}/stock/warehouses", None, 200),
        ("get", "/stock/warehouses", admin_api, f"{API}/stock/warehouses?cursor=bad", None, 400),
        (
            "post",
            "/stock/warehouses",
            admin_api,
            f"{API}/stock/warehouses",
            {"code": "SOUTH", "name": "华南仓"},
            201,
        ),
        (
            "post",
            "/stock/warehouses",
            admin_api,
            f"{API}/stock/warehouses",
            {"code": "SOUTH", "name": "重复"},
            422,
        ),
        (
            "post",
            "/stock/warehouses",
            sales_api,
            f"{API}/stock/warehouses",
            {"code": "X", "name": "X"},
            403,
        ),
        (
            "get",
            "/stock/warehouses/{id}",
            admin_api,
            f"{API}/stock/warehouses/{main.pk}",
            None,
            200,
        ),
        ("get", "/stock/warehouses/{id}", admin_api, f"{API}/stock/warehouses/999999", None, 404),
        (
            "patch",
            "/stock/warehouses/{id}",
            admin_api,
            f"{API}/stock/warehouses/{main.pk}",
            {"version": 1, "address": "上海市浦东新区"},
            200,
        ),
        (
            "patch",
            "/stock/warehouses/{id}",
            admin_api,
            f"{API}/stock/warehouses/{main.pk}",
            {"version": 1, "address": "过期"},
            409,
        ),
        (
            "patch",
            "/stock/warehouses/{id}",
            admin_api,
            f"{API}/stock/warehouses/{main.pk}",
            {"version": 2, "is_active": False},
            422,
        ),
        # documents
        (
            "get",
            "/stock/documents",
            admin_api,
            f"{API}/stock/documents?kind=sales_delivery",
            None,
            200,
        ),
        ("get", "/stock/documents", admin_api, f"{API}/stock/documents?kind=nope", None, 422),
        ("get", "/stock/documents", admin_api, f"{API}/stock/documents?cursor=bad", None, 400),
        ("post", "/stock/documents", admin_api, f"{API}/stock/documents", new, 201),
        (
            "post",
            "/stock/documents",
            admin_api,
            f"{API}/stock/documents",
            {**new, "lines": [{"product_id": product.pk, "quantity": "-1"}]},
            422,
        ),
        ("get", "/stock/documents/{id}", admin_api, f"{API}/stock/documents/{d}", None, 200),
        (
            "get",
            "/stock/documents/{id}",
            admin_api,
            f"{API}/stock/documents/{theirs.pk}",
            None,
            404,
        ),
        (
            "patch",
            "/stock/documents/{id}",
            admin_api,
            f"{API}/stock/documents/{s}",
            {
                "version": 1,
                "notes": "接口修改",
                "lines": [{"product_id": product.pk, "quantity": "2"}],
            },
            200,
        ),
        (
            "patch",
            "/stock/documents/{id}",
            admin_api,
            f"{API}/stock/documents/{s}",
            {"version": 1, "notes": "过期"},
            409,
        ),
        (
            "patch",
            "/stock/documents/{id}",
            admin_api,
            f"{API}/stock/documents/{d}",
            {"version": 2, "notes": "已过帐"},
            409,
        ),
        (
            "post",
            "/stock/documents/{id}/post",
            admin_api,
            f"{API}/stock/documents/{s}/post",
            None,
            200,
        ),
        (
            "post",
            "/stock/documents/{id}/post",
            admin_api,
            f"{API}/stock/documents/{empty.pk}/post",
            None,
            422,
        ),
        (
            "post",
            "/stock/documents/{id}/return",
            admin_api,
            f"{API}/stock/documents/{d}/return",
            {},
            201,
        ),
        (
            "post",
            "/stock/documents/{id}/return",
            admin_api,
            f"{API}/stock/documents/{empty.pk}/return",
            {},
            409,
        ),
        (
            "post",
            "/stock/documents/{id}/correct",
            admin_api,
            f"{API}/stock/documents/{d}/correct",
            {
                "version": 2,
                "reason": "数量有误",
                "lines": [
                    {
                        "product_id": product.pk,
                        "quantity": "4",
                        "unit_price": "20",
                        "tax_rate": "0",
                    }
                ],
            },
            201,
        ),
        (
            "post",
            "/stock/documents/{id}/reverse",
            admin_api,
            f"{API}/stock/documents/{d}/reverse",
            {"reason": "again"},
            409,
        ),
        (
            "post",
            "/stock/documents/{id}/reverse",
            admin_api,
            f"{API}/stock/documents/{s}/reverse",
            {"reason": "收错了"},
            201,
        ),
        (
            "post",
            "/stock/documents/from-order/{order_id}",
            admin_api,
            f"{API}/stock/documents/from-order/999999",
            {},
            404,
        ),
        (
            "post",
            "/stock/documents/from-purchase-order/{purchase_order_id}",
            admin_api,
            f"{API}/stock/documents/from-purchase-order/999999",
            {},
            404,
        ),
        (
            "delete",
            "/stock/documents/{id}",
            admin_api,
            f"{API}/stock/documents/{empty.pk}",
            None,
            204,
        ),
        ("delete", "/stock/documents/{id}", admin_api, f"{API}/stock/documents/{d}", None, 409),
        # levels, ledger, serials
        ("get", "/stock/levels", sales_api, f"{API}/stock/levels", None, 200),
        ("get", "/stock/levels", admin_api, f"{API}/stock/levels?category=999999", None, 422),
        ("get", "/stock/ledger", admin_api, f"{API}/stock/ledger?product={product.pk}", None, 200),
        ("get", "/stock/ledger", admin_api, f"{API}/stock/ledger?kind=x", None, 422),
        ("get", "/stock/serials", admin_api, f"{API}/stock/serials?q=API", None, 200),
        ("get", "/stock/serials/{id}", admin_api, f"{API}/stock/serials/{unit.pk}", None, 200),
        ("get", "/stock/serials/{id}", admin_api, f"{API}/stock/serials/999999", None, 404),
        # reorder suggestions
        (
            "get",
            "/stock/reorder-suggestions",
            admin_api,
            f"{API}/stock/reorder-suggestions",
            None,
            200,
        ),
        (
            "post",
            "/stock/reorder-suggestions/purchase-orders",
            admin_api,
            f"{API}/stock/reorder-suggestions/purchase-orders",
            {"lines": [{"product_id": product.pk, "quantity": "40"}]},
            201,
        ),
        (
            "post",
            "/stock/reorder-suggestions/purchase-orders",
            admin_api,
            f"{API}/stock/reorder-suggestions/purchase-orders",
            {"lines": [{"product_id": phone.pk, "quantity": "1"}]},
            422,
        ),
        *_source_calls(admin_api, org, admin, customer, supplier, product),
    ]


def _source_calls(admin_api, org, admin, customer, supplier, product) -> list[tuple]:
    """Drafts made from a confirmed order and a confirmed purchase order."""
    from guanxi.sales import documents_services as sales

    order = sales.create_order(
        admin,
        data={"party": customer.pk},
        lines=[{"product": product.pk, "quantity": "2", "unit_price": "20"}],
    )
    po = sales.create_purchase_order(admin, supplier, [{"product": product.pk, "quantity": "5"}])
    with scope(org=org.pk):
        type(order).objects.filter(pk=order.pk).update(status="confirmed")
        type(po).objects.filter(pk=po.pk).update(status="confirmed")
    return [
        (
            "post",
            "/stock/documents/from-order/{order_id}",
            admin_api,
            f"{API}/stock/documents/from-order/{order.pk}",
            {},
            201,
        ),
        (
            "post",
            "/stock/documents/from-purchase-order/{purchase_order_id}",
            admin_api,
            f"{API}/stock/documents/from-purchase-order/{po.pk}",
            {"warehouse_id": None},
            201,
        ),
    ]
