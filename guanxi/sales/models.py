"""Sales: leads, opportunities and their pipeline stages, targets, quotes, orders and
purchase orders (C1–C7, C11, C12).

Money is Decimal with two places; line and document totals are computed once, by
`guanxi.sales.pricing`, and stored on the rows so lists and reports never recompute them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedCharField

from guanxi.core.models import BusinessModel, OrgScopedModel, SoftDeleteModel

MONEY = {"max_digits": 14, "decimal_places": 2}
QUANTITY = {"max_digits": 14, "decimal_places": 3}
PERCENT = {
    "max_digits": 5,
    "decimal_places": 2,
    "validators": [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
}


def _owner(verbose: Any = None) -> models.ForeignKey:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=verbose or _("owner"),
    )


# --- leads and the pipeline (C1–C3) -----------------------------------------------------


class Lead(SoftDeleteModel, BusinessModel):
    """A possible customer not yet qualified (线索), converted into customer + contact +
    opportunity in one step (C1)."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        QUALIFIED = "qualified", _("Qualified")
        DISQUALIFIED = "disqualified", _("Disqualified")
        CONVERTED = "converted", _("Converted")

    title = models.CharField(_("subject"), max_length=200)
    person_name = models.CharField(_("contact person"), max_length=100, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    source = models.CharField(_("source"), max_length=20, blank=True)
    status = models.CharField(
        _("status"), max_length=15, choices=Status.choices, default=Status.NEW, db_index=True
    )
    estimated_amount = models.DecimalField(_("estimated amount"), null=True, blank=True, **MONEY)
    notes = models.TextField(_("notes"), blank=True)
    owner = _owner()
    disqualify_reason = models.CharField(_("reason"), max_length=200, blank=True)
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)
    party = models.ForeignKey(
        "parties.Party",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    contact = models.ForeignKey(
        "parties.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact"),
    )
    opportunity = models.ForeignKey(
        "Opportunity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opportunity"),
    )

    permission_type = "lead"

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ("-created_at", "-id")
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=("org", "status", "-created_at", "id"), name="lead_status_created")
        ]

    def __str__(self) -> str:
        return self.title


class PipelineStage(BusinessModel):
    """A step of the sales pipeline with its default win probability (C2)."""

    class Outcome(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    name = models.CharField(_("name"), max_length=60)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=10, validators=[MaxValueValidator(100)]
    )
    outcome = models.CharField(
        _("outcome"), max_length=5, choices=Outcome.choices, default=Outcome.OPEN
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("pipeline stage")
        verbose_name_plural = _("pipeline stages")
        ordering = ("position", "id")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=("org", "name"), name="sales_stage_unique_org_name")
        ]

    def __str__(self) -> str:
        return self.name


class Opportunity(SoftDeleteModel, BusinessModel):
    """A deal being worked on (销售机会), moving through the pipeline stages (C2)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    name = models.CharField(_("name"), max_length=200)
    party = models.ForeignKey(
        "parties.Party",
        on_delete=models.PROTECT,
        related_name="opportunities",
        verbose_name=_("customer"),
    )
    contact = models.ForeignKey(
        "parties.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact"),
    )
    stage = models.ForeignKey(
        PipelineStage, on_delete=models.PROTECT, related_name="+", verbose_name=_("stage")
    )
    status = models.CharField(
        _("status"), max_length=5, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=10, validators=[MaxValueValidator(100)]
    )
    amount = models.DecimalField(_("expected amount"), default=Decimal("0"), **MONEY)
    close_date = models.DateField(_("expected close date"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=20, blank=True)
    description = models.TextField(_("description"), blank=True)
    owner = _owner()
    stage_entered_at = models.DateTimeField(_("in stage since"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(_("reason"), max_length=200, blank=True)
    competitor = models.ForeignKey(
        "parties.Party",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("competitor"),
    )
    custom_data = models.JSONField(_("custom fields"), default=dict, blank=True)

    permission_type = "opportunity"

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ("-created_at", "-id")
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=("org", "status", "stage", "id"), name="opp_status_stage"),
            models.Index(fields=("org", "party", "-created_at"), name="opp_party"),
            models.Index(fields=("org", "owner", "status", "id"), name="opp_owner_status"),
            models.Index(fields=("org", "close_date", "id"), name="opp_close_date"),
            # The list's default and amount sorts, read in index order (no sort of all rows).
            models.Index(fields=("org", "created_at", "id"), name="opp_created"),
            models.Index(fields=("org", "amount", "id"), name="opp_amount"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("sales:opportunity_detail", args=[self.pk])


class StageChange(OrgScopedModel):
    """One move of an opportunity between stages, kept for time-in-stage and the funnel."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.ForeignKey(
        PipelineStage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to_stage = models.ForeignKey(PipelineStage, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(_("changed at"), db_index=True)
    changed_by = _owner(_("changed by"))

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ("changed_at", "id")


# --- priced lines, shared by opportunities, quotes, orders and purchase orders ----------


class PricedLine(OrgScopedModel):
    """A product line with quantity, unit price, discount and tax; amounts are computed by
    `guanxi.sales.pricing.price_line` and stored."""

    position = models.PositiveSmallIntegerField(_("position"), default=0)
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    discount_percent = models.DecimalField(_("discount (%)"), default=Decimal("0"), **PERCENT)
    tax_rate = models.DecimalField(_("tax rate (%)"), default=Decimal("0"), **PERCENT)
    net_amount = models.DecimalField(_("net amount"), default=Decimal("0"), **MONEY)
    tax_amount = models.DecimalField(_("tax"), default=Decimal("0"), **MONEY)
    total_amount = models.DecimalField(_("total"), default=Decimal("0"), **MONEY)

    class Meta:
        abstract = True
        ordering = ("position", "id")


class PricedDocument(SoftDeleteModel, BusinessModel):
    """Header fields shared by quotes, orders and purchase orders."""

    number = models.CharField(_("number"), max_length=40)
    date = models.DateField(_("date"))
    owner = _owner()
    notes = models.TextField(_("notes"), blank=True)
    subtotal = models.DecimalField(_("subtotal"), default=Decimal("0"), **MONEY)
    discount_total = models.DecimalField(_("discount"), default=Decimal("0"), **MONEY)
    tax_total = models.DecimalField(_("tax"), default=Decimal("0"), **MONEY)
    total = models.DecimalField(_("total"), default=Decimal("0"), **MONEY)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.number


class OpportunityLine(PricedLine):
    """A product the customer is interested in, on an opportunity (C2)."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="lines")

    class Meta(PricedLine.Meta):
        verbose_name = _("opportunity line")
        verbose_name_plural = _("opportunity lines")


# --- targets (C4) ------------------------------------------------------------------------


class SalesTarget(BusinessModel):
    """A sales amount to reach by one person or one team in a month, quarter or year."""

    class Period(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")
        YEAR = "year", _("Year")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    period = models.CharField(_("period"), max_length=7, choices=Period.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveSmallIntegerField(
        _("month or quarter"), default=1, help_text=_("1–12 for a month, 1–4 for a quarter.")
    )
    amount = models.DecimalField(_("target amount"), **MONEY)

    class Meta:
        verbose_name = _("sales target")
        verbose_name_plural = _("sales targets")
        ordering = ("year", "period", "number", "id")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=("org", "user", "team", "period", "year", "number"),
                name="sales_target_unique_period",
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | models.Q(team__isnull=False),
                name="sales_target_has_subject",
            ),
        ]


# --- quotes and orders (C5, C6, C12) -------------------------------------------------------


class Quote(PricedDocument):
    """A priced offer to a customer (报价单, C5)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        CONVERTED = "converted", _("Converted to order")

    party = models.ForeignKey(
        "parties.Party", on_delete=models.PROTECT, related_name="quotes", verbose_name=_("customer")
    )
    contact = models.ForeignKey(
        "parties.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact"),
    )
    opportunity = models.ForeignKey(
        Opportunity,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quotes",
        verbose_name=_("opportunity"),
    )
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    terms = models.TextField(_("terms"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    permission_type = "quote"

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ("-date", "-id")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=("org", "number"), name="sales_quote_unique_number")
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=("org", "-date", "-id"), name="quote_date"),
            models.Index(fields=("org", "party", "-date"), name="quote_party"),
        ]

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("sales:quote_detail", args=[self.pk])

    def deletion_blocker(self) -> str | None:
        if self.status == self.Status.CONVERTED:
            return str(_("This quote was converted to an order and is kept with it."))
        return None


class QuoteLine(PricedLine):
    """A line of a quote."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")

    class Meta(PricedLine.Meta):
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")


class Order(PricedDocument):
    """A sales order or contract (订单/合同, C6); a pre-order reserves stock (C12)."""

    class Kind(models.TextChoices):
        ORDER = "order", _("Order")
        PREORDER = "preorder", _("Pre-order")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        CONFIRMED = "confirmed", _("Confirmed")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    class Delivery(models.TextChoices):
        NONE = "none", _("Not delivered")
        PARTIAL = "partial", _("Partly delivered")
        FULL = "full", _("Delivered")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ORDER)
    party = models.ForeignKey(
        "parties.Party", on_delete=models.PROTECT, related_name="orders", verbose_name=_("customer")
    )
    contact = models.ForeignKey(
        "parties.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact"),
    )
    quote = models.ForeignKey(
        Quote,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("quote"),
    )
    opportunity = models.ForeignKey(
        Opportunity,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("opportunity"),
    )
    split_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="split_orders",
        verbose_name=_("split from"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    delivery_status = models.CharField(
        _("delivery"), max_length=10, choices=Delivery.choices, default=Delivery.NONE
    )
    payment_terms = models.CharField(_("payment terms"), max_length=200, blank=True)
    payment_due_days = models.PositiveSmallIntegerField(_("payment due (days)"), default=30)
    delivery_date = models.DateField(_("delivery date"), null=True, blank=True)
    warehouse = models.ForeignKey(
        "stock.Warehouse",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("warehouse"),
        help_text=_("Where a pre-order's stock is reserved and deliveries come from."),
    )
    is_locked = models.BooleanField(_("locked"), default=False)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason"), max_length=200, blank=True)

    permission_type = "order"

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ("-date", "-id")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=("org", "number"), name="sales_order_unique_number")
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=("org", "-date", "-id"), name="order_date"),
            models.Index(fields=("org", "party", "-date"), name="order_party"),
            models.Index(fields=("org", "status", "-date"), name="order_status"),
        ]

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("sales:order_detail", args=[self.pk])

    def deletion_blocker(self) -> str | None:
        if self.is_locked:
            return str(_("This order is locked. Unlock it first."))
        if self.status != self.Status.DRAFT:
            return str(_("Only draft orders can be deleted; cancel this one instead."))
        return None


class OrderLine(PricedLine):
    """A line of an order; `delivered_quantity` follows the posted deliveries and returns,
    `reserved_quantity` the stock a pre-order holds."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    delivered_quantity = models.DecimalField(_("delivered"), default=Decimal("0"), **QUANTITY)
    reserved_quantity = models.DecimalField(_("reserved"), default=Decimal("0"), **QUANTITY)

    class Meta(PricedLine.Meta):
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")


# --- purchase orders (C7) -------------------------------------------------------------------


class PurchaseOrder(PricedDocument):
    """An order to a supplier (采购订单, C7), received against by purchase receipts."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        CONFIRMED = "confirmed", _("Confirmed")
        PARTIAL = "partial", _("Partly received")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    supplier = models.ForeignKey(
        "parties.Party",
        on_delete=models.PROTECT,
        related_name="purchase_orders",
        verbose_name=_("supplier"),
    )
    expected_date = models.DateField(_("expected date"), null=True, blank=True)
    warehouse = models.ForeignKey(
        "stock.Warehouse",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("warehouse"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    contract_terms = models.TextField(_("contract terms"), blank=True)
    payment_due_days = models.PositiveSmallIntegerField(_("payment due (days)"), default=30)

    permission_type = "purchase_order"

    class Meta:
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        ordering = ("-date", "-id")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=("org", "number"), name="sales_po_unique_number")
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=("org", "-date", "-id"), name="po_date"),
            models.Index(fields=("org", "supplier", "-date"), name="po_supplier"),
        ]

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("sales:purchase_order_detail", args=[self.pk])

    def deletion_blocker(self) -> str | None:
        if self.status not in (self.Status.DRAFT, self.Status.CANCELLED):
            return str(_("Only draft and cancelled purchase orders can be deleted."))
        return None


class PurchaseOrderLine(PricedLine):
    """A line of a purchase order: list price, discount, the resulting unit price."""

    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="lines"
    )
    list_price = models.DecimalField(_("list price"), default=Decimal("0"), **MONEY)
    received_quantity = models.DecimalField(_("received"), default=Decimal("0"), **QUANTITY)

    class Meta(PricedLine.Meta):
        verbose_name = _("purchase order line")
        verbose_name_plural = _("purchase order lines")


# --- settings ---------------------------------------------------------------------------


class SalesSettings(OrgScopedModel):
    """Per-organisation sales rules: credit check, big-deal threshold, mail for quotes."""

    class CreditCheck(models.TextChoices):
        OFF = "off", _("Do not check")
        WARN = "warn", _("Warn")
        BLOCK = "block", _("Block")

    credit_check = models.CharField(
        _("credit limit check"), max_length=5, choices=CreditCheck.choices, default=CreditCheck.WARN
    )
    big_deal_threshold = models.DecimalField(
        _("big-deal threshold"),
        null=True,
        blank=True,
        help_text=_("Orders and opportunities at or above this amount notify the managers."),
        **MONEY,
    )
    quote_valid_days = models.PositiveSmallIntegerField(_("quotes valid for (days)"), default=30)
    smtp_host = models.CharField(_("SMTP server"), max_length=200, blank=True)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), default=25)
    smtp_username = models.CharField(_("SMTP user"), max_length=200, blank=True)
    # null: the encrypted field stores an empty password as NULL.
    smtp_password = EncryptedCharField(_("SMTP password"), max_length=200, blank=True, null=True)
    smtp_use_tls = models.BooleanField(_("use STARTTLS"), default=False)
    smtp_from = models.EmailField(_("sender address"), blank=True)

    class Meta:
        verbose_name = _("sales settings")
        verbose_name_plural = _("sales settings")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=("org",), name="sales_settings_one_per_org")
        ]
