"""Reads of members, roles, teams and tokens, narrowed by the permission service."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from guanxi.accounts.models import ApiToken, Membership, Role, Team
from guanxi.core.models import Organisation
from guanxi.core.permissions import MembershipLike, visible


def visible_members(membership: MembershipLike | None) -> QuerySet[Membership]:
    qs = Membership.objects.select_related("user", "role", "team").order_by("user__username")
    return visible(qs, membership, "member")


def visible_roles(membership: MembershipLike | None) -> QuerySet[Role]:
    return visible(Role.objects.order_by("name"), membership, "role")


def visible_teams(membership: MembershipLike | None) -> QuerySet[Team]:
    return visible(Team.objects.select_related("leader").order_by("name"), membership, "team")


def tokens_of(membership: MembershipLike) -> QuerySet[ApiToken]:
    """A member's own API tokens in the current organisation."""
    return ApiToken.objects.filter(user_id=membership.user_id).order_by("-created_at")


def organisation_of(membership: MembershipLike) -> Organisation:
    """A fresh copy of the member's organisation, safe to edit without touching the request's."""
    return Organisation.objects.get(pk=membership.org_id)


def filtered_members(
    membership: MembershipLike | None,
    *,
    query: str = "",
    role: Role | None = None,
    team: Team | None = None,
    active: bool | None = None,
) -> QuerySet[Membership]:
    """The member list (settings): visible members narrowed by the list's filters."""
    qs = visible_members(membership)
    if query:
        qs = qs.filter(
            Q(user__username__icontains=query)
            | Q(user__display_name__icontains=query)
            | Q(user__email__icontains=query)
        )
    if role is not None:
        qs = qs.filter(role=role)
    if team is not None:
        qs = qs.filter(team=team)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs


def role_choices(membership: MembershipLike) -> QuerySet[Role]:
    """Every role of the member's organisation, for selects (not narrowed: names only)."""
    return Role.objects.filter(org_id=membership.org_id).order_by("name")


def team_choices(membership: MembershipLike) -> QuerySet[Team]:
    """Every live team of the member's organisation, for selects."""
    return Team.objects.filter(org_id=membership.org_id).order_by("name")


def roles_with_member_counts(membership: MembershipLike | None) -> QuerySet[Role]:
    return visible_roles(membership).annotate(
        member_count=Count("memberships", filter=Q(memberships__is_active=True))
    )


def teams_with_member_counts(membership: MembershipLike | None) -> QuerySet[Team]:
    return visible_teams(membership).annotate(
        member_count=Count("memberships", filter=Q(memberships__is_active=True))
    )


def team_members(team: Team) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(team=team, is_active=True)
        .select_related("user", "role")
        .order_by("user__username")
    )
