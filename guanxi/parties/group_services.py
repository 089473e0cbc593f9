"""Groups (static lists) and segments (saved filters) of parties (B18).

A group holds the parties put in it until they are taken out. A segment holds the list
page's filters and is re-evaluated every time it is used (marketing sends to it later),
through the same `filter_parties` the list uses, narrowed by the member's visibility.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from guanxi.core.exceptions import DomainError
from guanxi.core.models import Organisation
from guanxi.core.permissions import MembershipLike, is_org_admin
from guanxi.core.scoping import org_scope
from guanxi.core.versioning import save_versioned
from guanxi.parties.filters import filter_params, filter_parties
from guanxi.parties.models import Party, PartyGroup, PartyGroupMember, PartyRole, Segment
from guanxi.parties.selectors import visible_parties


class InvalidGroup(DomainError):
    status_code = 422
    code = "invalid_group"


def _clean_name(name: str, *, model: type[PartyGroup | Segment], exclude_pk: Any = None) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidGroup(_("Enter a name."), field="name")
    if len(name) > 100:
        raise InvalidGroup(_("Keep the name to 100 characters or fewer."), field="name")
    clash = model.objects.filter(name=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise InvalidGroup(_("Another one already has this name."), field="name")
    return name


def _clean_description(description: str) -> str:
    description = (description or "").strip()
    if len(description) > 255:
        raise InvalidGroup(
            _("Keep the description to 255 characters or fewer."), field="description"
        )
    return description


# --- groups ---------------------------------------------------------------------------


@transaction.atomic
def create_group(*, org: Organisation, actor: Any, name: str, description: str = "") -> PartyGroup:
    """Create a static group. Raise InvalidGroup for a missing, long or taken name."""
    with org_scope(org):
        group = PartyGroup(
            org=org,
            name=_clean_name(name, model=PartyGroup),
            description=_clean_description(description),
            owner=actor if getattr(actor, "pk", None) else None,
        )
        group.save()
        return group


@transaction.atomic
def update_group(
    *, group: PartyGroup, actor: Any, name: str, description: str, expected_version: int
) -> PartyGroup:
    """Rename or describe a group. Raise InvalidGroup, StaleEdit."""
    with org_scope(group.org_id):
        group.name = _clean_name(name, model=PartyGroup, exclude_pk=group.pk)
        group.description = _clean_description(description)
        return save_versioned(group, expected_version=expected_version)


@transaction.atomic
def delete_group(*, group: PartyGroup, actor: Any) -> None:
    """Delete a group; its parties stay, only the list goes."""
    with org_scope(group.org_id):
        group.delete()


@transaction.atomic
def add_to_group(*, group: PartyGroup, parties: Iterable[Party], actor: Any) -> int:
    """Put parties in a group; those already in it stay once. Return how many were added.

    Raise InvalidGroup for a party of another organisation.
    """
    rows = list(parties)
    if any(party.org_id != group.org_id for party in rows):
        raise InvalidGroup(_("Choose customers of your organisation."))
    with org_scope(group.org_id):
        present = set(
            PartyGroupMember.objects.filter(
                group=group, party_id__in=[p.pk for p in rows]
            ).values_list("party_id", flat=True)
        )
        new = [p for p in {p.pk: p for p in rows}.values() if p.pk not in present]
        PartyGroupMember.objects.bulk_create(
            [PartyGroupMember(org_id=group.org_id, group=group, party=p) for p in new],
            ignore_conflicts=True,
        )
        return len(new)


@transaction.atomic
def remove_from_group(*, group: PartyGroup, parties: Iterable[Party], actor: Any) -> int:
    """Take parties out of a group. Return how many were in it."""
    ids = [p.pk for p in parties]
    with org_scope(group.org_id):
        removed, _details = PartyGroupMember.objects.filter(group=group, party_id__in=ids).delete()
        return removed


def group_parties(group: PartyGroup, membership: MembershipLike | None) -> QuerySet[Party]:
    """The group's parties the member may see (of any role)."""
    return visible_parties(membership, role=None).filter(group_memberships__group=group)


# --- segments -------------------------------------------------------------------------


def visible_segments(membership: MembershipLike | None) -> QuerySet[Segment]:
    """The member's own segments and those shared with the organisation (all, for admins)."""
    if membership is None:
        return Segment.objects.none()
    qs = Segment.objects.filter(org_id=membership.org_id).select_related("owner")
    if is_org_admin(membership):
        return qs
    return qs.filter(Q(owner_id=membership.user_id) | Q(is_shared=True))


def can_change_segment(membership: MembershipLike | None, segment: Segment) -> bool:
    return membership is not None and (
        is_org_admin(membership) or segment.owner_id == membership.user_id
    )


def _clean_filters(filters: Mapping[str, Any]) -> dict[str, Any]:
    cleaned = filter_params(filters)
    if cleaned.get("role") not in {r.value for r in PartyRole}:
        cleaned.pop("role", None)
    return cleaned


@transaction.atomic
def create_segment(
    *,
    org: Organisation,
    actor: Any,
    name: str,
    filters: Mapping[str, Any],
    description: str = "",
    is_shared: bool = False,
) -> Segment:
    """Save the list's filters as a segment. Raise InvalidGroup for a bad name."""
    with org_scope(org):
        segment = Segment(
            org=org,
            name=_clean_name(name, model=Segment),
            description=_clean_description(description),
            filters=_clean_filters(filters),
            is_shared=bool(is_shared),
            owner=actor if getattr(actor, "pk", None) else None,
        )
        segment.save()
        return segment


@transaction.atomic
def update_segment(
    *,
    segment: Segment,
    actor: Any,
    name: str,
    description: str,
    is_shared: bool,
    expected_version: int,
    filters: Mapping[str, Any] | None = None,
) -> Segment:
    """Change a segment's name, description, sharing or filters. Raise InvalidGroup, StaleEdit."""
    with org_scope(segment.org_id):
        segment.name = _clean_name(name, model=Segment, exclude_pk=segment.pk)
        segment.description = _clean_description(description)
        segment.is_shared = bool(is_shared)
        if filters is not None:
            segment.filters = _clean_filters(filters)
        return save_versioned(segment, expected_version=expected_version)


@transaction.atomic
def delete_segment(*, segment: Segment, actor: Any) -> None:
    with org_scope(segment.org_id):
        segment.delete()


def segment_role(segment: Segment) -> str:
    role = (segment.filters or {}).get("role")
    return role if role in {r.value for r in PartyRole} else PartyRole.CUSTOMER


def segment_parties(segment: Segment, membership: MembershipLike | None) -> QuerySet[Party]:
    """The segment's live members: its filters applied to what the member may see now."""
    role = segment_role(segment)
    return filter_parties(
        visible_parties(membership, role), segment.filters, membership=membership, role=role
    )
