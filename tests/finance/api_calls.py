"""Calls of the finance API for tests/api/test_schema.py: each answers as documented.

Run in order: later calls depend on the rows earlier ones create or change.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from tests.api.conftest import API, issue_token, token_client
from tests.factories import make_member
from tests.finance.factories import (
    make_customer,
    make_order,
    make_product,
    make_supplier,
    post_stock,
    receipt,
)


def finance_calls(admin_api, sales_api, org, other_org) -> list[tuple]:
    today = timezone.localdate()
    customer = make_customer(org, "接口收款客户")
    supplier = make_supplier(org, "接口付款供应商")
    product = make_product(org, "API-FIN", "接口商品")
    delivery = post_stock(org, customer, "500.00", product=product, quantity=5)
    later = post_stock(org, customer, "200.00", product=product, quantity=2)
    order = make_order(org, customer, "1000.00")
    goods = post_stock(org, supplier, "300.00", kind="purchase_receipt", product=product)
    draft = receipt(org, customer, "50.00", post=False)
    spare = receipt(org, customer, "20.00", post=False)
    on_account = receipt(org, customer, "300.00")
    theirs = receipt(other_org, make_customer(other_org, "别家客户"), "10.00")
    c, d, sp = customer.pk, draft.pk, spare.pk
    # The successful reset clears the other organisation (its sales and stock data
    # only), so the calls of other modules keep their rows whatever the order.
    their_admin = token_client(issue_token(make_member(other_org, "admin", username="fin-boss")))
    new = {
        "kind": "receipt",
        "party_id": c,
        "date": today.isoformat(),
        "amount": "600.00",
        "method": "wechat",
        "allocations": [
            {"stock_document_id": delivery.pk, "amount": "500.00"},
            {"order_id": order.pk, "amount": "100.00"},
        ],
        "post": True,
    }
    too_much = {
        "kind": "receipt",
        "party_id": c,
        "date": today.isoformat(),
        "amount": "10.00",
        "allocations": [{"stock_document_id": later.pk, "amount": "999.00"}],
    }
    payment = {
        "kind": "payment",
        "party_id": supplier.pk,
        "date": today.isoformat(),
        "amount": "300.00",
        "allocations": [{"stock_document_id": goods.pk, "amount": "300.00"}],
    }
    allocate = {"allocations": [{"stock_document_id": later.pk, "amount": "200.00"}]}
    yesterday = (today - datetime.timedelta(days=1)).isoformat()
    return [
        ("get", "/money-documents", sales_api, f"{API}/money-documents?kind=receipt", None, 200),
        ("get", "/money-documents", admin_api, f"{API}/money-documents?cursor=bad", None, 400),
        ("get", "/money-documents", admin_api, f"{API}/money-documents?kind=x", None, 422),
        ("post", "/money-documents", admin_api, f"{API}/money-documents", new, 201),
        ("post", "/money-documents", admin_api, f"{API}/money-documents", payment, 201),
        ("post", "/money-documents", admin_api, f"{API}/money-documents", too_much, 422),
        ("get", "/money-documents/{id}", admin_api, f"{API}/money-documents/{d}", None, 200),
        (
            "get",
            "/money-documents/{id}",
            admin_api,
            f"{API}/money-documents/{theirs.pk}",
            None,
            404,
        ),
        (
            "patch",
            "/money-documents/{id}",
            admin_api,
            f"{API}/money-documents/{d}",
            {"version": 1, "amount": "55.00", "reference": "TX-9"},
            200,
        ),
        (
            "patch",
            "/money-documents/{id}",
            admin_api,
            f"{API}/money-documents/{d}",
            {"version": 1, "amount": "56.00"},
            409,
        ),
        (
            "post",
            "/money-documents/{id}/post",
            admin_api,
            f"{API}/money-documents/{d}/post",
            None,
            200,
        ),
        (
            "post",
            "/money-documents/{id}/reverse",
            admin_api,
            f"{API}/money-documents/{d}/reverse",
            {"date": yesterday},
            400,
        ),
        (
            "post",
            "/money-documents/{id}/reverse",
            admin_api,
            f"{API}/money-documents/{d}/reverse",
            {"reason": "退款"},
            200,
        ),
        (
            "post",
            "/money-documents/{id}/allocate",
            admin_api,
            f"{API}/money-documents/{on_account.pk}/allocate",
            {"allocations": [{"stock_document_id": later.pk, "amount": "999.00"}]},
            422,
        ),
        (
            "post",
            "/money-documents/{id}/allocate",
            admin_api,
            f"{API}/money-documents/{on_account.pk}/allocate",
            allocate,
            200,
        ),
        ("delete", "/money-documents/{id}", admin_api, f"{API}/money-documents/{sp}", None, 204),
        ("delete", "/money-documents/{id}", admin_api, f"{API}/money-documents/{d}", None, 409),
        (
            "get",
            "/parties/{id}/open-items",
            admin_api,
            f"{API}/parties/{c}/open-items?book=receivable",
            None,
            200,
        ),
        (
            "get",
            "/parties/{id}/open-items",
            admin_api,
            f"{API}/parties/{theirs.party_id}/open-items",
            None,
            404,
        ),
        ("get", "/receivables", admin_api, f"{API}/receivables?sort=-b90&limit=5", None, 200),
        ("get", "/receivables", admin_api, f"{API}/receivables?sort=nonsense", None, 422),
        ("get", "/payables", sales_api, f"{API}/payables", None, 200),
        (
            "get",
            "/parties/{id}/statement",
            admin_api,
            f"{API}/parties/{c}/statement?limit=2",
            None,
            200,
        ),
        (
            "get",
            "/parties/{id}/statement",
            admin_api,
            f"{API}/parties/{c}/statement?cursor=bad",
            None,
            400,
        ),
        ("get", "/ledgers/{ledger}", admin_api, f"{API}/ledgers/sales?limit=2", None, 200),
        ("get", "/ledgers/{ledger}", admin_api, f"{API}/ledgers/other", None, 422),
        (
            "get",
            "/ledgers/{ledger}/totals",
            admin_api,
            f"{API}/ledgers/purchases/totals",
            None,
            200,
        ),
        (
            "get",
            "/price-history",
            admin_api,
            f"{API}/price-history?product={product.pk}",
            None,
            200,
        ),
        (
            "get",
            "/price-history",
            admin_api,
            f"{API}/price-history?party={theirs.party_id}",
            None,
            404,
        ),
        ("post", "/data-reset", sales_api, f"{API}/data-reset", {"confirmation": "x"}, 403),
        ("post", "/data-reset", admin_api, f"{API}/data-reset", {"confirmation": "x"}, 422),
        ("get", "/data-resets", sales_api, f"{API}/data-resets", None, 403),
        (
            "post",
            "/data-reset",
            their_admin,
            f"{API}/data-reset",
            {"confirmation": other_org.name},
            201,
        ),
        ("get", "/data-resets", their_admin, f"{API}/data-resets", None, 200),
    ]
