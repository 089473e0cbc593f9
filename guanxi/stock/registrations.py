"""What the stock app adds to the shared registries: object types, document numbers,
navigation, the product page's stock tab, the customer page's deliveries tab and demo data.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from guanxi.core.numbering import register_document_kind
from guanxi.core.permissions import (
    ADD,
    CHANGE,
    DELETE,
    EXPORT,
    POST,
    VIEW,
    has_perm,
    register_object_type,
)
from guanxi.web.navigation import NavItem, register_nav_item

_ALL = (VIEW, ADD, CHANGE, DELETE, EXPORT, POST)

register_object_type(
    "stock_document",
    _("Stock documents"),
    actions=_ALL,
    owner_field="owner",
    defaults={
        "manager": _ALL,
        "sales": (VIEW, ADD, CHANGE, POST),
        "service": (VIEW,),
        "readonly": (VIEW,),
    },
)

# Warehouses are shared by the whole organisation: no owner field.
register_object_type(
    "warehouse",
    _("Warehouses"),
    actions=(VIEW, ADD, CHANGE),
    defaults={
        "manager": (VIEW, ADD, CHANGE),
        "sales": (VIEW,),
        "service": (VIEW,),
        "readonly": (VIEW,),
    },
)

register_document_kind("purchase_receipt", _("Purchase receipt"), "GR")
register_document_kind("sales_delivery", _("Sales delivery"), "SD")
register_document_kind("sales_return", _("Sales return"), "SR")
register_document_kind("purchase_return", _("Purchase return"), "PR")
register_document_kind("transfer", _("Stock transfer"), "TR")
register_document_kind("adjustment", _("Stock adjustment"), "AJ")

register_nav_item(
    NavItem(
        key="stock",
        label=_("Stock"),
        url_name="stock:document_list",
        icon="building-warehouse",
        object_type="stock_document",
        order=60,
    )
)
register_nav_item(
    NavItem(
        key="warehouses",
        label=_("Warehouses"),
        url_name="stock:warehouse_list",
        icon="building-warehouse",
        object_type="warehouse",
        section="settings",
        order=60,
    )
)


def _stock_tab(request: HttpRequest, product: Any) -> Any:
    from guanxi.catalog.tabs import ProductTab

    if not has_perm(getattr(request, "membership", None), VIEW, "stock_document"):
        return None
    if not product.is_stocked:
        return None
    return ProductTab("stock", _("Stock"), reverse("stock:product_stock_panel", args=[product.pk]))


def _deliveries_tab(request: HttpRequest, party: Any) -> Any:
    from guanxi.parties.record_views import Tab
    from guanxi.stock.selectors import party_documents

    membership = getattr(request, "membership", None)
    if not has_perm(membership, VIEW, "stock_document"):
        return None
    count = party_documents(membership, party.pk).count()
    return Tab(
        "deliveries",
        _("Deliveries"),
        reverse("stock:party_documents_panel", args=[party.pk]),
        count,
    )


def _register_tabs() -> None:
    try:
        from guanxi.catalog.tabs import ProductTabProvider, register_product_tab
    except ImportError:  # pragma: no cover - the catalog app always has it
        pass
    else:
        register_product_tab(ProductTabProvider("stock", 30, _stock_tab))
    from guanxi.parties.record_views import PartyTabProvider, register_party_tab

    register_party_tab(PartyTabProvider(key="deliveries", order=55, tab=_deliveries_tab))


_register_tabs()

from guanxi.stock import demo  # noqa: E402,F401  (registers the demo seeder)
