"""Saved reports and schedules (H4)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import BusinessModel, OrgScopedModel, SoftDeleteModel


class SavedReport(SoftDeleteModel, BusinessModel):  # type: ignore[django-manager-missing]
    """A report definition (object, columns, filters, grouping, totals, chart) with its
    name and who may see it. `definition` is validated by `reports.definition` before
    it is stored; a ready-made report has a `builtin_key` and no owner."""

    class Sharing(models.TextChoices):
        PRIVATE = "private", _("Only me")
        TEAM = "team", _("My team")
        ORG = "org", _("The whole organisation")

    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=500, blank=True)
    object_key = models.CharField(_("object"), max_length=40)
    definition = models.JSONField(_("definition"), default=dict)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    sharing = models.CharField(
        _("shared with"), max_length=10, choices=Sharing.choices, default=Sharing.PRIVATE
    )
    # The team a "team" report is shared with (the owner's team when it was saved).
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    builtin_key = models.CharField(_("ready-made report"), max_length=40, blank=True)

    # The recycle bin shows deleted reports to members who may use the analysis area.
    permission_type = "analytics"

    class Meta:
        verbose_name = _("saved report")
        verbose_name_plural = _("saved reports")
        ordering = ("name", "id")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=("org", "builtin_key"),
                condition=~Q(builtin_key=""),
                name="reports_savedreport_unique_org_builtin",
            )
        ]
        indexes: ClassVar[list[Any]] = [models.Index(fields=("org", "owner", "name"))]

    def __str__(self) -> str:
        return self.display_name

    def _shown(self, field: str) -> str:
        # A ready-made report whose text is still one of its defaults (stored in the
        # organisation's language) shows that default in the reader's language.
        stored = getattr(self, field)
        if not self.builtin_key:
            return stored
        from guanxi.analytics.reports.services import builtin_text

        current, every = builtin_text(self.builtin_key, field)
        return current if current is not None and stored in every else stored

    @property
    def display_name(self) -> str:
        return self._shown("name")

    @property
    def display_description(self) -> str:
        return self._shown("description")


class ReportSchedule(BusinessModel):  # type: ignore[django-manager-missing]
    """Send a saved report by e-mail on a schedule; each recipient gets the rows they see."""

    class Frequency(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")

    class Format(models.TextChoices):
        CSV = "csv", _("CSV")
        XLSX = "xlsx", _("Excel (XLSX)")

    report = models.ForeignKey(
        SavedReport, on_delete=models.CASCADE, related_name="schedules", verbose_name=_("report")
    )
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY
    )
    # Local time of the organisation; weekly on `weekday` (0 = Monday), monthly on `day`.
    time = models.TimeField(_("time"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), default=0)
    day = models.PositiveSmallIntegerField(_("day of month"), default=1)
    file_format = models.CharField(
        _("format"), max_length=5, choices=Format.choices, default=Format.XLSX
    )
    is_active = models.BooleanField(_("active"), default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    last_result = models.CharField(_("last result"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("report schedule")
        verbose_name_plural = _("report schedules")
        ordering = ("report", "id")
        indexes: ClassVar[list[Any]] = [models.Index(fields=("is_active", "next_run_at"))]

    def __str__(self) -> str:
        return f"{self.report} ({self.get_frequency_display()})"


class ReportRecipient(OrgScopedModel):
    """A member who receives a scheduled report."""

    schedule = models.ForeignKey(
        ReportSchedule, on_delete=models.CASCADE, related_name="recipients"
    )
    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=("org", "schedule", "membership"),
                name="reports_reportrecipient_unique_org_schedule_member",
            )
        ]
