"""Reads of behavioural types. Counts and lists follow the visibility of the customers
(object type "party"): a member counts and lists only the customers they may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet

from guanxi.analytics.behaviour.catalogue import BY_KEY, TYPES, BehaviourType
from guanxi.analytics.behaviour.models import CustomerBehaviour
from guanxi.core.permissions import MembershipLike
from guanxi.parties.models import Party
from guanxi.parties.selectors import visible_parties

CUSTOMER_ORDER: tuple[str, ...] = ("name", "id")


@dataclass(frozen=True)
class TypeCount:
    type: BehaviourType
    count: int


def assignments_of(party: Any) -> list[CustomerBehaviour]:
    """The customer's type rows (catalogue order), with who assigned them (one query)."""
    rows = list(
        CustomerBehaviour.objects.filter(org_id=party.org_id, party_id=party.pk).select_related(
            "assigned_by"
        )
    )
    order = {key: i for i, key in enumerate(BY_KEY)}
    return sorted(rows, key=lambda row: order.get(row.type_key, 99))


def type_keys_of(party: Any) -> list[str]:
    keys = set(
        CustomerBehaviour.objects.filter(org_id=party.org_id, party_id=party.pk).values_list(
            "type_key", flat=True
        )
    )
    return [key for key in BY_KEY if key in keys]


def types_of(party: Any) -> list[BehaviourType]:
    return [BY_KEY[key] for key in type_keys_of(party)]


def type_counts(membership: MembershipLike | None) -> list[TypeCount]:
    """The nine types, each with the number of visible customers of that type (one query)."""
    parties = visible_parties(membership).values("pk")
    rows = (
        CustomerBehaviour.objects.filter(party_id__in=parties)
        .order_by()
        .values("type_key")
        .annotate(n=Count("party_id", distinct=True))
    )
    counts = {row["type_key"]: row["n"] for row in rows}
    return [TypeCount(t, counts.get(t.key, 0)) for t in TYPES]


def customers_of_type(membership: MembershipLike | None, key: str) -> QuerySet[Party]:
    """The visible customers of the type `key`, by name."""
    tagged = CustomerBehaviour.objects.filter(type_key=key).values("party_id")
    return (
        visible_parties(membership)
        .filter(pk__in=tagged)
        .select_related("owner")
        .order_by(*CUSTOMER_ORDER)
    )
