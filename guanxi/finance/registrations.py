"""What the finance app adds to the shared registries: object types, document numbers,
navigation, the 360° page's and product page's tabs, and demo data."""

from __future__ import annotations

from typing import Any

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

_ALL = (VIEW, ADD, CHANGE, DELETE, EXPORT, POST)

register_object_type(
    "money_document",
    _("Receipts and payments"),
    actions=_ALL,
    owner_field="owner",
    defaults={
        "manager": _ALL,
        "sales": (VIEW, ADD, CHANGE, POST),
        "readonly": (VIEW,),
    },
)

register_document_kind("receipt", _("Receipt"), "RC")
register_document_kind("payment", _("Payment"), "PM")


def _register_navigation() -> None:
    from guanxi.web.navigation import NavItem, register_nav_item

    register_nav_item(
        NavItem(
            key="money",
            label=_("Money"),
            url_name="finance:money_list",
            icon="cash",
            object_type="money_document",
            order=70,
        )
    )
    register_nav_item(
        NavItem(
            key="query_centre",
            label=_("Query centre"),
            url_name="finance:sales_ledger",
            icon="table",
            object_type="stock_document",
            order=75,
        )
    )
    register_nav_item(
        NavItem(
            key="data_reset",
            label=_("Clear sales and stock data"),
            url_name="finance:data_reset",
            icon="database-x",
            admin_only=True,
            section="settings",
            order=95,
        )
    )


def _party_tabs() -> None:
    from guanxi.parties.record_views import PartyTabProvider, Tab, register_party_tab

    def account_tab(book: str, key: str, label: Any, flag: str) -> Any:
        def tab(request: Any, party: Any) -> Tab | None:
            membership = getattr(request, "membership", None)
            if not getattr(party, flag) or not has_perm(membership, VIEW, "money_document"):
                return None
            return Tab(key, label, reverse("finance:party_tab", args=[book, party.pk]))

        return tab

    register_party_tab(
        PartyTabProvider(
            "receivables",
            60,
            account_tab("receivable", "receivables", _("Receivables"), "is_customer"),
        )
    )
    register_party_tab(
        PartyTabProvider(
            "payables", 61, account_tab("payable", "payables", _("Payables"), "is_supplier")
        )
    )

    def price_tab(request: Any, party: Any) -> Tab | None:
        membership = getattr(request, "membership", None)
        if not (party.is_customer or party.is_supplier):
            return None
        if not has_perm(membership, VIEW, "stock_document"):
            return None
        return Tab(
            "price_history",
            _("Price history"),
            reverse("finance:party_price_tab", args=[party.pk]),
        )

    register_party_tab(PartyTabProvider("price_history", 62, price_tab))


def _product_tab() -> None:
    try:
        from guanxi.catalog.tabs import ProductTab, ProductTabProvider, register_product_tab
    except ImportError:  # the product page has no tab registry: link from the pages only
        return

    def price_tab(request: Any, product: Any) -> ProductTab | None:
        membership = getattr(request, "membership", None)
        if not has_perm(membership, VIEW, "stock_document"):
            return None
        return ProductTab(
            "price_history",
            _("Price history"),
            reverse("finance:product_price_tab", args=[product.pk]),
        )

    register_product_tab(ProductTabProvider("price_history", 40, price_tab))


def _demo() -> None:
    from guanxi.core.demo import register_demo_seeder
    from guanxi.finance.demo import seed_money

    register_demo_seeder("finance", 70, seed_money)


_register_navigation()
_party_tabs()
_product_tab()
_demo()
