"""Helpers shared by the list, filter, search, group and API tests of the party lists."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django_scopes import scope

from guanxi.core.categories import add_category
from guanxi.parties.models import Party, PartyCategory
from guanxi.parties.services import create_party


def make_party(org, actor=None, *, name: str = "上海测试贸易有限公司", **data: Any) -> Party:
    """Create a party through the service, so search text and index letter are real."""
    tags = data.pop("tags", ())
    return create_party(org=org, actor=actor, data={"name": name, **data}, tags=tags)


def make_category(org, name: str, *, role: str = "customer", parent=None) -> PartyCategory:
    return add_category(
        model=PartyCategory, org=org, name=name, parent=parent, extra={"tree": role}
    )


def set_fields(party: Party, **values: Any) -> Party:
    """Set bookkeeping columns the services keep (created_at, last_contact_at) directly."""
    with scope(org=party.org_id):
        Party.all_objects.filter(pk=party.pk).update(**values)
        party.refresh_from_db()
    return party


def days_ago(days: int):
    return timezone.now() - timezone.timedelta(days=days)
