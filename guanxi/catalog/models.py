"""Products and what describes them: category tree, brands, bundles and parts (D1–D3, D5).

A product is either stocked (its quantity is tracked per warehouse by the stock app) or
a non-stock item (a service, always available). Voided products (作废) stay on old
documents but cannot be put on new ones.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import BusinessModel, CategoryNode, OrgScopedModel, SoftDeleteModel

MONEY = {"max_digits": 14, "decimal_places": 2}
QUANTITY = {"max_digits": 14, "decimal_places": 3}


class ProductCategory(CategoryNode):
    """A product class: big classes at the root, small classes below (D2)."""

    class Meta(CategoryNode.Meta):
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")

    def member_count(self) -> int:
        return Product.all_objects.filter(category=self).count()


class Brand(BusinessModel):
    """A product brand (D2)."""

    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ("name", "id")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=("org", "name"), name="catalog_brand_unique_org_name")
        ]

    def __str__(self) -> str:
        return self.name


class Product(SoftDeleteModel, BusinessModel):
    """Something the organisation buys, stocks or sells (D1)."""

    class Kind(models.TextChoices):
        STOCKED = "stocked", _("Stocked item")
        SERVICE = "service", _("Non-stock item (service)")

    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    model = models.CharField(_("model"), max_length=100, blank=True)
    spec = models.CharField(_("specification"), max_length=200, blank=True)
    unit = models.CharField(_("unit"), max_length=20, default="个")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.STOCKED)
    category = models.ForeignKey(
        ProductCategory,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="products",
        verbose_name=_("category"),
    )
    brand = models.ForeignKey(
        Brand,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="products",
        verbose_name=_("brand"),
    )
    list_price = models.DecimalField(_("list price"), default=Decimal("0"), **MONEY)
    cost_price = models.DecimalField(
        _("standard cost"),
        default=Decimal("0"),
        help_text=_("Used until the first receipt sets the moving-average cost."),
        **MONEY,
    )
    tax_rate = models.DecimalField(
        _("tax rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("13"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    barcode = models.CharField(_("barcode"), max_length=64, blank=True)
    description = models.TextField(_("description"), blank=True)
    image = models.ImageField(_("image"), upload_to="products/%Y/%m/", blank=True, max_length=255)

    # --- stock behaviour (D4, D6)
    allow_backorder = models.BooleanField(
        _("allow backorders"),
        default=False,
        help_text=_("Deliveries may take stock below zero."),
    )
    serial_tracked = models.BooleanField(
        _("serial numbers"),
        default=False,
        help_text=_("Each unit carries a serial number on receipt and delivery."),
    )
    warranty_type = models.CharField(_("warranty type"), max_length=60, blank=True)
    warranty_months = models.PositiveSmallIntegerField(_("warranty (months)"), default=0)
    reorder_level = models.DecimalField(_("reorder level"), default=Decimal("0"), **QUANTITY)
    reorder_quantity = models.DecimalField(_("reorder quantity"), default=Decimal("0"), **QUANTITY)
    preferred_supplier = models.ForeignKey(
        "parties.Party",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("preferred supplier"),
    )

    # --- void (作废) and restore
    is_voided = models.BooleanField(_("voided"), default=False, db_index=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("voided by"),
    )

    custom_data = models.JSONField(_("custom fields"), default=dict, blank=True)
    search_text = models.TextField(_("search text"), blank=True, editable=False)

    permission_type = "product"

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ("code", "id")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=("org", "code"), name="catalog_product_unique_org_code")
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=("org", "name", "id"), name="product_name"),
            models.Index(fields=("org", "category", "code", "id"), name="product_category_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_stocked(self) -> bool:
        return self.kind == self.Kind.STOCKED

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("catalog:product_detail", args=[self.pk])

    def deletion_blocker(self) -> str | None:
        """Why the product may not go to the recycle bin (a component, used on documents)."""
        from guanxi.catalog.services import deletion_blocker

        return deletion_blocker(self)


class ProductComponent(OrgScopedModel):
    """A product inside another: a bundle's contents, or a spare part of a machine (D5)."""

    class Relation(models.TextChoices):
        BUNDLE = "bundle", _("Bundle content")
        PART = "part", _("Part")

    parent = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="components", verbose_name=_("product")
    )
    component = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="used_in", verbose_name=_("component")
    )
    relation = models.CharField(
        _("relation"), max_length=10, choices=Relation.choices, default=Relation.BUNDLE
    )
    quantity = models.DecimalField(_("quantity"), default=Decimal("1"), **QUANTITY)

    class Meta:
        verbose_name = _("component")
        verbose_name_plural = _("components")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=("org", "parent", "component", "relation"),
                name="catalog_component_unique",
            )
        ]


class ProductImportJob(OrgScopedModel):
    """One file imported into products (D3): mapping, dry-run report and progress.

    The same life cycle as the customers' import job (guanxi.parties.models.ImportJob),
    kept apart so each list's import history shows only its own files.
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        MAPPED = "mapped", _("Mapped")
        CHECKED = "checked", _("Checked (dry run)")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    class DuplicatePolicy(models.TextChoices):
        SKIP = "skip", _("Skip products whose code exists")
        UPDATE = "update", _("Update the existing product")

    file = models.FileField(_("file"), upload_to="imports/products/", max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    encoding = models.CharField(_("encoding"), max_length=40, blank=True)
    headers = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(default=dict, blank=True)
    duplicate_policy = models.CharField(
        _("duplicates"),
        max_length=10,
        choices=DuplicatePolicy.choices,
        default=DuplicatePolicy.SKIP,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.UPLOADED
    )
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
        verbose_name = _("product import")
        verbose_name_plural = _("product imports")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return self.original_name
