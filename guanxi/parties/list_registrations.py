"""What the party lists add to the shared registries: navigation, global search, and the
search index's upkeep after migrations.

The top bar gets one "Customers" entry; suppliers, competitors, channels, groups and
segments are registered in the "parties" section, which the list pages show as their
own switcher, so the top bar stays short.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db.models.signals import post_migrate
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from guanxi.core.search import SearchHit, SearchProvider, register_search_provider
from guanxi.parties.filters import ensure_search_objects, search_contacts, search_parties
from guanxi.parties.selectors import visible_contacts, visible_parties
from guanxi.web.navigation import NavItem, register_nav_item

PARTIES_SECTION = "parties"

register_nav_item(
    NavItem(
        key="customers",
        label=_("Customers"),
        url_name="parties:party_list",
        icon="users",
        object_type="party",
        order=10,
    )
)
for _order, (_key, _label, _url_name, _icon) in enumerate(
    (
        ("customer_list", _("Customers"), "parties:party_list", "users"),
        ("supplier_list", _("Suppliers"), "parties:supplier_list", "truck"),
        ("competitor_list", _("Competitors"), "parties:competitor_list", "swords"),
        ("channel_list", _("Channels"), "parties:channel_list", "affiliate"),
        ("party_groups", _("Groups"), "parties:group_list", "users-group"),
        ("party_segments", _("Segments"), "parties:segment_list", "filter-star"),
    )
):
    register_nav_item(
        NavItem(
            key=_key,
            label=_label,
            url_name=_url_name,
            icon=_icon,
            object_type="party",
            section=PARTIES_SECTION,
            order=10 + _order,
        )
    )


def _detail_url(name: str, pk: int, fallback: str) -> str:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return fallback


def _membership(request: HttpRequest) -> Any:
    return getattr(request, "membership", None)


def search_party_hits(request: HttpRequest, query: str, limit: int) -> list[SearchHit]:
    membership = _membership(request)
    if membership is None:
        return []
    parties = search_parties(
        visible_parties(membership, role=None), query, org_id=membership.org_id
    ).order_by("short_name", "id")[:limit]
    hits = []
    for party in parties.only(
        "id", "name", "short_name", "code", "city", "mobile", "phone", "org_id"
    ):
        bits = [b for b in (party.code, party.city, party.mobile or party.phone) if b]
        if party.name != party.short_name:
            bits.insert(0, party.name)
        hits.append(
            SearchHit(
                title=party.short_name or party.name,
                url=_detail_url("parties:party_detail", party.pk, f"/customers/{party.pk}/"),
                subtitle=" · ".join(bits),
            )
        )
    return hits


def search_contact_hits(request: HttpRequest, query: str, limit: int) -> list[SearchHit]:
    membership = _membership(request)
    if membership is None:
        return []
    contacts = search_contacts(visible_contacts(membership), query, org_id=membership.org_id)
    hits = []
    for contact in contacts.order_by("name", "id")[:limit]:
        party_url = _detail_url(
            "parties:party_detail", contact.party_id, f"/customers/{contact.party_id}/"
        )
        bits = [b for b in (contact.party.display_name, contact.role, contact.mobile) if b]
        hits.append(
            SearchHit(
                title=contact.name,
                url=_detail_url("parties:contact_detail", contact.pk, party_url),
                subtitle=" · ".join(bits),
            )
        )
    return hits


register_search_provider(
    SearchProvider(
        key="parties",
        label=_("Customers"),
        object_type="party",
        search=search_party_hits,
        order=10,
    )
)
register_search_provider(
    SearchProvider(
        key="contacts",
        label=_("Contacts"),
        object_type="contact",
        search=search_contact_hits,
        order=11,
    )
)


def _repair_search_objects(sender: Any, using: str = "default", **kwargs: Any) -> None:
    ensure_search_objects(using)


post_migrate.connect(
    _repair_search_objects,
    sender=apps.get_app_config("parties"),
    dispatch_uid="guanxi.parties.ensure_search_objects",
)
