"""Helpers of the basket tests (posted deliveries as baskets) and the calls of the basket
API for tests/api/test_schema.py: each answers as documented.

Run in order: later calls depend on the rows earlier ones create.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django_scopes import scopes_disabled

from guanxi.stock.models import StockDocument, StockDocumentLine, Warehouse
from tests.api.conftest import API
from tests.catalog.factories import make_product

_numbers = itertools.count(1)


def _warehouse(org) -> Warehouse:
    with scopes_disabled():
        found = Warehouse.objects.filter(org=org).first()
        return found or Warehouse.objects.create(
            org=org, code=f"BW{next(_numbers):04d}", name="篮子仓库"
        )


def delivery(
    org,
    party,
    products: Sequence[Any],
    *,
    status: str = StockDocument.Status.POSTED,
    owner=None,
    kind: str = StockDocument.Kind.SALES_DELIVERY,
    reverses: StockDocument | None = None,
) -> StockDocument:
    """A sales delivery of `products` (one line each; a repeated product gives two lines)
    written straight to the tables, as posting leaves it."""
    with scopes_disabled():
        document = StockDocument.objects.create(
            org=org,
            number=f"BSK{next(_numbers):06d}",
            kind=kind,
            status=status,
            date=datetime.date(2026, 3, 1),
            party=party,
            warehouse=_warehouse(org),
            owner=owner,
            reverses=reverses,
            total=Decimal("100.00"),
        )
        for position, product in enumerate(products, 1):
            StockDocumentLine.objects.create(
                org=org,
                document=document,
                position=position,
                product=product,
                quantity=Decimal("1"),
                unit_price=Decimal("10.00"),
                net_amount=Decimal("10.00"),
            )
    return document


def products(org, *names: str) -> dict[str, Any]:
    return {
        name: make_product(org, code=f"BSK-{name}-{next(_numbers)}", name=f"商品{name}")
        for name in names
    }


# The hand-computed set of docs/analytics/basket.md: ten baskets over A–E.
TEN_BASKETS = ("ABC", "AB", "AB", "AC", "BC", "ABC", "D", "DE", "C", "ABD")


def ten_baskets(org, party, owner=None) -> dict[str, Any]:
    items = products(org, *"ABCDE")
    for basket in TEN_BASKETS:
        delivery(org, party, [items[letter] for letter in basket], owner=owner)
    return items


def basket_calls(admin_api, sales_api, org, other_org) -> list[tuple]:
    from tests.activities.factories import make_party

    party = make_party(org, None, name="篮子接口客户")
    items = ten_baskets(org, party)
    buyer = make_party(org, None, name="只买了A的客户")
    delivery(org, buyer, [items["A"]])
    theirs = make_party(other_org, None, name="别家篮子客户")
    a, b = items["A"].pk, items["B"].pk
    from guanxi.analytics.basket.models import BasketRun

    with scopes_disabled():
        done = BasketRun.objects.create(org=org, status=BasketRun.Status.DONE, progress=100)
    return [
        (
            "get",
            "/analytics/basket/settings",
            admin_api,
            f"{API}/analytics/basket/settings",
            None,
            200,
        ),
        (
            "patch",
            "/analytics/basket/settings",
            admin_api,
            f"{API}/analytics/basket/settings",
            {"min_count": 2, "min_support": 0.0, "min_lift": 1.2},
            200,
        ),
        (
            "patch",
            "/analytics/basket/settings",
            admin_api,
            f"{API}/analytics/basket/settings",
            {"min_confidence": 1.5},
            422,
        ),
        ("post", "/analytics/basket/mine", sales_api, f"{API}/analytics/basket/mine", {}, 403),
        ("post", "/analytics/basket/mine", admin_api, f"{API}/analytics/basket/mine", {}, 202),
        (
            "get",
            "/analytics/basket/runs/{id}",
            admin_api,
            f"{API}/analytics/basket/runs/0",
            None,
            404,
        ),
        (
            "get",
            "/analytics/basket/runs/{id}",
            sales_api,
            f"{API}/analytics/basket/runs/{done.pk}",
            None,
            200,
        ),
        (
            "get",
            "/analytics/basket/rules",
            sales_api,
            f"{API}/analytics/basket/rules?q=商品",
            None,
            200,
        ),
        (
            "get",
            "/analytics/basket/rules",
            admin_api,
            f"{API}/analytics/basket/rules?min_lift=-1",
            None,
            422,
        ),
        (
            "get",
            "/analytics/basket/rules",
            admin_api,
            f"{API}/analytics/basket/rules?cursor=bad",
            None,
            400,
        ),
        (
            "get",
            "/analytics/basket/suggestions",
            sales_api,
            f"{API}/analytics/basket/suggestions?product={a}",
            None,
            200,
        ),
        (
            "get",
            "/analytics/basket/suggestions",
            sales_api,
            f"{API}/analytics/basket/suggestions?product=x",
            None,
            422,
        ),
        (
            "get",
            "/analytics/basket/customers/{id}/suggestions",
            admin_api,
            f"{API}/analytics/basket/customers/{buyer.pk}/suggestions",
            None,
            200,
        ),
        (
            "get",
            "/analytics/basket/customers/{id}/suggestions",
            admin_api,
            f"{API}/analytics/basket/customers/{theirs.pk}/suggestions",
            None,
            404,
        ),
        (
            "get",
            "/analytics/basket/suggestions",
            admin_api,
            f"{API}/analytics/basket/suggestions?product={a}&product={b}",
            None,
            200,
        ),
    ]
