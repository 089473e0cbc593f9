"""What the sales documents add to the shared registries: the sales area's Quotes, Orders
and Purchase orders pages, the customer page's "Quotes" and "Orders" tabs and the
supplier page's "Purchase orders" tab, and the demo trading history."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from guanxi.core.permissions import VIEW, has_perm
from guanxi.parties.record_views import PartyTabProvider, Tab, register_party_tab
from guanxi.web.navigation import NavItem, register_nav_item

SALES_SECTION = "sales"  # the sales area's switcher (see pipeline_registrations)

for _order, (_key, _label, _url_name, _icon, _type) in enumerate(
    (
        ("sales_quotes", _("Quotes"), "sales:quote_list", "file-dollar", "quote"),
        ("sales_orders", _("Orders"), "sales:order_list", "file-invoice", "order"),
        (
            "sales_purchase_orders",
            _("Purchase orders"),
            "sales:purchase_order_list",
            "shopping-cart",
            "purchase_order",
        ),
    )
):
    register_nav_item(
        NavItem(
            key=_key,
            label=_label,
            url_name=_url_name,
            icon=_icon,
            object_type=_type,
            section=SALES_SECTION,
            order=20 + _order,
        )
    )


def _tab(
    request: HttpRequest, party: Any, *, type_key: str, key: str, label: Any, url_name: str
) -> Tab | None:
    from guanxi.sales import documents_selectors as sel

    membership = getattr(request, "membership", None)
    if not has_perm(membership, VIEW, type_key):
        return None
    counts = {
        "quote": sel.party_quotes,
        "order": sel.party_orders,
        "purchase_order": sel.party_purchase_orders,
    }
    count = counts[type_key](membership, party).count()
    return Tab(key, label, reverse(url_name, args=[party.pk]), count)


def quotes_tab(request: HttpRequest, party: Any) -> Tab | None:
    if not party.is_customer:
        return None
    return _tab(
        request,
        party,
        type_key="quote",
        key="quotes",
        label=_("Quotes"),
        url_name="sales:party_quotes_tab",
    )


def orders_tab(request: HttpRequest, party: Any) -> Tab | None:
    if not party.is_customer:
        return None
    return _tab(
        request,
        party,
        type_key="order",
        key="orders",
        label=_("Orders"),
        url_name="sales:party_orders_tab",
    )


def purchase_orders_tab(request: HttpRequest, party: Any) -> Tab | None:
    if not party.is_supplier:
        return None
    return _tab(
        request,
        party,
        type_key="purchase_order",
        key="purchase_orders",
        label=_("Purchase orders"),
        url_name="sales:party_purchase_orders_tab",
    )


register_party_tab(PartyTabProvider(key="quotes", order=42, tab=quotes_tab))
register_party_tab(PartyTabProvider(key="orders", order=44, tab=orders_tab))
register_party_tab(PartyTabProvider(key="purchase_orders", order=46, tab=purchase_orders_tab))

from guanxi.sales import documents_demo  # noqa: E402,F401 (registers the demo seeder)
