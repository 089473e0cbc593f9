"""Stock: warehouses, stock documents with posting (过帐), the stock ledger, stock levels,
serial-numbered units and reservations (C8, C12, D4, D6).

A document is written as a draft, then posted by `guanxi.stock.posting.post_document`,
which in one transaction writes the stock ledger, the stock levels (moving-average cost)
and the party ledger. A posted document is never edited: it is reversed by a new
document with the opposite movements, and a correction is posted as a third document.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import BusinessModel, OrgScopedModel
from guanxi.sales.models import MONEY, QUANTITY, PricedLine

COST = {"max_digits": 18, "decimal_places": 6}


class Warehouse(BusinessModel):
    """A place stock is kept (仓库)."""

    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_default = models.BooleanField(_("default"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ("code", "id")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=("org", "code"), name="stock_warehouse_unique_code"),
            models.UniqueConstraint(
                fields=("org",),
                condition=models.Q(is_default=True),
                name="stock_warehouse_one_default",
            ),
        ]

    def __str__(self) -> str:
        return self.name


# The analysis's per-customer sales aggregation reads only these columns of a document.
SALES_COVERING_FIELDS = (
    "org", "party", "kind", "status", "date", "total", "tax_total", "cost_total", "reverses",
)  # fmt: skip


class StockDocument(BusinessModel):
    """A stock movement document: receipt, delivery, returns, transfer or adjustment."""

    class Kind(models.TextChoices):
        PURCHASE_RECEIPT = "purchase_receipt", _("Purchase receipt")
        SALES_DELIVERY = "sales_delivery", _("Sales delivery")
        SALES_RETURN = "sales_return", _("Sales return")
        PURCHASE_RETURN = "purchase_return", _("Purchase return")
        TRANSFER = "transfer", _("Stock transfer")
        ADJUSTMENT = "adjustment", _("Stock adjustment")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        POSTED = "posted", _("Posted")
        REVERSED = "reversed", _("Reversed")

    number = models.CharField(_("number"), max_length=40)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    date = models.DateField(_("date"))
    party = models.ForeignKey(
        "parties.Party",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stock_documents",
        verbose_name=_("customer or supplier"),
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="+", verbose_name=_("warehouse")
    )
    to_warehouse = models.ForeignKey(
        Warehouse,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("to warehouse"),
    )
    order = models.ForeignKey(
        "sales.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stock_documents",
        verbose_name=_("order"),
    )
    purchase_order = models.ForeignKey(
        "sales.PurchaseOrder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stock_documents",
        verbose_name=_("purchase order"),
    )
    # A reversal points at the document it cancels; a correction at the one it replaces.
    reverses = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversals",
        verbose_name=_("reverses"),
    )
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects"),
    )
    # A sales return points at the delivery it takes back, a purchase return at the receipt.
    return_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="returns",
        verbose_name=_("returned against"),
    )
    due_date = models.DateField(_("payment due"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    subtotal = models.DecimalField(_("subtotal"), default=Decimal("0"), **MONEY)
    discount_total = models.DecimalField(_("discount"), default=Decimal("0"), **MONEY)
    tax_total = models.DecimalField(_("tax"), default=Decimal("0"), **MONEY)
    total = models.DecimalField(_("total"), default=Decimal("0"), **MONEY)
    # Σ round(quantity × unit_cost, 2) over the lines, written at posting (the lines'
    # costs are known only then): gross profit per document without reading its lines.
    cost_total = models.DecimalField(_("cost of goods"), default=Decimal("0"), **MONEY)
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("posted by"),
    )

    permission_type = "stock_document"

    class Meta:
        verbose_name = _("stock document")
        verbose_name_plural = _("stock documents")
        ordering = ("-date", "-id")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=("org", "number"), name="stock_document_unique_number"),
            models.UniqueConstraint(
                fields=("org", "reverses"), name="stock_document_reversed_once"
            ),
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=("org", "kind", "-date", "-id"), name="stockdoc_kind_date"),
            models.Index(fields=("org", "party", "-date"), name="stockdoc_party"),
            # Covers the per-customer sales aggregation of the analysis (RFM, revenue,
            # gross profit): read in party order from the index alone, no table rows.
            models.Index(fields=SALES_COVERING_FIELDS, name="stockdoc_party_sales"),
            # The organisation's latest posting: the dashboard's cache key.
            models.Index(fields=("org", "posted_at"), name="stockdoc_posted_at"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("stock:document_detail", args=[self.pk])


class StockDocumentLine(PricedLine):
    """A product line of a stock document; `unit_cost` is the cost the posting used."""

    document = models.ForeignKey(StockDocument, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        "sales.OrderLine", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    purchase_order_line = models.ForeignKey(
        "sales.PurchaseOrderLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # On a return: the delivery or receipt line it takes back (its cost and order line).
    source_line = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unit_cost = models.DecimalField(_("unit cost"), default=Decimal("0"), **COST)
    # How much of a pre-order line's reservation this delivery line consumed (posting
    # fills it; a reversal gives it back).
    reservation_consumed = models.DecimalField(default=Decimal("0"), **QUANTITY)
    # For adjustments: the signed change (a count found 2 short is -2); other kinds
    # use the positive `quantity` and the document kind gives the direction.
    serials = models.JSONField(_("serial numbers"), default=list, blank=True)

    class Meta(PricedLine.Meta):
        verbose_name = _("stock document line")
        verbose_name_plural = _("stock document lines")


class StockLedgerEntry(OrgScopedModel):
    """One movement of one product in one warehouse, written only by posting.

    Quantity and value are signed (+ in, − out); stock on hand is their sum.
    """

    document = models.ForeignKey(StockDocument, on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(StockDocumentLine, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    party = models.ForeignKey(
        "parties.Party", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=StockDocument.Kind.choices)
    date = models.DateField()
    quantity = models.DecimalField(**QUANTITY)
    unit_cost = models.DecimalField(**COST)
    value = models.DecimalField(max_digits=18, decimal_places=2)
    sales_amount = models.DecimalField(
        default=Decimal("0"),
        help_text=(
            "Net sales (deliveries) or purchase (receipts) amount of the line, without tax; "
            "negative on returns and reversals, zero on transfers and adjustments."
        ),
        **MONEY,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stock ledger entry")
        verbose_name_plural = _("stock ledger entries")
        ordering = ("date", "id")
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=("org", "product", "warehouse", "date"), name="ledger_product"),
            # A product's ledger across warehouses, newest first (and its running balance).
            models.Index(fields=("org", "product", "date", "id"), name="ledger_product_date"),
            models.Index(fields=("org", "party", "date"), name="ledger_party"),
            models.Index(fields=("org", "kind", "date"), name="ledger_kind_date"),
        ]


class StockLevel(OrgScopedModel):
    """Quantity on hand, reserved quantity and moving-average cost of a product in a
    warehouse: the running balance posting keeps in step with the ledger."""

    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="+")
    on_hand = models.DecimalField(_("on hand"), default=Decimal("0"), **QUANTITY)
    reserved = models.DecimalField(_("reserved"), default=Decimal("0"), **QUANTITY)
    average_cost = models.DecimalField(_("average cost"), default=Decimal("0"), **COST)

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=("org", "product", "warehouse"), name="stock_level_unique"
            )
        ]


class SerialUnit(BusinessModel):
    """One serial-numbered unit of a product: where it came from, who has it, its warranty."""

    class Status(models.TextChoices):
        IN_STOCK = "in_stock", _("In stock")
        SOLD = "sold", _("Sold")
        RETURNED_TO_SUPPLIER = "returned", _("Returned to supplier")
        WRITTEN_OFF = "removed", _("Written off")
        CANCELLED = "cancelled", _("Receipt reversed")

    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    serial = models.CharField(_("serial number"), max_length=80)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.IN_STOCK
    )
    warehouse = models.ForeignKey(
        Warehouse,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("warehouse"),
    )
    supplier = models.ForeignKey(
        "parties.Party",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("supplier"),
    )
    customer = models.ForeignKey(
        "parties.Party",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="serial_units",
        verbose_name=_("customer"),
    )
    received_on = models.DateField(_("received on"), null=True, blank=True)
    sale_date = models.DateField(_("sale date"), null=True, blank=True)
    warranty_type = models.CharField(_("warranty type"), max_length=60, blank=True)
    warranty_end = models.DateField(_("warranty ends"), null=True, blank=True)

    class Meta:
        verbose_name = _("serial-numbered unit")
        verbose_name_plural = _("serial-numbered units")
        ordering = ("serial", "id")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=("org", "product", "serial"), name="stock_serial_unique")
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=("org", "serial", "id"), name="serial_lookup"),
        ]

    def __str__(self) -> str:
        return self.serial


class SerialMovement(OrgScopedModel):
    """A unit's appearance on a posted document: its history, in order."""

    unit = models.ForeignKey(SerialUnit, on_delete=models.CASCADE, related_name="movements")
    document = models.ForeignKey(StockDocument, on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    direction = models.SmallIntegerField(
        help_text="+1 into stock, -1 out of stock, 0 moved between warehouses"
    )
    # The unit's fields before this movement, so a reversal restores them exactly.
    previous_state = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("serial movement")
        verbose_name_plural = _("serial movements")
        ordering = ("date", "id")
