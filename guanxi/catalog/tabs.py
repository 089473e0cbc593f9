"""Tabs other apps add to the product page (stock on hand, price history …).

Same shape as `guanxi.parties.record_views.PartyTabProvider`: an app registers a
`ProductTabProvider(key, order, tab)` from its registrations module; `tab(request,
product)` returns a `ProductTab` whose url serves the htmx-loaded panel fragment, or
None when the member may not see it. Built-in tabs: details 10, components 20,
attachments 80, history 90. Usage::

    from guanxi.catalog.tabs import ProductTab, ProductTabProvider, register_product_tab

    register_product_tab(ProductTabProvider("stock", 30, lambda request, product: ProductTab(
        "stock", _("Stock"), reverse("stock:product_stock_panel", args=[product.pk]))))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils.functional import Promise

if TYPE_CHECKING:
    from guanxi.catalog.models import Product


@dataclass(frozen=True)
class ProductTab:
    key: str
    label: str | Promise
    url: str
    count: int | None = None


# The same class as the party page's Tab, under the name other apps know it by.
Tab = ProductTab


@dataclass(frozen=True)
class ProductTabProvider:
    """A tab another app adds to the product page.

    `order` places it among the built-in tabs (details 10, components 20,
    attachments 80, history 90).
    """

    key: str
    order: int
    tab: Callable[[HttpRequest, Product], ProductTab | None]


PRODUCT_TAB_PROVIDERS: list[ProductTabProvider] = []


def register_product_tab(provider: ProductTabProvider) -> ProductTabProvider:
    """Add (or replace, by key) a tab on the product page."""
    PRODUCT_TAB_PROVIDERS[:] = [p for p in PRODUCT_TAB_PROVIDERS if p.key != provider.key]
    PRODUCT_TAB_PROVIDERS.append(provider)
    return provider


def extra_tabs(request: HttpRequest, product: Product) -> list[tuple[int, ProductTab]]:
    """The registered tabs the member may see, as (order, tab), in order."""
    found = []
    for provider in sorted(PRODUCT_TAB_PROVIDERS, key=lambda p: p.order):
        tab = provider.tab(request, product)
        if tab is not None:
            found.append((provider.order, tab))
    return found
