"""The navigation registry: apps add their areas; the shell shows those the member may use.

Only areas that exist are registered, so the menu never shows a page that is not there.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise

from guanxi.core.permissions import VIEW, has_perm, is_org_admin


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url_name: str
    icon: str = "circle"
    object_type: str | None = None  # shown when the member may view this type
    admin_only: bool = False
    section: str = "main"  # "main" (top bar) or "settings" (settings menu)
    order: int = 100


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str | Promise
    url: str
    icon: str
    active: bool


_ITEMS: dict[str, NavItem] = {}


def register_nav_item(item: NavItem) -> NavItem:
    _ITEMS[item.key] = item
    return item


def nav_entries(request: HttpRequest, section: str) -> list[NavEntry]:
    membership = getattr(request, "membership", None)
    if membership is None:
        return []
    shown = []
    for item in sorted(_ITEMS.values(), key=lambda i: (i.order, i.key)):
        if item.section != section:
            continue
        if item.admin_only and not is_org_admin(membership):
            continue
        if item.object_type and not has_perm(membership, VIEW, item.object_type):
            continue
        shown.append((item, reverse(item.url_name)))
    # The entry whose URL is the longest prefix of the page's path is the active one, so
    # an area's overview at /sales/ is not lit on /sales/pipeline/ beside "Pipeline".
    matching = [
        url
        for _item, url in shown
        if request.path == url or (url != "/" and request.path.startswith(url))
    ]
    active_url = max(matching, key=len) if matching else None
    return [
        NavEntry(item.key, item.label, url, item.icon, url == active_url) for item, url in shown
    ]
