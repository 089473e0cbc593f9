"""The timeline (B10–B12) and reminders (G3).

An `Activity` is anything that happens with a customer or is planned for one: a task, a
meeting, a call, a contact record (联系记录), a note, a customer-care record (客户关怀) or an
expense. One table holds every kind, so a customer's timeline is one indexed query; the
fields that only some kinds use are blank for the others (services clear them).

A `Notification` is what the reminder jobs (and later other apps) tell one member; its
`dedupe_key` makes every job safe to run twice. `NotificationPreference` holds a member's
choice of e-mail reminders.

Later issues link activities to opportunities and campaigns: add a nullable foreign key
(`opportunity`, `campaign`) next to `party`; the timeline and the API read relations
through `select_related`, so nothing else has to change shape.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import BusinessModel, OrgScopedModel, SoftDeleteModel

# The largest amount an expense may have: 12 digits, two of them decimals.
MAX_AMOUNT = Decimal("9999999999.99")


class Activity(SoftDeleteModel, BusinessModel):  # type: ignore[django-manager-missing]
    """One entry of a customer's timeline: task, meeting, call, contact record, note,
    customer-care record or expense, with its owner, time, status and optional reminder."""

    class Kind(models.TextChoices):
        TASK = "task", _("Task")
        MEETING = "meeting", _("Meeting")
        CALL = "call", _("Call")
        CONTACT_RECORD = "contact_record", _("Contact record")
        NOTE = "note", _("Note")
        CARE = "care", _("Customer care")
        EXPENSE = "expense", _("Expense")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")

    class Direction(models.TextChoices):
        NONE = "", _("—")
        INBOUND = "in", _("Inbound (the customer contacted us)")
        OUTBOUND = "out", _("Outbound (we contacted the customer)")

    class Channel(models.TextChoices):
        NONE = "", _("—")
        PHONE = "phone", _("Phone")
        VISIT = "visit", _("Visit")
        WECHAT = "wechat", _("WeChat")
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        QQ = "qq", _("QQ")
        VIDEO = "video", _("Video call")
        OTHER = "other", _("Other")

    class CareType(models.TextChoices):
        NONE = "", _("—")
        BIRTHDAY = "birthday", _("Birthday greeting")
        FESTIVAL = "festival", _("Festival greeting")
        RETURN_VISIT = "return_visit", _("Return visit")
        GIFT = "gift", _("Gift")
        THANKS = "thanks", _("Thank-you")
        SATISFACTION = "satisfaction", _("Satisfaction check")
        OTHER = "other", _("Other")

    class ExpenseCategory(models.TextChoices):
        NONE = "", _("—")
        TRAVEL = "travel", _("Travel")
        TRANSPORT = "transport", _("Local transport")
        ENTERTAINMENT = "entertainment", _("Entertainment")
        GIFT = "gift", _("Gifts")
        COMMUNICATION = "communication", _("Phone and postage")
        SAMPLE = "sample", _("Samples")
        EXHIBITION = "exhibition", _("Exhibitions and events")
        OTHER = "other", _("Other")

    class ReminderChannel(models.TextChoices):
        IN_APP = "in_app", _("In the app")
        EMAIL = "email", _("In the app and by e-mail")

    # The kind-specific fields each kind uses; services blank the others.
    KIND_FIELDS: ClassVar[dict[str, frozenset[str]]] = {
        Kind.TASK: frozenset({"due_at", "priority", "remind_at", "reminder_channel"}),
        Kind.MEETING: frozenset(
            {"start_at", "end_at", "location", "priority", "remind_at", "reminder_channel"}
        ),
        Kind.CALL: frozenset({"start_at", "direction", "outcome", "remind_at", "reminder_channel"}),
        Kind.CONTACT_RECORD: frozenset(
            {"start_at", "direction", "channel", "outcome", "remind_at", "reminder_channel"}
        ),
        Kind.NOTE: frozenset({"start_at"}),
        Kind.CARE: frozenset({"start_at", "care_type", "channel", "outcome", "follow_up_on"}),
        Kind.EXPENSE: frozenset({"start_at", "amount", "currency", "expense_category"}),
    }
    # Kinds that are a contact with the customer: done, they update its last contact.
    CONTACT_KINDS: ClassVar[frozenset[str]] = frozenset(
        {Kind.CALL, Kind.CONTACT_RECORD, Kind.MEETING, Kind.CARE}
    )
    # Kinds that are planned work (and so appear in "my open tasks" / "upcoming").
    PLANNED_KINDS: ClassVar[frozenset[str]] = frozenset({Kind.TASK, Kind.MEETING})

    # Tabler icon per kind (timeline, lists, the header's "+" menu).
    ICONS: ClassVar[dict[str, str]] = {
        Kind.TASK: "checkbox",
        Kind.MEETING: "users",
        Kind.CALL: "phone",
        Kind.CONTACT_RECORD: "message-circle",
        Kind.NOTE: "note",
        Kind.CARE: "heart-handshake",
        Kind.EXPENSE: "receipt",
    }

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("details"), blank=True)
    party = models.ForeignKey(
        "parties.Party",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("customer"),
        help_text=_("Empty for a task of your own that concerns no customer."),
    )
    contact = models.ForeignKey(
        "parties.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("contact"),
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("opportunity"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    # When: a meeting's start (and end), a task's due time, the time of anything else.
    start_at = models.DateTimeField(_("time"), null=True, blank=True)
    end_at = models.DateTimeField(_("end"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    # The one time the timeline sorts by: start, else due, else creation (set by services).
    timeline_at = models.DateTimeField(_("timeline time"), default=timezone.now, editable=False)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True, editable=False)

    location = models.CharField(_("location"), max_length=200, blank=True)
    direction = models.CharField(
        _("direction"), max_length=3, choices=Direction.choices, blank=True
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    care_type = models.CharField(
        _("care type"), max_length=20, choices=CareType.choices, blank=True
    )
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    follow_up_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    amount = models.DecimalField(
        _("amount"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_AMOUNT)],
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    expense_category = models.CharField(
        _("expense category"), max_length=20, choices=ExpenseCategory.choices, blank=True
    )

    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    reminder_channel = models.CharField(
        _("remind by"),
        max_length=10,
        choices=ReminderChannel.choices,
        default=ReminderChannel.IN_APP,
    )
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True, editable=False)

    permission_type = "activity"

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ("-timeline_at", "-id")
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gte=0),
                name="%(app_label)s_%(class)s_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(end_at__isnull=True)
                | models.Q(start_at__isnull=True)
                | models.Q(end_at__gte=models.F("start_at")),
                name="%(app_label)s_%(class)s_end_after_start",
            ),
        ]
        indexes: ClassVar[list[Any]] = [
            # a customer's / a contact's timeline, newest first
            models.Index(
                fields=("org", "party", "-timeline_at", "-id"), name="activity_party_time"
            ),
            models.Index(
                fields=("org", "contact", "-timeline_at", "-id"), name="activity_contact_time"
            ),
            # "my activities" and the API list
            models.Index(
                fields=("org", "owner", "-timeline_at", "-id"), name="activity_owner_time"
            ),
            models.Index(fields=("org", "-timeline_at", "-id"), name="activity_time"),
            # my open tasks, overdue, today's meetings
            models.Index(
                fields=("org", "owner", "status", "kind", "timeline_at"),
                name="activity_owner_open",
            ),
            # the reminder job: reminders not yet sent
            models.Index(
                fields=("org", "remind_at"),
                condition=models.Q(reminded_at__isnull=True, remind_at__isnull=False),
                name="activity_due_reminders",
            ),
            models.Index(
                fields=("org", "follow_up_on"),
                condition=models.Q(follow_up_reminded_at__isnull=True, follow_up_on__isnull=False),
                name="activity_due_follow_ups",
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("activities:activity_detail", args=[self.pk])

    def recycle_bin_label(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"

    def uses(self, field: str) -> bool:
        """Whether this kind of activity has `field` (templates show only those)."""
        return field in self.KIND_FIELDS.get(self.kind, frozenset())

    @property
    def icon(self) -> str:
        return self.ICONS.get(self.kind, "circle")

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.PLANNED

    @property
    def is_overdue(self) -> bool:
        """A planned task past its due time, or a planned meeting past its start."""
        if self.status != self.Status.PLANNED or self.kind not in self.PLANNED_KINDS:
            return False
        moment = self.due_at if self.kind == self.Kind.TASK else self.start_at
        return moment is not None and moment < timezone.now()


class Notification(OrgScopedModel):
    """Something guanxi tells one member: a reminder, a birthday, a care follow-up.

    Shown in the notification list (with a badge for the unread ones) and, when the member
    asked for it, also sent by e-mail; the e-mail's delivery state lives here (an outbox).
    `dedupe_key` is unique per member, so a job that runs twice notifies once.
    """

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Reminder")
        BIRTHDAY = "birthday", _("Birthday")
        CARE_FOLLOW_UP = "care_follow_up", _("Care follow-up")
        INFO = "info", _("Information")

    class EmailStatus(models.TextChoices):
        NOT_WANTED = "", _("Not by e-mail")
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Could not be sent")
        NO_ADDRESS = "no_address", _("No e-mail address")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.INFO)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    activity = models.ForeignKey(
        Activity,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("activity"),
    )
    contact = models.ForeignKey(
        "parties.Contact",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact"),
    )
    dedupe_key = models.CharField(max_length=200)
    is_read = models.BooleanField(_("read"), default=False)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    email_status = models.CharField(
        _("e-mail"), max_length=12, choices=EmailStatus.choices, blank=True
    )
    email_attempts = models.PositiveSmallIntegerField(default=0)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ("-created_at", "-id")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=("org", "user", "dedupe_key"),
                name="%(app_label)s_%(class)s_unique_org_user_dedupe_key",
            ),
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(
                fields=("org", "user", "-created_at", "-id"), name="notification_user_time"
            ),
            models.Index(
                fields=("org", "user"),
                condition=models.Q(is_read=False),
                name="notification_user_unread",
            ),
            models.Index(
                fields=("org", "email_status"),
                condition=models.Q(email_status="pending"),
                name="notification_email_pending",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(OrgScopedModel):
    """How one member of an organisation wants to be reminded (in the app always; e-mail on request)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("member"),
    )
    email_reminders = models.BooleanField(
        _("also send me every reminder by e-mail"),
        default=False,
        help_text=_(
            "Task and meeting reminders, birthdays and care follow-ups, sent to the e-mail "
            "address of your account."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=("org", "user"), name="%(app_label)s_%(class)s_unique_org_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {'e-mail' if self.email_reminders else 'in-app'}"
