"""Who may do what, and which records they may see (ARCHITECTURE rule 2).

Pages, the API, search, exports and reports all ask here; nowhere else decides.

- A *role* grants actions (view, add, change, delete, export, …) per *object type*.
- A role's *visibility* says which records of an owned object type a member sees:
  their own, their team's, or the whole organisation's.
- A record that exists but may not be seen is reported as missing (404), never as
  forbidden, so nobody learns that it exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    pass

M = TypeVar("M", bound=Model)

VIEW = "view"
ADD = "add"
CHANGE = "change"
DELETE = "delete"
EXPORT = "export"
# Post (过帐) and reverse stock and money documents.
POST = "post"
DEFAULT_ACTIONS: tuple[str, ...] = (VIEW, ADD, CHANGE, DELETE, EXPORT)

ACTION_LABELS: dict[str, Promise] = {
    VIEW: _("view"),
    ADD: _("add"),
    CHANGE: _("change"),
    DELETE: _("delete"),
    EXPORT: _("export"),
    POST: _("post"),
}


class Visibility:
    OWN = "own"
    TEAM = "team"
    ORG = "org"
    CHOICES = ((OWN, _("Own records")), (TEAM, _("Team records")), (ORG, _("Whole organisation")))


@dataclass(frozen=True)
class ObjectType:
    """A kind of record that roles grant actions on."""

    key: str
    label: str | Promise
    actions: tuple[str, ...] = DEFAULT_ACTIONS
    # Field holding the owning user; None means everyone allowed to view sees every row.
    owner_field: str | None = None
    # Actions granted to each built-in role code when the role has no explicit setting.
    defaults: dict[str, tuple[str, ...]] = field(default_factory=dict)


_TYPES: dict[str, ObjectType] = {}


def register_object_type(
    key: str,
    label: str | Promise,
    *,
    actions: Iterable[str] = DEFAULT_ACTIONS,
    owner_field: str | None = None,
    defaults: dict[str, Iterable[str]] | None = None,
) -> ObjectType:
    """Declare an object type; apps call this from their `registrations` module."""
    object_type = ObjectType(
        key=key,
        label=label,
        actions=tuple(actions),
        owner_field=owner_field,
        defaults={code: tuple(acts) for code, acts in (defaults or {}).items()},
    )
    _TYPES[key] = object_type
    return object_type


def object_types() -> list[ObjectType]:
    return list(_TYPES.values())


def object_type(key: str) -> ObjectType:
    return _TYPES[key]


def action_label(action: str) -> str | Promise:
    return ACTION_LABELS.get(action, action)


class MembershipLike(Protocol):
    pk: Any
    user_id: Any
    team_id: Any
    org_id: Any

    @property
    def role(self) -> Any: ...


def allowed_actions(membership: MembershipLike | None, type_key: str) -> frozenset[str]:
    """Return the actions the member's role grants on `type_key`."""
    if membership is None or not getattr(membership, "is_active", True):
        return frozenset()
    role = membership.role
    object_type_ = _TYPES[type_key]
    if role.is_admin:
        return frozenset(object_type_.actions)
    granted = role.permissions.get(type_key) if isinstance(role.permissions, dict) else None
    if granted is None:
        granted = object_type_.defaults.get(role.code or "", ())
    return frozenset(a for a in granted if a in object_type_.actions)


def has_perm(membership: MembershipLike | None, action: str, type_key: str) -> bool:
    return action in allowed_actions(membership, type_key)


def require_perm(membership: MembershipLike | None, action: str, type_key: str) -> None:
    """Raise PermissionDenied unless the member may do `action` on `type_key`."""
    if not has_perm(membership, action, type_key):
        raise PermissionDenied


def is_org_admin(membership: MembershipLike | None) -> bool:
    return bool(membership is not None and membership.role.is_admin)


def team_member_ids(membership: MembershipLike) -> list[int]:
    """Return the users in the member's team (just the member when they have none)."""
    from guanxi.accounts.models import Membership

    if membership.team_id is None:
        return [membership.user_id]
    return list(
        Membership.objects.filter(team_id=membership.team_id, is_active=True).values_list(
            "user_id", flat=True
        )
    )


def visible(queryset: QuerySet[M], membership: MembershipLike | None, type_key: str) -> QuerySet[M]:
    """Narrow `queryset` to the rows the member may see.

    No view permission means no rows. Object types without an owner are seen whole.
    """
    if membership is None or not has_perm(membership, VIEW, type_key):
        return queryset.none()
    queryset = queryset.filter(org_id=membership.org_id)
    owner_field = _TYPES[type_key].owner_field
    visibility = membership.role.visibility
    if owner_field is None or membership.role.is_admin or visibility == Visibility.ORG:
        return queryset
    if visibility == Visibility.TEAM:
        return queryset.filter(Q(**{f"{owner_field}__in": team_member_ids(membership)}))
    return queryset.filter(**{f"{owner_field}": membership.user_id})


def get_visible_or_404(
    queryset: QuerySet[M], membership: MembershipLike | None, type_key: str, **lookup: Any
) -> M:
    """Return the one visible row matching `lookup`; raise Http404 for missing or hidden rows."""
    try:
        return visible(queryset, membership, type_key).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def get_for_action_or_404(
    queryset: QuerySet[M],
    membership: MembershipLike | None,
    type_key: str,
    action: str,
    **lookup: Any,
) -> M:
    """Return a visible row the member may also `action`.

    Raise Http404 when the row is not visible, PermissionDenied when it is visible but the
    action is not granted.
    """
    obj = get_visible_or_404(queryset, membership, type_key, **lookup)
    require_perm(membership, action, type_key)
    return obj
