"""The accounts API: who am I, my organisations, members, roles and teams."""

from __future__ import annotations

import functools
import zoneinfo
from types import SimpleNamespace
from typing import Any, cast

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from pydantic import field_validator

from guanxi.accounts.currencies import ISO_4217_CODES
from guanxi.accounts.models import Membership, Role, Team
from guanxi.accounts.selectors import (
    organisation_of,
    visible_members,
    visible_roles,
    visible_teams,
)
from guanxi.accounts.services import update_organisation
from guanxi.api.errors import AUTH_ERRORS, error_responses
from guanxi.api.pagination import paginate_keyset
from guanxi.core.models import Organisation
from guanxi.core.permissions import (
    CHANGE,
    VIEW,
    MembershipLike,
    allowed_actions,
    get_visible_or_404,
    object_types,
    require_perm,
)

router = Router(tags=["accounts"])


# --- schemas ---------------------------------------------------------------------------


class UserRefOut(Schema):
    id: int
    username: str
    display_name: str


class RoleRefOut(Schema):
    id: int
    name: str


class TeamRefOut(Schema):
    id: int
    name: str


class OrganisationOut(Schema):
    id: int
    name: str
    currency: str = Field(description="ISO 4217 code of the currency amounts are kept in.")
    time_zone: str = Field(description="IANA time zone dates are shown in.")
    language: str = Field(description="Default interface language.")
    version: int = Field(description="Send back with an edit (optimistic locking).")


class UserOrganisationOut(Schema):
    id: int
    name: str
    role: str = Field(description="The caller's role there.")
    is_current: bool = Field(description="Whether this request works in this organisation.")


class MeUserOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    language: str


class MeOut(Schema):
    user: MeUserOut
    organisation: OrganisationOut
    role: RoleRefOut
    is_admin: bool
    team: TeamRefOut | None
    permissions: dict[str, list[str]] = Field(
        description="The actions the caller may take, per object type."
    )


class UserOut(Schema):
    """A member of the current organisation, identified by their user id."""

    id: int
    username: str
    display_name: str
    email: str
    role: RoleRefOut
    team: TeamRefOut | None
    is_active: bool = Field(description="False for a member who was deactivated here.")

    @staticmethod
    def resolve_id(obj: Membership) -> int:
        return obj.user_id

    @staticmethod
    def resolve_username(obj: Membership) -> str:
        return obj.user.username

    @staticmethod
    def resolve_display_name(obj: Membership) -> str:
        return obj.user.display_name

    @staticmethod
    def resolve_email(obj: Membership) -> str:
        return obj.user.email

    @staticmethod
    def resolve_is_active(obj: Membership) -> bool:
        return obj.is_active and obj.user.is_active


class RoleOut(Schema):
    id: int
    name: str
    code: str = Field(description="The built-in role this is, or empty for a custom role.")
    is_admin: bool
    visibility: str = Field(description="Which records members see: own, team or org.")
    permissions: dict[str, list[str]] = Field(
        description="The actions the role grants, per object type (built-in defaults applied)."
    )
    version: int

    @staticmethod
    def resolve_permissions(obj: Role) -> dict[str, list[str]]:
        return _role_actions(obj)


class TeamOut(Schema):
    id: int
    name: str
    leader: UserRefOut | None
    version: int


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class OrganisationPatch(Schema):
    """Fields left out keep their value; `version` is the one the edit started from."""

    version: int = Field(ge=1)
    name: str | None = Field(None, min_length=1, max_length=200)
    currency: str | None = Field(None, description="ISO 4217 code, such as CNY or USD.")
    time_zone: str | None = Field(None, max_length=64, description="IANA time zone.")
    language: Organisation.Language | None = None

    @field_validator("name")
    @classmethod
    def _strip_name(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError(_("This field is required."))
        return value.strip() if value is not None else None

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.strip().upper()
        if code not in ISO_4217_CODES:
            raise ValueError(
                _("%(value)s is not an ISO 4217 currency code (such as CNY or USD).")
                % {"value": value}
            )
        return code

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str | None) -> str | None:
        if value is not None and value not in _time_zones():
            raise ValueError(_("Choose a time zone such as Asia/Shanghai."))
        return value


# --- helpers ---------------------------------------------------------------------------


def _membership(request: HttpRequest) -> Membership:
    return cast(Membership, request.auth)  # type: ignore[attr-defined]


def _permissions(membership: MembershipLike) -> dict[str, list[str]]:
    return {
        object_type.key: sorted(allowed_actions(membership, object_type.key))
        for object_type in sorted(object_types(), key=lambda t: t.key)
    }


def _role_actions(role: Role) -> dict[str, list[str]]:
    # allowed_actions reads a member's role; any member holding this role gets these.
    holder = cast(MembershipLike, SimpleNamespace(role=role, is_active=True))
    return _permissions(holder)


# --- operations ------------------------------------------------------------------------


@router.get("/me", response={200: MeOut, **error_responses(*AUTH_ERRORS)})
def get_me(request: HttpRequest) -> dict[str, Any]:
    """The caller: user, current organisation, role, team and what they may do."""
    membership = _membership(request)
    return {
        "user": membership.user,
        "organisation": membership.org,
        "role": membership.role,
        "is_admin": membership.role.is_admin,
        "team": membership.team,
        "permissions": _permissions(membership),
    }


@router.get(
    "/organisations", response={200: list[UserOrganisationOut], **error_responses(*AUTH_ERRORS)}
)
def list_organisations(request: HttpRequest) -> list[dict[str, Any]]:
    """The organisations the caller belongs to; a token sees only its own organisation."""
    current = _membership(request)
    # The middleware lists a session's memberships; a token is bound to one organisation.
    memberships = getattr(request, "memberships", None) or [current]
    if getattr(request, "api_token", None) is not None:
        memberships = [current]
    return [
        {
            "id": m.org_id,
            "name": m.org.name,
            "role": m.role.name,
            "is_current": m.org_id == current.org_id,
        }
        for m in sorted(memberships, key=lambda m: (m.org.name, m.org_id))
    ]


@router.get(
    "/organisations/current", response={200: OrganisationOut, **error_responses(*AUTH_ERRORS)}
)
def get_current_organisation(request: HttpRequest) -> Organisation:
    """The current organisation's settings; every member may read them (dates, money)."""
    return _membership(request).org


@router.patch(
    "/organisations/current",
    response={200: OrganisationOut, **error_responses(*AUTH_ERRORS, 409, 422)},
)
def patch_current_organisation(request: HttpRequest, payload: OrganisationPatch) -> Organisation:
    """Change the current organisation's settings (administrators).

    Answers 409 `stale_edit`, changing nothing, when `version` is not the stored one.
    """
    membership = _membership(request)
    require_perm(membership, CHANGE, "organisation")
    org = organisation_of(membership)
    changes = payload.model_dump(exclude_unset=True)
    return update_organisation(
        org=org,
        actor=request.user,  # type: ignore[arg-type]
        expected_version=payload.version,
        name=changes.get("name") or org.name,
        currency=changes.get("currency") or org.currency,
        time_zone=changes.get("time_zone") or org.time_zone,
        language=str(changes.get("language") or org.language),
    )


@router.get("/users", response={200: list[UserOut], **error_responses(*AUTH_ERRORS, 400, 422)})
@paginate_keyset("user__username", "id")
def list_users(request: HttpRequest) -> QuerySet[Membership]:
    """Members of the current organisation, by username."""
    membership = _membership(request)
    require_perm(membership, VIEW, "member")
    return visible_members(membership)


@router.get("/users/{id}", response={200: UserOut, **error_responses(*AUTH_ERRORS, 404, 422)})
def get_user(request: HttpRequest, id: int) -> Membership:
    """One member of the current organisation, by user id."""
    membership = _membership(request)
    return get_visible_or_404(visible_members(membership), membership, "member", user_id=id)


@router.get("/roles", response={200: list[RoleOut], **error_responses(*AUTH_ERRORS, 400, 422)})
@paginate_keyset("name", "id")
def list_roles(request: HttpRequest) -> QuerySet[Role]:
    """The roles of the current organisation, by name."""
    membership = _membership(request)
    require_perm(membership, VIEW, "role")
    return visible_roles(membership)


@router.get("/roles/{id}", response={200: RoleOut, **error_responses(*AUTH_ERRORS, 404, 422)})
def get_role(request: HttpRequest, id: int) -> Role:
    membership = _membership(request)
    return get_visible_or_404(visible_roles(membership), membership, "role", pk=id)


@router.get("/teams", response={200: list[TeamOut], **error_responses(*AUTH_ERRORS, 400, 422)})
@paginate_keyset("name", "id")
def list_teams(request: HttpRequest) -> QuerySet[Team]:
    """The teams of the current organisation, by name."""
    membership = _membership(request)
    require_perm(membership, VIEW, "team")
    return visible_teams(membership)


@router.get("/teams/{id}", response={200: TeamOut, **error_responses(*AUTH_ERRORS, 404, 422)})
def get_team(request: HttpRequest, id: int) -> Team:
    membership = _membership(request)
    return get_visible_or_404(visible_teams(membership), membership, "team", pk=id)
