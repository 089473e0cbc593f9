"""Customers, suppliers, competitors and channels (one Party model with roles), and contacts.

A company may be a customer and a supplier at once: roles are flags on one row, and each
role's list has its own category tree (PartyCategory.tree).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedTextField

from guanxi.core.models import BusinessModel, CategoryNode, OrgScopedModel, SoftDeleteModel


class PartyRole(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    SUPPLIER = "supplier", _("Supplier")
    COMPETITOR = "competitor", _("Competitor")
    CHANNEL = "channel", _("Channel / distributor")


# The Party column holding each role's category.
CATEGORY_FIELD_BY_ROLE: dict[str, str] = {
    PartyRole.CUSTOMER: "category",
    PartyRole.SUPPLIER: "supplier_category",
    PartyRole.COMPETITOR: "competitor_category",
    PartyRole.CHANNEL: "channel_category",
}
ROLE_FLAG: dict[str, str] = {
    PartyRole.CUSTOMER: "is_customer",
    PartyRole.SUPPLIER: "is_supplier",
    PartyRole.COMPETITOR: "is_competitor",
    PartyRole.CHANNEL: "is_channel",
}


class PartyCategory(CategoryNode):
    """A category in one role's tree, e.g. 华东区 › 上海 for customers (B2, B13, B14)."""

    tree = models.CharField(
        _("list"),
        max_length=20,
        choices=PartyRole.choices,
        default=PartyRole.CUSTOMER,
        db_index=True,
    )

    class Meta(CategoryNode.Meta):
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def member_count(self) -> int:
        field = CATEGORY_FIELD_BY_ROLE[self.tree]
        return Party.objects.filter(**{field: self}).count()


class Party(SoftDeleteModel, BusinessModel):
    """A person or company the business deals with: customer, supplier, competitor, channel."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        PERSON = "person", _("Individual")

    class CustomerType(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprise")
        INDIVIDUAL = "individual", _("Individual consumer")
        GOVERNMENT = "government", _("Government / institution")
        DEALER = "dealer", _("Dealer")
        OTHER = "other", _("Other")

    class Level(models.TextChoices):
        KEY = "key", _("Key account")
        IMPORTANT = "important", _("Important")
        NORMAL = "normal", _("Normal")
        LOW = "low", _("Low priority")

    class Source(models.TextChoices):
        REFERRAL = "referral", _("Referral")
        WEBSITE = "website", _("Website")
        EXHIBITION = "exhibition", _("Exhibition")
        ADVERTISING = "advertising", _("Advertising")
        COLD_CALL = "cold_call", _("Cold call")
        PARTNER = "partner", _("Partner")
        SOCIAL = "social", _("WeChat / social media")
        WALK_IN = "walk_in", _("Walk-in")
        OTHER = "other", _("Other")

    class Settlement(models.TextChoices):
        CASH = "cash", _("Cash")
        PREPAID = "prepaid", _("Prepaid")
        CREDIT = "credit", _("Credit")

    class Gender(models.TextChoices):
        UNKNOWN = "", _("Unknown")
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    # --- identity and roles
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.COMPANY)
    name = models.CharField(_("full name"), max_length=200)
    short_name = models.CharField(
        _("short name"),
        max_length=100,
        blank=True,
        help_text=_("Used for the A–Z index; defaults to the full name."),
    )
    code = models.CharField(_("code"), max_length=40, blank=True)
    index_letter = models.CharField(_("index letter"), max_length=1, default="#", editable=False)
    is_customer = models.BooleanField(_("customer"), default=True)
    is_supplier = models.BooleanField(_("supplier"), default=False)
    is_competitor = models.BooleanField(_("competitor"), default=False)
    is_channel = models.BooleanField(_("channel"), default=False)
    category = models.ForeignKey(
        PartyCategory,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer category"),
    )
    supplier_category = models.ForeignKey(
        PartyCategory,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("supplier category"),
    )
    competitor_category = models.ForeignKey(
        PartyCategory,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("competitor category"),
    )
    channel_category = models.ForeignKey(
        PartyCategory,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("channel category"),
    )

    # --- classification (B1)
    customer_type = models.CharField(
        _("type"), max_length=20, choices=CustomerType.choices, default=CustomerType.ENTERPRISE
    )
    level = models.CharField(_("level"), max_length=20, choices=Level.choices, default=Level.NORMAL)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
        help_text=_("Empty while the customer is in the shared pool."),
    )
    settlement_type = models.CharField(
        _("settlement"), max_length=10, choices=Settlement.choices, default=Settlement.CASH
    )
    credit_limit = models.DecimalField(
        _("credit limit"), max_digits=14, decimal_places=2, null=True, blank=True
    )

    # --- personal information (个人信息)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    mobile = models.CharField(_("mobile"), max_length=32, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), max_length=200, blank=True)
    wechat = models.CharField(_("WeChat ID"), max_length=40, blank=True)
    qq = models.CharField(_("QQ"), max_length=20, blank=True)

    # --- company information (单位信息)
    company_name = models.CharField(_("company"), max_length=200, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    company_size = models.CharField(_("company size"), max_length=40, blank=True)
    website = models.URLField(_("website"), max_length=200, blank=True)
    fax = models.CharField(_("fax"), max_length=32, blank=True)
    country = models.CharField(_("country"), max_length=60, blank=True, default="中国")
    province = models.CharField(_("province"), max_length=40, blank=True)
    city = models.CharField(_("city"), max_length=40, blank=True, db_index=False)
    district = models.CharField(_("district"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    postcode = models.CharField(_("postcode"), max_length=12, blank=True)

    # --- family information (家庭信息)
    home_address = models.CharField(_("home address"), max_length=255, blank=True)
    home_phone = models.CharField(_("home phone"), max_length=32, blank=True)
    spouse = models.CharField(_("spouse"), max_length=100, blank=True)
    children = models.CharField(_("children"), max_length=200, blank=True)
    family_notes = models.TextField(_("family notes"), blank=True)

    # --- other information and profile (其它信息, B17)
    background = models.TextField(_("background"), blank=True)
    decision_makers = models.TextField(_("decision makers"), blank=True)
    budget = models.CharField(_("budget"), max_length=100, blank=True)
    purchase_timeline = models.CharField(_("purchase timeline"), max_length=100, blank=True)
    interests = models.TextField(_("personal interests"), blank=True)
    upstream_partners = models.TextField(_("upstream partners"), blank=True)
    downstream_partners = models.TextField(_("downstream partners"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    # --- custom fields (B4)
    custom_data = models.JSONField(_("custom fields"), default=dict, blank=True)
    adhoc_fields = models.JSONField(
        _("extra fields"),
        default=list,
        blank=True,
        help_text=_("Fields added to this record only."),
    )

    # --- protection (B6, B7)
    is_locked = models.BooleanField(_("locked"), default=False)
    is_restricted = models.BooleanField(_("restricted"), default=False)
    # Sensitive fields of a restricted customer, as encrypted JSON; the plain columns
    # are blanked while the record is restricted.
    restricted_payload = EncryptedTextField(_("restricted data"), blank=True, null=True)
    # HMAC of the restricted phone numbers, so a restricted customer is still found
    # (and deduplicated) by an exact phone number without decrypting anything.
    restricted_phone_index = models.CharField(max_length=200, blank=True)

    # --- search and activity bookkeeping
    search_text = models.TextField(_("search text"), blank=True, editable=False)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    pool_entered_at = models.DateTimeField(_("in pool since"), null=True, blank=True)
    tags = models.ManyToManyField(
        "core.Tag", through="PartyTag", related_name="+", blank=True, verbose_name=_("tags")
    )

    permission_type = "party"

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ("short_name", "id")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=("org", "code"),
                condition=~models.Q(code=""),
                name="%(app_label)s_%(class)s_unique_org_code",
            ),
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(
                fields=("org", "is_customer", "short_name", "id"), name="party_customer_name"
            ),
            models.Index(fields=("org", "owner", "short_name", "id"), name="party_owner_name"),
            models.Index(
                fields=("org", "index_letter", "short_name", "id"), name="party_letter_name"
            ),
            models.Index(
                fields=("org", "category", "short_name", "id"), name="party_category_name"
            ),
            models.Index(fields=("org", "-created_at", "id"), name="party_created"),
            models.Index(fields=("org", "last_contact_at", "id"), name="party_last_contact"),
        ]

    def __str__(self) -> str:
        return self.short_name or self.name

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    def deletion_blocker(self) -> str | None:
        if self.is_locked:
            return str(_("This customer is locked. Unlock it before deleting it."))
        return None

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("parties:party_detail", args=[self.pk])


class PartyTag(OrgScopedModel):
    """A tag on a party."""

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="party_tags")
    tag = models.ForeignKey("core.Tag", on_delete=models.CASCADE, related_name="party_tags")

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=("org", "party", "tag"), name="%(app_label)s_%(class)s_unique_org_party_tag"
            ),
        ]


class Contact(SoftDeleteModel, BusinessModel):
    """A person at a customer or supplier (B9): role, phones, e-mail, WeChat, birthday."""

    class BirthdayCalendar(models.TextChoices):
        SOLAR = "solar", _("Solar (Gregorian)")
        LUNAR = "lunar", _("Lunar (农历)")

    party = models.ForeignKey(
        Party, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("customer")
    )
    name = models.CharField(_("name"), max_length=100)
    gender = models.CharField(_("gender"), max_length=10, choices=Party.Gender.choices, blank=True)
    role = models.CharField(
        _("role"), max_length=60, blank=True, help_text=_("e.g. purchasing manager, decision maker")
    )
    department = models.CharField(_("department"), max_length=100, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    mobile = models.CharField(_("mobile"), max_length=32, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), max_length=200, blank=True)
    wechat = models.CharField(_("WeChat ID"), max_length=40, blank=True)
    qq = models.CharField(_("QQ"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Birthday: a solar date, or a lunar month/day (+ leap month flag) with an optional year.
    birthday_calendar = models.CharField(
        _("birthday calendar"),
        max_length=10,
        choices=BirthdayCalendar.choices,
        default=BirthdayCalendar.SOLAR,
    )
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    lunar_birth_year = models.PositiveSmallIntegerField(
        _("lunar birth year"), null=True, blank=True
    )
    lunar_birth_month = models.PositiveSmallIntegerField(_("lunar month"), null=True, blank=True)
    lunar_birth_day = models.PositiveSmallIntegerField(_("lunar day"), null=True, blank=True)
    lunar_birth_leap = models.BooleanField(_("leap month"), default=False)
    birthday_reminder = models.BooleanField(_("birthday reminder"), default=False)
    reminder_days_before = models.PositiveSmallIntegerField(_("remind days before"), default=3)
    custom_data = models.JSONField(_("custom fields"), default=dict, blank=True)
    search_text = models.TextField(_("search text"), blank=True, editable=False)

    permission_type = "contact"

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ("-is_primary", "name", "id")
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=("org", "party", "name"), name="contact_party_name"),
            models.Index(fields=("org", "name", "id"), name="contact_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("parties:contact_detail", args=[self.pk])


class PartyGroup(BusinessModel):
    """A static list of customers (B18), e.g. "2026 trade-fair visitors"."""

    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=255, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        ordering = ("name",)
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=("org", "name"), name="%(app_label)s_%(class)s_unique_org_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PartyGroupMember(OrgScopedModel):
    """A customer in a static group."""

    group = models.ForeignKey(PartyGroup, on_delete=models.CASCADE, related_name="members")
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="group_memberships")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=("org", "group", "party"),
                name="%(app_label)s_%(class)s_unique_org_group_party",
            ),
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=("org", "party"), name="groupmember_party"),
        ]


class Segment(BusinessModel):
    """A saved filter that acts as a live segment of customers (B18); used by marketing."""

    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=255, blank=True)
    # The list page's query string (filters only), re-applied each time the segment is used.
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    is_shared = models.BooleanField(_("shared with the organisation"), default=False)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ("name",)
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=("org", "name"), name="%(app_label)s_%(class)s_unique_org_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PartyVisit(OrgScopedModel):
    """How often and how recently a user opened a party, and whether they pinned it (B3)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="+")
    visits = models.PositiveIntegerField(default=0)
    last_visited_at = models.DateTimeField(null=True, blank=True)
    pinned = models.BooleanField(default=False)

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=("org", "user", "party"),
                name="%(app_label)s_%(class)s_unique_org_user_party",
            ),
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=("org", "user", "-last_visited_at"), name="visit_recent"),
            models.Index(fields=("org", "user", "-visits"), name="visit_frequent"),
        ]


class PoolEvent(OrgScopedModel):
    """A customer entering or leaving the shared pool (公海, K1), for per-rep reports."""

    class Kind(models.TextChoices):
        RETURNED = "returned", _("Returned to the pool (no follow-up)")
        RELEASED = "released", _("Released by the owner")
        CLAIMED = "claimed", _("Claimed from the pool")
        HANDED_OVER = "handed_over", _("Handed over")

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="pool_events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=("org", "at"), name="poolevent_at"),
        ]


class PartySettings(OrgScopedModel):
    """Per-organisation settings of the customers area: pool rules, restricted password."""

    pool_after_days = models.PositiveIntegerField(
        _("return to the pool after days without follow-up"),
        default=30,
        help_text=_("0 switches the automatic return off."),
    )
    pool_claim_limit = models.PositiveIntegerField(
        _("most customers a rep may own"),
        default=200,
        help_text=_("Claiming from the pool stops at this number. 0 means no limit."),
    )
    restricted_password = models.CharField(
        _("restricted-records password"),
        max_length=200,
        blank=True,
        help_text=_("Stored as a hash."),
    )

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=("org",), name="%(app_label)s_%(class)s_unique_org"),
        ]


class ImportJob(OrgScopedModel):
    """One file imported into customers or contacts: mapping, dry-run report and progress."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        MAPPED = "mapped", _("Mapped")
        CHECKED = "checked", _("Checked (dry run)")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    class DuplicatePolicy(models.TextChoices):
        SKIP = "skip", _("Skip duplicates")
        MERGE = "merge", _("Update the existing record")
        CREATE = "create", _("Create anyway")

    target = models.CharField(max_length=20, default="party")
    file = models.FileField(upload_to="imports/", max_length=255)
    original_name = models.CharField(max_length=255)
    encoding = models.CharField(max_length=40, blank=True)
    headers = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(default=dict, blank=True)
    duplicate_policy = models.CharField(
        max_length=10, choices=DuplicatePolicy.choices, default=DuplicatePolicy.SKIP
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)


class RestrictedReveal(OrgScopedModel):
    """One look at a restricted customer's sensitive fields (B7): who, when and why.

    Shown in the record's history tab; written by guanxi.parties.restricted.
    """

    class Purpose(models.TextChoices):
        VIEW = "view", _("Viewed")
        EDIT = "edit", _("Opened for editing")
        UNRESTRICT = "unrestrict", _("Unrestricted")

    party = models.ForeignKey(
        Party,
        on_delete=models.CASCADE,
        related_name="restricted_reveals",
        verbose_name=_("customer"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    purpose = models.CharField(
        _("purpose"), max_length=20, choices=Purpose.choices, default=Purpose.VIEW
    )
    revealed_at = models.DateTimeField(_("revealed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("restricted-field reveal")
        verbose_name_plural = _("restricted-field reveals")
        ordering = ("-revealed_at", "-id")
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=("org", "party", "-revealed_at"), name="reveal_party_at"),
        ]

    def __str__(self) -> str:
        return f"{self.party_id} {self.purpose} {self.revealed_at:%Y-%m-%d %H:%M}"
