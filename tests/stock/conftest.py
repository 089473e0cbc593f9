"""Fixtures of the stock tests."""

from __future__ import annotations

from decimal import Decimal

import pytest

from guanxi.stock.services import ensure_default_warehouse
from tests.stock.helpers import make_customer, make_supplier, make_warehouse, stocked


@pytest.fixture
def main_warehouse(org):
    return ensure_default_warehouse(org)


@pytest.fixture
def south(org, main_warehouse):
    return make_warehouse(org, "华南仓", code="SOUTH")


@pytest.fixture
def customer(org, sales_member):
    return make_customer(org, sales_member.user)


@pytest.fixture
def supplier(org):
    return make_supplier(org)


@pytest.fixture
def user(admin_member):
    return admin_member.user


@pytest.fixture
def widget(org):
    return stocked(org, name="激光打印机", code="W-001")


@pytest.fixture
def phone(org):
    return stocked(
        org,
        name="手机",
        code="PH-01",
        serial_tracked=True,
        warranty_type="全国联保",
        warranty_months=12,
        cost_price=Decimal("2000.00"),
    )


@pytest.fixture
def install(org):
    return stocked(org, name="上门安装", code="SVC-1", kind="service", cost_price=Decimal("0"))


@pytest.fixture
def cable(org):
    return stocked(org, name="数据线", code="CB-01", allow_backorder=True)


# The API's token clients (tests/api/conftest.py), for the stock API tests.
from tests.api.conftest import admin_api, admin_token, sales_api  # noqa: E402,F401
