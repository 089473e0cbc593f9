"""The organisation and the abstract bases every business model is built from.

ARCHITECTURE rule 1: every business table has `org_id`, reached through
`OrgScopedModel`, whose default manager refuses to run a query unless an organisation
scope is active (django-scopes). Rule 3: `VersionedModel` carries the optimistic-lock
version, `SoftDeleteModel` the recycle bin.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from simple_history.models import HistoricalRecords
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet


class TimeStampedModel(models.Model):
    """Creation and last-change times, stored in UTC."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class Organisation(TimeStampedModel):
    """A company (or a student's sandbox) using guanxi: the tenant every record belongs to."""

    class Language(models.TextChoices):
        ZH_HANS = "zh-hans", "简体中文"
        EN = "en", "English"

    name = models.CharField(_("name"), max_length=200)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    language = models.CharField(
        _("default language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    history = HistoricalRecords()

    org_exempt = "the tenant itself"

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ("name", "id")

    def __str__(self) -> str:
        return self.name


class OrgScopedModel(models.Model):
    """A row that belongs to one organisation.

    `objects` only answers inside `django_scopes.scope(org=...)` (or an explicit
    `scopes_disabled()`), so a query that forgets the organisation fails loudly
    instead of leaking another company's rows.
    """

    org = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )

    objects = ScopedManager(org="org")  # type: ignore[django-manager-missing]

    class Meta:
        abstract = True


class VersionedModel(models.Model):
    """An integer version for optimistic locking; see core.versioning.save_versioned."""

    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        abstract = True


class BusinessModel(OrgScopedModel, TimeStampedModel, VersionedModel):
    """Base of every business record: organisation, timestamps, version and history."""

    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True


class LiveQuerySet(models.QuerySet):
    def alive(self) -> LiveQuerySet:
        return self.filter(deleted_at__isnull=True)

    def deleted(self) -> LiveQuerySet:
        return self.filter(deleted_at__isnull=False)


class _LiveManager(models.Manager.from_queryset(LiveQuerySet)):  # type: ignore[misc]
    """Hides rows in the recycle bin."""

    def get_queryset(self) -> LiveQuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


class SoftDeleteModel(models.Model):
    """A record that goes to the recycle bin (A6) instead of being deleted.

    `objects` hides deleted rows; `all_objects` sees them too (the recycle bin uses it).
    Subclasses may override `deletion_blocker()` to refuse deletion with a reason.
    """

    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, db_index=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("deleted by"),
    )

    objects = ScopedManager(org="org", _manager_class=_LiveManager)  # type: ignore[django-manager-missing]
    all_objects = ScopedManager(  # type: ignore[django-manager-missing]
        org="org", _manager_class=models.Manager.from_queryset(LiveQuerySet)
    )

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def deletion_blocker(self) -> str | None:
        """Return why this record may not be deleted, or None when it may."""
        return None

    def recycle_bin_label(self) -> str:
        return str(self)


class CategoryQuerySet(MP_NodeQuerySet):
    pass


class _CategoryManager(MP_NodeManager):
    pass


class CategoryNode(MP_Node, OrgScopedModel, TimeStampedModel):
    """Base of every category tree (customers, suppliers, products …), one tree per organisation.

    django-treebeard's materialised path, with the path unique per organisation rather
    than per table: treebeard reaches rows through `objects`, which is org-scoped, so
    each organisation's roots are numbered on their own.
    """

    path = models.CharField(max_length=255)
    name = models.CharField(_("name"), max_length=100)

    objects = ScopedManager(org="org", _manager_class=_CategoryManager)  # type: ignore[django-manager-missing,misc]

    node_order_by: ClassVar[list[str]] = []

    class Meta:
        abstract = True
        ordering = ("path",)
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=("org", "path"), name="%(app_label)s_%(class)s_unique_org_path"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def member_count(self) -> int:
        """Return how many records are filed in this category; subclasses say which."""
        return 0


class NumberSequence(OrgScopedModel):
    """The last number handed out for one kind of document in one organisation and year."""

    kind = models.CharField(_("document kind"), max_length=32)
    year = models.PositiveIntegerField(_("year"))
    last_value = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("number sequence")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=("org", "kind", "year"), name="%(app_label)s_%(class)s_unique_org_kind_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}-{self.year}: {self.last_value}"


class DocumentNumberFormat(OrgScopedModel):
    """An organisation's own prefix and width for one kind of document number (A3)."""

    kind = models.CharField(_("document kind"), max_length=32)
    prefix = models.CharField(_("prefix"), max_length=12)
    width = models.PositiveSmallIntegerField(_("digits"), default=5)

    class Meta:
        verbose_name = _("document number format")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=("org", "kind"), name="%(app_label)s_%(class)s_unique_org_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.prefix}"


class PeriodicJobState(models.Model):
    """When the scheduler last enqueued one periodic job (installation-wide, not a business row)."""

    name = models.CharField(max_length=100, unique=True)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    org_exempt = "installation-wide scheduler state"

    def __str__(self) -> str:
        return self.name


class CustomField(BusinessModel):
    """A field an organisation adds to a kind of record (B4); values live in `custom_data`."""

    class Target(models.TextChoices):
        PARTY = "party", _("Customers, suppliers and other parties")
        CONTACT = "contact", _("Contacts")
        PRODUCT = "product", _("Products")
        OPPORTUNITY = "opportunity", _("Opportunities")

    class FieldType(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")
        MULTI_CHOICE = "multichoice", _("Multiple choice")
        BOOLEAN = "boolean", _("Yes / no")

    target = models.CharField(_("record type"), max_length=20, choices=Target.choices)
    key = models.SlugField(_("key"), max_length=40)
    label = models.CharField(_("label"), max_length=60)
    field_type = models.CharField(_("type"), max_length=20, choices=FieldType.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    help_text = models.CharField(_("help text"), max_length=200, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ("target", "position", "id")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=("org", "target", "key"),
                name="%(app_label)s_%(class)s_unique_org_target_key",
            )
        ]

    def __str__(self) -> str:
        return self.label


class FieldLayout(BusinessModel):
    """An edit scheme (编辑方案): named groups of custom fields in order, for one record type.

    `groups` is a list of {"title": str, "fields": [custom field keys]}. The default
    layout of a record type is the one the add/edit form uses.
    """

    target = models.CharField(_("record type"), max_length=20, choices=CustomField.Target.choices)
    name = models.CharField(_("name"), max_length=60)
    groups = models.JSONField(_("groups"), default=list, blank=True)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("field layout")
        verbose_name_plural = _("field layouts")
        ordering = ("target", "name")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=("org", "target", "name"),
                name="%(app_label)s_%(class)s_unique_org_target_name",
            ),
            models.UniqueConstraint(
                fields=("org", "target"),
                condition=models.Q(is_default=True),
                name="%(app_label)s_%(class)s_unique_org_target_default",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Tag(BusinessModel):  # type: ignore[django-manager-missing]
    """A free label an organisation puts on records (customers, contacts …)."""

    name = models.CharField(_("name"), max_length=40)
    color = models.CharField(_("colour"), max_length=20, default="blue")

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ("name",)
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=("org", "name"), name="%(app_label)s_%(class)s_unique_org_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is random: the user's file name is kept in `original_name` only.
    import uuid

    return f"attachments/{instance.org_id}/{timezone_now().strftime('%Y/%m')}/{uuid.uuid4().hex}"


def timezone_now() -> Any:
    from django.utils import timezone

    return timezone.now()


class Attachment(OrgScopedModel, TimeStampedModel):
    """A file attached to any record (B8), served only through an access-checked view."""

    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField()
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    mime_type = models.CharField(_("type"), max_length=100)
    description = models.CharField(_("description"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ("-created_at",)
        indexes: ClassVar[list[Any]] = [
            models.Index(
                fields=("org", "content_type", "object_id"), name="core_attachment_target"
            ),
        ]

    def __str__(self) -> str:
        return self.original_name
