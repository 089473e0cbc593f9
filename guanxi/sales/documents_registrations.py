"""What the sales documents add to the shared registries: the sales area's Quotes, Orders
and Purchase orders pages, the customer page's "Quotes" and "Orders" tabs and the
supplier page's "Purchase orders" tab, and the demo trading history."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from guanxi.core.permissions import VIEW, has_perm
from guanxi.core.search import SearchHit, SearchProvider, register_search_provider
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


def _document_search(kind: str) -> Any:
    """Find documents of `kind` by number (QT-2026-00012, or just 00012)."""

    def search(request: HttpRequest, query: str, limit: int) -> list[SearchHit]:
        from guanxi.sales import documents_selectors as sel

        membership = getattr(request, "membership", None)
        lists = {
            "quote": sel.visible_quotes,
            "order": sel.visible_orders,
            "purchase_order": sel.visible_purchase_orders,
        }
        rows = lists[kind](membership).filter(number__icontains=query).order_by("-date", "-id")
        hits = []
        for row in rows[:limit]:
            party = row.supplier if kind == "purchase_order" else row.party
            hits.append(
                SearchHit(
                    title=row.number,
                    url=row.get_absolute_url(),
                    subtitle=f"{party} · {row.date:%Y-%m-%d} · {row.total:,.2f}",
                )
            )
        return hits

    return search


for _index, (_kind, _label) in enumerate(
    (("quote", _("Quotes")), ("order", _("Orders")), ("purchase_order", _("Purchase orders")))
):
    register_search_provider(
        SearchProvider(
            key=f"sales_{_kind}s",
            label=_label,
            object_type=_kind,
            search=_document_search(_kind),
            order=60 + _index,
        )
    )

register_party_tab(PartyTabProvider(key="quotes", order=42, tab=quotes_tab))
register_party_tab(PartyTabProvider(key="orders", order=44, tab=orders_tab))
register_party_tab(PartyTabProvider(key="purchase_orders", order=46, tab=purchase_orders_tab))

from guanxi.sales import documents_demo  # noqa: E402,F401 (registers the demo seeder)
