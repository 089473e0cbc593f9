"""Fixtures and helpers of the sales-documents tests (quotes, orders, purchase orders).

Test modules import what they use: `from tests.sales.documents_fixtures import *`.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pytest
from django_scopes import scope, scopes_disabled

from guanxi.sales import documents_services as services
from guanxi.stock.models import Warehouse
from tests.activities.conftest import smtp_server  # a real SMTP server (aiosmtpd)
from tests.activities.factories import make_contact, make_party
from tests.api.conftest import admin_api, admin_token, sales_api  # token clients
from tests.catalog.factories import make_product
from tests.factories import make_member

_codes = itertools.count(1)


def make_customer(org, owner=None, name: str = "上海华联贸易有限公司", **data: Any):
    return make_party(org, owner, name=name, **data)


def make_supplier(org, owner=None, name: str = "广州供应链有限公司", **data: Any):
    data.setdefault("is_customer", False)
    data.setdefault("is_supplier", True)
    return make_party(org, owner, name=name, **data)


def make_warehouse(org, name: str = "主仓库", **fields: Any) -> Warehouse:
    with scopes_disabled():
        return Warehouse.objects.create(
            org=org, code=fields.pop("code", f"W{next(_codes):03d}"), name=name, **fields
        )


def line(product, quantity="1", **fields: Any) -> dict[str, Any]:
    return {"product": product.pk, "quantity": str(quantity), **fields}


def make_quote(membership, party, lines, **data: Any):
    return services.create_quote(membership, data={"party": party.pk, **data}, lines=lines)


def make_order(membership, party, lines, **data: Any):
    return services.create_order(membership, data={"party": party.pk, **data}, lines=lines)


def make_po(membership, supplier, lines, **data: Any):
    return services.create_purchase_order(membership, supplier, lines, data=data)


def in_scope(org):
    return scope(org=org.pk)


@pytest.fixture
def customer(org, sales_member):
    return make_customer(org, sales_member.user)


@pytest.fixture
def contact(customer):
    return make_contact(customer, "王芳", email="wangfang@example.test")


@pytest.fixture
def supplier(org):
    return make_supplier(org)


@pytest.fixture
def printer(org):
    return make_product(
        org, name="激光打印机", list_price=Decimal("1999.00"), tax_rate=Decimal("13")
    )


@pytest.fixture
def toner(org):
    return make_product(
        org,
        name="硒鼓",
        unit="个",
        list_price=Decimal("299.50"),
        cost_price=Decimal("180.00"),
        tax_rate=Decimal("13"),
    )


@pytest.fixture
def warehouse(org):
    return make_warehouse(org)


@pytest.fixture
def foreign_member(other_org):
    return make_member(other_org, "admin", username="foreign-admin")


@pytest.fixture
def foreign_product(other_org):
    return make_product(other_org, name="别家的产品")


@pytest.fixture
def foreign_customer(other_org, foreign_member):
    return make_customer(other_org, foreign_member.user, name="北京其他公司")


@pytest.fixture
def manager_member(org, team):
    return make_member(org, "manager", team=team, username="manager")


@pytest.fixture
def other_sales_member(org):
    return make_member(org, "sales", username="sales-other")


@pytest.fixture
def quote(sales_member, customer, contact, printer, toner):
    return make_quote(
        sales_member,
        customer,
        [line(printer, 2, discount_percent="10"), line(toner, 3)],
        contact=contact.pk,
        terms="款到发货",
    )


@pytest.fixture
def order(sales_member, customer, contact, printer, toner):
    return make_order(
        sales_member, customer, [line(printer, 2), line(toner, 5)], contact=contact.pk
    )


@pytest.fixture
def purchase_order(admin_member, supplier, toner, warehouse):
    return make_po(
        admin_member,
        supplier,
        [{"product": toner.pk, "quantity": "10", "list_price": "200", "discount_percent": "15"}],
        warehouse=warehouse.pk,
    )


__all__ = [
    "admin_api",
    "admin_token",
    "contact",
    "customer",
    "foreign_customer",
    "foreign_member",
    "foreign_product",
    "in_scope",
    "line",
    "make_customer",
    "make_order",
    "make_po",
    "make_quote",
    "make_supplier",
    "make_warehouse",
    "manager_member",
    "order",
    "other_sales_member",
    "printer",
    "purchase_order",
    "quote",
    "sales_api",
    "smtp_server",
    "supplier",
    "toner",
    "warehouse",
]
