"""People and their place in an organisation: users, roles, teams, memberships, API tokens."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from guanxi.core.models import BusinessModel, OrgScopedModel, SoftDeleteModel
from guanxi.core.permissions import Visibility


class User(AbstractUser):
    """A person who signs in. One user may belong to several organisations."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    must_change_password = models.BooleanField(_("must change password"), default=False)
    language = models.CharField(
        _("language"), max_length=10, blank=True, choices=settings.LANGUAGES
    )
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    # A person belongs to organisations through Membership; the user row itself is global.
    org_exempt = "a user may belong to several organisations"

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class Role(BusinessModel):
    """A set of permissions and a record visibility, given to members (A2)."""

    class Code(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        MANAGER = "manager", _("Manager")
        SALES = "sales", _("Sales")
        SERVICE = "service", _("Service")
        MARKETING = "marketing", _("Marketing")
        READONLY = "readonly", _("Read-only")

    code = models.CharField(
        _("built-in role"),
        max_length=20,
        blank=True,
        choices=Code.choices,
        help_text=_("Empty for roles the organisation made itself."),
    )
    name = models.CharField(_("name"), max_length=60)
    is_admin = models.BooleanField(
        _("administrator"),
        default=False,
        help_text=_("Administrators may do everything, including organisation settings."),
    )
    visibility = models.CharField(
        _("record visibility"), max_length=10, choices=Visibility.CHOICES, default=Visibility.OWN
    )
    permissions = models.JSONField(_("permissions"), default=dict, blank=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ("name",)
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=("org", "name"), name="%(app_label)s_%(class)s_unique_org_name"
            ),
            models.UniqueConstraint(
                fields=("org", "code"),
                condition=~models.Q(code=""),
                name="%(app_label)s_%(class)s_unique_org_code",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Team(SoftDeleteModel, BusinessModel):
    """A group of members; 'team' visibility shows the records of everyone in it."""

    # The object type whose permissions govern this model in the recycle bin.
    permission_type = "team"

    name = models.CharField(_("name"), max_length=60)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("leader"),
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ("name",)
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=("org", "name"),
                condition=models.Q(deleted_at__isnull=True),
                name="%(app_label)s_%(class)s_unique_org_name",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def deletion_blocker(self) -> str | None:
        if self.memberships.filter(is_active=True).exists():
            return str(_("Move this team's members to another team first."))
        return None


class Membership(BusinessModel):
    """A user's place in one organisation: their role and team."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    role = models.ForeignKey(
        Role, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("role")
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("team"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=("org", "user"), name="%(app_label)s_%(class)s_unique_org_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.org_id}"


class ApiToken(OrgScopedModel):
    """A personal API token: the secret is shown once, only its SHA-256 is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=60)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ("-created_at",)
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=("org", "key_hash"), name="%(app_label)s_%(class)s_unique_org_key_hash"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
