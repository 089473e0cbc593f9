"""Product factories other test modules may use: `make_product(org, **fields)`."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from guanxi.catalog.models import Brand, Product, ProductCategory
from guanxi.catalog.services import create_brand, create_product
from guanxi.core.categories import add_category
from guanxi.core.models import Organisation

_codes = itertools.count(1)


def make_product(org: Organisation, actor: Any = None, **fields: Any) -> Product:
    """Create a product through the service (search text filled in)."""
    data: dict[str, Any] = {
        "code": f"P{next(_codes):05d}",
        "name": "激光打印机",
        "unit": "台",
        "list_price": Decimal("1999.00"),
        "cost_price": Decimal("1500.00"),
        "tax_rate": Decimal("13"),
    }
    data.update(fields)
    return create_product(org=org, actor=actor, data=data)


def make_category(
    org: Organisation, name: str, parent: ProductCategory | None = None
) -> ProductCategory:
    return add_category(model=ProductCategory, org=org, name=name, parent=parent)


def make_brand(org: Organisation, name: str = "联想") -> Brand:
    return create_brand(org=org, actor=None, name=name)


def make_party(org: Organisation, name: str = "上海华联贸易有限公司", **data: Any) -> Any:
    from guanxi.parties.services import create_party

    data.setdefault("name", name)
    if data.get("is_supplier"):
        data.setdefault("is_customer", False)
    return create_party(org=org, actor=None, data=data)
