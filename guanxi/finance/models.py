"""Money: receipts and payments, their allocation to documents, and the party ledger
behind receivables, payables and ageing (C9).

The party ledger is written only by posting: stock posting writes sales, returns and
purchases; money posting writes receipts and payments. Amounts are signed so that the
sum per party and book is the balance: receivable (what a customer owes us) and
payable (what we owe a supplier).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import BusinessModel, OrgScopedModel
from guanxi.sales.models import MONEY


class MoneyDocument(BusinessModel):
    """A receipt from a customer (收款单) or a payment to a supplier (付款单)."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Receipt")
        PAYMENT = "payment", _("Payment")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        POSTED = "posted", _("Posted")
        REVERSED = "reversed", _("Reversed")

    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        BANK = "bank", _("Bank transfer")
        WECHAT = "wechat", _("WeChat Pay")
        ALIPAY = "alipay", _("Alipay")
        OTHER = "other", _("Other")

    number = models.CharField(_("number"), max_length=40)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    party = models.ForeignKey(
        "parties.Party",
        on_delete=models.PROTECT,
        related_name="money_documents",
        verbose_name=_("customer or supplier"),
    )
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), **MONEY)
    method = models.CharField(
        _("method"), max_length=10, choices=Method.choices, default=Method.BANK
    )
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    reverses = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversals",
        verbose_name=_("reverses"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    # The date of the reversal that cancelled this document (kept here so "as of" a day
    # needs no look-up of the reversal).
    reversed_on = models.DateField(_("reversed on"), null=True, blank=True)

    permission_type = "money_document"

    class Meta:
        verbose_name = _("receipt or payment")
        verbose_name_plural = _("receipts and payments")
        ordering = ("-date", "-id")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=("org", "number"), name="finance_money_unique_number"),
            models.UniqueConstraint(fields=("org", "reverses"), name="finance_money_reversed_once"),
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=("org", "party", "-date"), name="money_party"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("finance:money_detail", args=[self.pk])


class Allocation(OrgScopedModel):
    """The part of a receipt or payment that settles one stock document (a delivery,
    a receipt of goods) or one order (an advance); what is not allocated is on account."""

    money_document = models.ForeignKey(
        MoneyDocument, on_delete=models.CASCADE, related_name="allocations"
    )
    stock_document = models.ForeignKey(
        "stock.StockDocument",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="allocations",
    )
    order = models.ForeignKey(
        "sales.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="allocations"
    )
    purchase_order = models.ForeignKey(
        "sales.PurchaseOrder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="allocations",
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    # The day the allocation takes effect: the money document's date, or the day an
    # on-account remainder of a posted document was allocated later. Open items "as of"
    # a day count only allocations made by then.
    date = models.DateField(_("allocated on"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ("id",)
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="finance_allocation_positive"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        stock_document__isnull=False,
                        order__isnull=True,
                        purchase_order__isnull=True,
                    )
                    | models.Q(
                        stock_document__isnull=True,
                        order__isnull=False,
                        purchase_order__isnull=True,
                    )
                    | models.Q(
                        stock_document__isnull=True,
                        order__isnull=True,
                        purchase_order__isnull=False,
                    )
                ),
                name="finance_allocation_one_target",
            ),
        ]


class PartyLedgerEntry(OrgScopedModel):
    """One change of what a party owes us (receivable) or we owe it (payable)."""

    class Book(models.TextChoices):
        RECEIVABLE = "receivable", _("Receivable")
        PAYABLE = "payable", _("Payable")

    party = models.ForeignKey("parties.Party", on_delete=models.PROTECT, related_name="+")
    book = models.CharField(max_length=10, choices=Book.choices)
    date = models.DateField()
    due_date = models.DateField(null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    stock_document = models.ForeignKey(
        "stock.StockDocument", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    money_document = models.ForeignKey(
        MoneyDocument, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("party ledger entry")
        verbose_name_plural = _("party ledger entries")
        ordering = ("date", "id")
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=("org", "book", "party", "date"), name="partyledger_party"),
        ]


class DataResetLog(OrgScopedModel):
    """One "clear sales and stock data" of an organisation (A4): who, when, what went."""

    class Kind(models.TextChoices):
        SALES_AND_STOCK = "sales_stock", _("Clear sales and stock data")

    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.SALES_AND_STOCK
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    created_at = models.DateTimeField(_("done at"), auto_now_add=True)
    # {"sales.order": 12, …}: how many rows of each kind were deleted.
    counts = models.JSONField(_("deleted rows"), default=dict)

    class Meta:
        verbose_name = _("data reset")
        verbose_name_plural = _("data resets")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"
