"""Business operations on organisations, users, roles, teams and tokens.

The only code that writes these rows; pages, the API and commands all call here.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from guanxi.accounts.models import ApiToken, Membership, Role, Team, User
from guanxi.core.exceptions import DomainError
from guanxi.core.models import Organisation
from guanxi.core.permissions import Visibility, object_types
from guanxi.core.recycle_bin import move_to_recycle_bin
from guanxi.core.scoping import org_scope
from guanxi.core.versioning import save_versioned

# The built-in roles every new organisation starts with (A2).
BUILTIN_ROLES: list[dict[str, Any]] = [
    {"code": Role.Code.ADMIN, "is_admin": True, "visibility": Visibility.ORG},
    {"code": Role.Code.MANAGER, "is_admin": False, "visibility": Visibility.ORG},
    {"code": Role.Code.SALES, "is_admin": False, "visibility": Visibility.OWN},
    {"code": Role.Code.SERVICE, "is_admin": False, "visibility": Visibility.TEAM},
    {"code": Role.Code.MARKETING, "is_admin": False, "visibility": Visibility.ORG},
    {"code": Role.Code.READONLY, "is_admin": False, "visibility": Visibility.ORG},
]


class LastAdministrator(DomainError):
    code = "last_administrator"
    default_message = "An organisation needs at least one active administrator."


class AlreadyMember(DomainError):
    code = "already_member"


class SharedAccount(DomainError):
    """The person also belongs to another organisation, whose admins this one cannot overrule."""

    code = "shared_account"


class AdministratorsOnly(DomainError):
    """Only administrators may hand out administrator rights or act on administrators."""

    code = "administrators_only"


def _is_admin(org_id: int, actor: User | None) -> bool:
    if actor is None or actor.pk is None:
        return False
    with scopes_disabled():
        return Membership.objects.filter(
            org_id=org_id, user_id=actor.pk, is_active=True, role__is_admin=True
        ).exists()


def _require_admin(org_id: int, actor: User | None, *, field: str | None = None) -> None:
    # Anyone allowed to change members or roles could otherwise make themselves an
    # administrator, or take over an administrator's account.
    if not _is_admin(org_id, actor):
        raise AdministratorsOnly(
            _("Only administrators may give administrator rights or change administrators."),
            field=field,
        )


def _role_name(code: str) -> str:
    return str(Role.Code(code).label)


@transaction.atomic
def create_organisation(
    *,
    name: str,
    actor: User | None,
    currency: str = "CNY",
    time_zone: str = "Asia/Shanghai",
    language: str = "zh-hans",
    admin: User | None = None,
) -> Organisation:
    """Create an organisation with the built-in roles; make `admin` its first administrator."""
    org = Organisation.objects.create(
        name=name, currency=currency, time_zone=time_zone, language=language
    )
    with org_scope(org):
        for spec in BUILTIN_ROLES:
            Role.objects.create(org=org, name=_role_name(spec["code"]), **spec)
        if admin is not None:
            Membership.objects.create(
                org=org, user=admin, role=Role.objects.get(code=Role.Code.ADMIN)
            )
    return org


@transaction.atomic
def update_organisation(
    *,
    org: Organisation,
    actor: User,
    expected_version: int,
    name: str,
    currency: str,
    time_zone: str,
    language: str,
) -> Organisation:
    """Change an organisation's settings (A3). Raise StaleEdit on a concurrent change."""
    org.name, org.currency, org.time_zone, org.language = name, currency, time_zone, language
    save_versioned(org, expected_version=expected_version)
    return org


def change_password(*, user: User, new_password: str) -> User:
    """Set a new password that passes the validators; clears the forced-change flag.

    Raise django.core.exceptions.ValidationError when the password is too weak.
    """
    validate_password(new_password, user)
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    return user


@transaction.atomic
def create_member(
    *,
    org: Organisation,
    actor: User,
    username: str,
    password: str,
    role: Role,
    team: Team | None = None,
    display_name: str = "",
    email: str = "",
) -> Membership:
    """Create a user (or add an existing one) as a member of `org`.

    A new user must change the given password at first login. Raise AlreadyMember if
    the username already belongs to this organisation, AdministratorsOnly if a
    non-administrator gives the new member an administrator role.
    """
    if role.is_admin:
        _require_admin(org.pk, actor, field="role")
    with scopes_disabled():
        user = User.objects.filter(username=username).first()
        if user is not None and Membership.objects.filter(org=org, user=user).exists():
            raise AlreadyMember(
                _("%(username)s is already a member.") % {"username": username},
                field="username",
            )
    if user is None:
        validate_password(password)
        user = User(
            username=username, display_name=display_name, email=email, must_change_password=True
        )
        user.set_password(password)
        user.save()
    with org_scope(org):
        return Membership.objects.create(org=org, user=user, role=role, team=team)


def _active_admins(org: Organisation) -> int:
    return Membership.objects.filter(
        org=org, is_active=True, role__is_admin=True, user__is_active=True
    ).count()


def _other_active_admins_exist(membership: Membership) -> bool:
    return (
        Membership.objects.filter(
            org_id=membership.org_id, is_active=True, role__is_admin=True, user__is_active=True
        )
        .exclude(pk=membership.pk)
        .exists()
    )


def belongs_elsewhere(membership: Membership) -> bool:
    """Return whether the member's user account also belongs to another organisation.

    A user account is shared by every organisation it belongs to, so one organisation's
    administrators may not take it over (password, email) from the others.
    """
    with scopes_disabled():
        return (
            Membership.objects.filter(user_id=membership.user_id)
            .exclude(org_id=membership.org_id)
            .exists()
        )


@transaction.atomic
def update_member(
    *,
    membership: Membership,
    actor: User,
    expected_version: int,
    role: Role,
    team: Team | None,
    display_name: str,
    email: str,
) -> Membership:
    """Change a member's role, team, name and email.

    Raise LastAdministrator if this would leave no active administrator, AdministratorsOnly
    if a non-administrator changes an administrator or gives administrator rights,
    SharedAccount if the email of an account other organisations share would change,
    StaleEdit on a concurrent change.
    """
    with org_scope(membership.org_id):
        if (
            membership.is_active
            and membership.role.is_admin
            and not role.is_admin
            and not _other_active_admins_exist(membership)
        ):
            raise LastAdministrator(_("An organisation needs at least one active administrator."))
        if membership.role.is_admin or (role.is_admin and role.pk != membership.role_id):
            _require_admin(membership.org_id, actor, field="role")
        user = membership.user
        if email != user.email and belongs_elsewhere(membership):
            raise SharedAccount(
                _(
                    "This person also belongs to another organisation; "
                    "only they can change their email address."
                ),
                field="email",
            )
        membership.role, membership.team = role, team
        save_versioned(membership, expected_version=expected_version)
    user.display_name, user.email = display_name, email
    user.save(update_fields=["display_name", "email"])
    return membership


@transaction.atomic
def set_member_active(*, membership: Membership, actor: User, active: bool) -> Membership:
    """Deactivate (or reactivate) a member; their records stay.

    Raise DomainError when the actor deactivates themselves, LastAdministrator when the
    organisation would be left without an active administrator, AdministratorsOnly when a
    non-administrator acts on an administrator.
    """
    with org_scope(membership.org_id):
        if not active and membership.user_id == actor.pk:
            raise DomainError(_("You cannot deactivate yourself."))
        if (
            not active
            and membership.is_active
            and membership.role.is_admin
            and not _other_active_admins_exist(membership)
        ):
            raise LastAdministrator(_("An organisation needs at least one active administrator."))
        if membership.role.is_admin:
            _require_admin(membership.org_id, actor)
        membership.is_active = active
        membership.version += 1
        membership.save(update_fields=["is_active", "version", "updated_at"])
    return membership


def reset_member_password(*, membership: Membership, actor: User, new_password: str) -> User:
    """Give a member a new password they must change at their next login.

    Raise SharedAccount if the account also belongs to another organisation,
    AdministratorsOnly when a non-administrator resets an administrator's password, and
    django.core.exceptions.ValidationError when the password is too weak.
    """
    if membership.role.is_admin:
        _require_admin(membership.org_id, actor)
    if belongs_elsewhere(membership):
        raise SharedAccount(
            _(
                "This person also belongs to another organisation; "
                "only they can change their password."
            )
        )
    user = membership.user
    validate_password(new_password, user)
    user.set_password(new_password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    return user


def _role_permissions(
    code: str, permissions: dict[str, list[str]], previous: dict[str, Any]
) -> dict[str, list[str]]:
    """Merge the submitted rows into a role's stored permissions.

    A row equal to the built-in default is removed rather than stored, so a built-in role
    keeps following the defaults as apps change them. Rows not submitted (including those
    of object types no longer registered) stay as they were.
    """
    merged = {key: list(actions) for key, actions in previous.items()}
    for object_type_ in object_types():
        if object_type_.key not in permissions:
            continue
        granted = sorted(set(permissions[object_type_.key]) & set(object_type_.actions))
        if set(granted) == set(object_type_.defaults.get(code or "", ())):
            merged.pop(object_type_.key, None)
        else:
            merged[object_type_.key] = granted
    return merged


@transaction.atomic
def save_role(
    *,
    org: Organisation,
    actor: User,
    role: Role | None,
    name: str,
    visibility: str,
    permissions: dict[str, list[str]],
    is_admin: bool = False,
    expected_version: int | None = None,
) -> Role:
    """Create a role or change one.

    `permissions` maps object type keys to the actions granted; types left out keep
    their current setting. Raise DomainError (with the field) for a duplicate name or an
    unknown visibility, or when the built-in administrator role would lose its rights;
    AdministratorsOnly when a non-administrator creates or changes an administrator role;
    LastAdministrator, StaleEdit.
    """
    if visibility not in {value for value, _label in Visibility.CHOICES}:
        raise DomainError(_("Choose a valid record visibility."), field="visibility")
    with org_scope(org):
        same_name = Role.objects.filter(name=name)
        if role is not None:
            same_name = same_name.exclude(pk=role.pk)
        if same_name.exists():
            raise DomainError(_("A role with this name already exists."), field="name")
        if is_admin or (role is not None and role.is_admin):
            _require_admin(org.pk, actor, field="is_admin")
        if role is None:
            return Role.objects.create(
                org=org,
                name=name,
                visibility=visibility,
                permissions=_role_permissions("", permissions, {}),
                is_admin=is_admin,
            )
        if role.code == Role.Code.ADMIN and not is_admin:
            raise DomainError(
                _("The built-in administrator role always has every right."), field="is_admin"
            )
        other_admins = Membership.objects.filter(
            is_active=True, role__is_admin=True, user__is_active=True
        ).exclude(role=role)
        if role.is_admin and not is_admin and not other_admins.exists():
            raise LastAdministrator(_("An organisation needs at least one active administrator."))
        previous = role.permissions if isinstance(role.permissions, dict) else {}
        role.name, role.visibility, role.permissions, role.is_admin = (
            name,
            visibility,
            _role_permissions(role.code, permissions, previous),
            is_admin,
        )
        save_versioned(role, expected_version=expected_version or role.version)
        return role


@transaction.atomic
def delete_role(*, role: Role, actor: User) -> None:
    """Delete a role nobody has.

    Raise DomainError for the built-in administrator role, or while members (active or
    not) still have the role.
    """
    with org_scope(role.org_id):
        if role.code == Role.Code.ADMIN:
            raise DomainError(_("The administrator role cannot be deleted."))
        if role.memberships.exists():
            raise DomainError(_("Give this role's members another role first."))
        role.delete()


@transaction.atomic
def save_team(
    *,
    org: Organisation,
    actor: User,
    team: Team | None,
    name: str,
    leader: User | None,
    expected_version: int | None = None,
) -> Team:
    """Create a team or change one. Raise StaleEdit."""
    with org_scope(org):
        same_name = Team.objects.filter(name=name)
        if team is not None:
            same_name = same_name.exclude(pk=team.pk)
        if same_name.exists():
            raise DomainError(_("A team with this name already exists."), field="name")
        if team is None:
            return Team.objects.create(org=org, name=name, leader=leader)
        team.name, team.leader = name, leader
        save_versioned(team, expected_version=expected_version or team.version)
        return team


def delete_team(*, team: Team, actor: User) -> Team:
    """Move a team to the recycle bin. Raise DeletionRefused while it has active members."""
    with org_scope(team.org_id):
        move_to_recycle_bin(obj=team, actor=actor)
    return team


# --- API tokens ----------------------------------------------------------------------

TOKEN_PREFIX = "gx_"  # noqa: S105 (a public marker, not a secret)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def hash_token(secret: str) -> str:
    # Tokens carry 256 random bits, so a plain SHA-256 is enough (no slow hash needed).
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_api_token(
    *, org: Organisation, user: User, name: str, expires_at: Any = None
) -> IssuedToken:
    """Issue a personal API token for `user` in `org`; the secret is returned once."""
    body = secrets.token_urlsafe(32)
    secret = f"{TOKEN_PREFIX}{body}"
    with org_scope(org):
        token = ApiToken.objects.create(
            org=org,
            user=user,
            name=name,
            prefix=secret[: len(TOKEN_PREFIX) + 6],
            key_hash=hash_token(secret),
            expires_at=expires_at,
        )
    return IssuedToken(token=token, secret=secret)


def revoke_api_token(*, token: ApiToken, actor: User) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        with org_scope(token.org_id):
            token.save(update_fields=["revoked_at"])
    return token


def authenticate_token(secret: str) -> ApiToken | None:
    """Return the usable token matching `secret`, or None; records when it was last used."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    with scopes_disabled():
        token = (
            ApiToken.objects.select_related("user", "org")
            .filter(key_hash=hash_token(secret))
            .first()
        )
        if token is None or not token.is_usable or not token.user.is_active:
            return None
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
