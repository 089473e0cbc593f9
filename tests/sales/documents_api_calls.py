"""Calls of the sales-documents API for tests/api/test_schema.py: each answers as documented.

Every operation gets at least one successful call. Documents are made beforehand (one per
action, so each call knows the version it sends); calls run in order. They go through the
administrator's client: other modules' calls run before these and may give the
customers to other owners, which would hide them from a sales rep.
"""

from __future__ import annotations

from decimal import Decimal

from django_scopes import scopes_disabled

from guanxi.accounts.models import Membership
from guanxi.catalog.services import void_product
from guanxi.sales import documents_services as svc
from tests.api.conftest import API
from tests.catalog.factories import make_product
from tests.factories import make_member
from tests.sales.documents_fixtures import make_customer, make_supplier, make_warehouse
from tests.sales.pipeline_factories import make_opportunity


def documents_calls(admin_api, sales_api, org, other_org) -> list[tuple]:
    with scopes_disabled():
        admin = (
            Membership.objects.filter(org=org, role__is_admin=True).select_related("org").first()
        )
        # The member behind `sales_api` (the `sales_member` fixture, username "sales").
        sales = (
            Membership.objects.filter(org=org, user__username="sales").select_related("org").first()
            or Membership.objects.filter(org=org, role__code="sales").select_related("org").first()
        )
        stranger = Membership.objects.filter(org=other_org).select_related("org").first()
    if stranger is None:
        stranger = make_member(other_org, "admin", username="documents-stranger")
    customer = make_customer(org, sales.user, name="接口报价客户", email="buyer@example.test")
    supplier = make_supplier(org, name="接口供应商")
    product = make_product(org, code="DOC-API-1", name="接口报价产品", list_price=Decimal("100"))
    voided = void_product(
        product=make_product(org, code="DOC-API-2", name="作废的产品"), actor=admin.user
    )
    warehouse = make_warehouse(org, code="API-WH")
    opportunity = make_opportunity(
        org,
        sales.user,
        party=customer,
        name="接口报价机会",
        lines=[{"product": product, "quantity": "2"}],
    )
    row = [{"product": product.pk, "quantity": "2", "discount_percent": "10"}]
    purchase_row = [{"product": product.pk, "quantity": "5", "list_price": "80"}]

    def quote():
        return svc.create_quote(sales, data={"party": customer.pk}, lines=row)

    def order():
        return svc.create_order(sales, data={"party": customer.pk}, lines=row)

    def po():
        return svc.create_purchase_order(admin, supplier, purchase_row)

    q_patch, q_status, q_send, q_convert, q_delete = (quote() for _ in range(5))
    o_patch, o_confirm, o_cancel, o_split, o_lock, o_delete = (order() for _ in range(6))
    p_patch, p_confirm, p_cancel, p_delete = (po() for _ in range(4))
    with scopes_disabled():
        split_line = o_split.lines.first()
        foreign_customer = make_customer(other_org, stranger.user, name="别家的客户")
    theirs = svc.create_quote(
        stranger,
        data={"party": foreign_customer.pk},
        lines=[{"product": make_product(other_org, code="X-1").pk, "quantity": "1"}],
    )
    new_quote = {
        "party_id": customer.pk,
        "valid_until": "2099-12-31",
        "terms": "款到发货",
        "lines": [{"product_id": product.pk, "quantity": "3", "discount_percent": "5"}],
    }
    bad_quote = {
        "party_id": customer.pk,
        "lines": [
            {"product_id": product.pk, "quantity": "-1"},
            {"product_id": voided.pk, "quantity": "1"},
            {"product_id": product.pk, "quantity": "1", "discount_percent": "120"},
        ],
    }
    new_order = {
        "party_id": customer.pk,
        "kind": "preorder",
        "warehouse_id": warehouse.pk,
        "payment_terms": "月结",
        "lines": [{"product_id": product.pk, "quantity": "1", "unit_price": "95"}],
    }
    new_po = {
        "supplier_id": supplier.pk,
        "warehouse_id": warehouse.pk,
        "expected_date": "2099-01-31",
        "lines": [
            {"product_id": product.pk, "quantity": "4", "list_price": "80", "discount_percent": "5"}
        ],
    }
    quotes, orders, pos = f"{API}/quotes", f"{API}/orders", f"{API}/purchase-orders"
    return [
        # quotes
        ("get", "/quotes", admin_api, f"{quotes}?sort=-total&status=draft&q=接口", None, 200),
        ("get", "/quotes", admin_api, f"{quotes}?sort=sideways", None, 422),
        ("get", "/quotes", admin_api, f"{quotes}?cursor=bad", None, 400),
        ("post", "/quotes", admin_api, quotes, new_quote, 201),
        ("post", "/quotes", admin_api, quotes, {"opportunity_id": opportunity.pk}, 201),
        ("post", "/quotes", admin_api, quotes, bad_quote, 422),
        ("get", "/quotes/{id}", admin_api, f"{quotes}/{q_patch.pk}", None, 200),
        ("get", "/quotes/{id}", admin_api, f"{quotes}/{theirs.pk}", None, 404),
        (
            "patch",
            "/quotes/{id}",
            admin_api,
            f"{quotes}/{q_patch.pk}",
            {
                "version": 1,
                "notes": "改过了",
                "lines": [{"product_id": product.pk, "quantity": "7"}],
            },
            200,
        ),
        ("patch", "/quotes/{id}", admin_api, f"{quotes}/{q_patch.pk}", {"version": 1}, 409),
        (
            "post",
            "/quotes/{id}/status",
            admin_api,
            f"{quotes}/{q_status.pk}/status",
            {"version": 1, "status": "sent"},
            200,
        ),
        (
            "post",
            "/quotes/{id}/send",
            admin_api,
            f"{quotes}/{q_send.pk}/send",
            {"to": ["buyer@example.test"], "attach": "html"},
            200,
        ),
        (
            "post",
            "/quotes/{id}/send",
            admin_api,
            f"{quotes}/{q_send.pk}/send",
            {"to": ["not an address"]},
            422,
        ),
        ("get", "/quotes/{id}/pdf", admin_api, f"{quotes}/{q_status.pk}/pdf", None, 200),
        (
            "post",
            "/quotes/{id}/convert",
            admin_api,
            f"{quotes}/{q_convert.pk}/convert",
            {"version": 1},
            201,
        ),
        (
            "post",
            "/quotes/{id}/convert",
            admin_api,
            f"{quotes}/{q_convert.pk}/convert",
            {"version": 2},
            409,
        ),
        ("delete", "/quotes/{id}", admin_api, f"{quotes}/{q_delete.pk}", None, 204),
        # orders
        ("get", "/orders", admin_api, f"{orders}?kind=order&sort=customer", None, 200),
        ("post", "/orders", admin_api, orders, new_order, 201),
        ("post", "/orders", admin_api, orders, {"opportunity_id": opportunity.pk}, 201),
        (
            "post",
            "/orders",
            admin_api,
            orders,
            {"party_id": customer.pk, "kind": "preorder", "lines": []},
            422,
        ),
        ("get", "/orders/{id}", admin_api, f"{orders}/{o_patch.pk}", None, 200),
        (
            "patch",
            "/orders/{id}",
            admin_api,
            f"{orders}/{o_patch.pk}",
            {"version": 1, "payment_due_days": 45, "delivery_date": "2099-02-01"},
            200,
        ),
        (
            "post",
            "/orders/{id}/confirm",
            admin_api,
            f"{orders}/{o_confirm.pk}/confirm",
            {"version": 1},
            200,
        ),
        (
            "post",
            "/orders/{id}/cancel",
            admin_api,
            f"{orders}/{o_cancel.pk}/cancel",
            {"version": 1, "reason": "客户取消"},
            200,
        ),
        (
            "post",
            "/orders/{id}/split",
            admin_api,
            f"{orders}/{o_split.pk}/split",
            {"version": 1, "lines": [{"line_id": split_line.pk, "quantity": "1"}]},
            201,
        ),
        (
            "post",
            "/orders/{id}/split",
            admin_api,
            f"{orders}/{o_split.pk}/split",
            {"version": 2, "lines": [{"line_id": split_line.pk, "quantity": "5"}]},
            422,
        ),
        ("post", "/orders/{id}/lock", admin_api, f"{orders}/{o_lock.pk}/lock", {"version": 1}, 200),
        ("delete", "/orders/{id}", admin_api, f"{orders}/{o_lock.pk}", None, 409),
        (
            "post",
            "/orders/{id}/unlock",
            admin_api,
            f"{orders}/{o_lock.pk}/unlock",
            {"version": 2},
            200,
        ),
        ("get", "/orders/{id}/pdf", admin_api, f"{orders}/{o_confirm.pk}/pdf", None, 200),
        ("delete", "/orders/{id}", admin_api, f"{orders}/{o_delete.pk}", None, 204),
        # purchase orders
        ("get", "/purchase-orders", admin_api, f"{pos}?sort=supplier", None, 200),
        ("get", "/purchase-orders", sales_api, pos, None, 403),
        ("post", "/purchase-orders", admin_api, pos, new_po, 201),
        ("post", "/purchase-orders", admin_api, pos, {**new_po, "supplier_id": customer.pk}, 422),
        ("get", "/purchase-orders/{id}", admin_api, f"{pos}/{p_patch.pk}", None, 200),
        (
            "patch",
            "/purchase-orders/{id}",
            admin_api,
            f"{pos}/{p_patch.pk}",
            {"version": 1, "contract_terms": "质保一年"},
            200,
        ),
        (
            "post",
            "/purchase-orders/{id}/confirm",
            admin_api,
            f"{pos}/{p_confirm.pk}/confirm",
            {"version": 1},
            200,
        ),
        (
            "post",
            "/purchase-orders/{id}/cancel",
            admin_api,
            f"{pos}/{p_cancel.pk}/cancel",
            {"version": 1},
            200,
        ),
        ("get", "/purchase-orders/{id}/pdf", admin_api, f"{pos}/{p_patch.pk}/pdf", None, 200),
        ("delete", "/purchase-orders/{id}", admin_api, f"{pos}/{p_delete.pk}", None, 204),
        ("delete", "/purchase-orders/{id}", admin_api, f"{pos}/{p_confirm.pk}", None, 409),
    ]
