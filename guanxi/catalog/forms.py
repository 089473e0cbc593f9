"""Forms of the product pages: add/edit a product, brands, components, import.

The forms parse and shape input; the services validate the business rules and their
field errors are put back on these forms by `add_service_errors`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from guanxi.catalog.models import (
    Brand,
    Product,
    ProductCategory,
    ProductComponent,
    ProductImportJob,
)
from guanxi.catalog.services import MAX_IMAGE_BYTES
from guanxi.core.models import CustomField
from guanxi.parties.models import Party
from guanxi.parties.record_forms import CustomFieldsMixin, FormSection, add_service_errors
from guanxi.web.forms import StyledFormMixin

__all__ = [
    "BrandForm",
    "ComponentForm",
    "ProductForm",
    "ProductImportMappingForm",
    "ProductImportUploadForm",
    "add_service_errors",
]

# The grouped sections of the product form, in the lab manual's order (商品资料).
PRODUCT_SECTIONS: list[tuple[str, Promise, list[str]]] = [
    (
        "basic",
        _("Basic information"),
        [
            "code",
            "name",
            "model",
            "spec",
            "unit",
            "kind",
            "category",
            "brand",
            "barcode",
            "image",
            "description",
        ],
    ),
    ("prices", _("Prices and tax"), ["list_price", "cost_price", "tax_rate"]),
    (
        "stock",
        _("Stock behaviour"),
        [
            "allow_backorder",
            "serial_tracked",
            "warranty_type",
            "warranty_months",
            "reorder_level",
            "reorder_quantity",
            "preferred_supplier",
        ],
    ),
]
MODEL_FIELDS = [name for _key, _title, names in PRODUCT_SECTIONS for name in names]
FOREIGN_KEYS = {"category", "brand", "preferred_supplier"}
WIDE = {"description", "image"}
OPTIONAL_ZERO = ("cost_price", "warranty_months", "reorder_level", "reorder_quantity")


class _CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return "\u3000" * max(obj.depth - 1, 0) + obj.name


class ProductForm(CustomFieldsMixin, StyledFormMixin, forms.ModelForm):
    """Add or edit a product, in grouped sections plus the custom fields."""

    custom_target = CustomField.Target.PRODUCT
    # Declared rather than generated: a generated field would query its (org-scoped)
    # model when the class is built, outside any organisation.
    category = _CategoryChoiceField(label=_("Category"), queryset=None, required=False)
    brand = forms.ModelChoiceField(label=_("Brand"), queryset=None, required=False)
    preferred_supplier = forms.ModelChoiceField(
        label=_("Preferred supplier"), queryset=None, required=False
    )
    image = forms.ImageField(
        label=_("Image"),
        required=False,
        help_text=_("A JPEG, PNG, GIF or WebP picture, at most 5 MB."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Product
        fields = [name for name in MODEL_FIELDS if name not in FOREIGN_KEYS | {"image"}]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "list_price": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
            "cost_price": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
            "tax_rate": forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "100"}),
            "reorder_level": forms.NumberInput(attrs={"step": "any", "min": "0"}),
            "reorder_quantity": forms.NumberInput(attrs={"step": "any", "min": "0"}),
            "warranty_months": forms.NumberInput(attrs={"min": "0", "max": "240"}),
            "kind": forms.RadioSelect,
        }

    def __init__(self, *args: Any, org: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance: Product = self.instance
        self.org = org
        if instance.pk:
            self.initial.setdefault("version", instance.version)
            # Declared fields are not filled from the instance by ModelForm.
            for name in ("category", "brand", "preferred_supplier"):
                self.initial.setdefault(name, getattr(instance, f"{name}_id"))
            self.initial.setdefault("image", instance.image)
        self.fields["category"].queryset = ProductCategory.objects.filter(org=org).order_by("path")
        self.fields["brand"].queryset = Brand.objects.filter(org=org).order_by("name")
        suppliers = Party.objects.filter(org=org, is_supplier=True)
        if instance.preferred_supplier_id:
            suppliers = suppliers | Party.objects.filter(pk=instance.preferred_supplier_id)
        self.fields["preferred_supplier"].queryset = suppliers.order_by("short_name", "id")
        self.fields["code"].required = True
        # Empty means none: no warranty, no reorder level, no standard cost yet.
        for name in OPTIONAL_ZERO:
            self.fields[name].required = False
        self.add_custom_fields(org, instance.custom_data or {})

    def _post_clean(self) -> None:
        # The service validates the product (with its own messages) inside its
        # transaction; the form only parses.
        return

    def clean_image(self) -> Any:
        image = self.cleaned_data.get("image")
        if image and getattr(image, "size", 0) > MAX_IMAGE_BYTES:
            raise forms.ValidationError(_("The image is too large: keep it under 5 MB."))
        return image

    def product_data(self) -> dict[str, Any]:
        """Return the service's `data` from the cleaned form."""
        cleaned = self.cleaned_data
        data: dict[str, Any] = {
            name: cleaned[name]
            for name in MODEL_FIELDS
            if name in self.fields and name in cleaned and name != "image"
        }
        image = cleaned.get("image")
        if image is False:  # "clear" ticked
            data["image"] = ""
        elif (
            image
            and image is not getattr(self.instance, "image", None)
            and hasattr(image, "content_type")
        ):
            data["image"] = image
        for name in OPTIONAL_ZERO:
            if name in data and data[name] is None:
                data[name] = 0 if name == "warranty_months" else Decimal("0")
        for name in ("model", "spec", "barcode", "warranty_type", "description"):
            if data.get(name) is None and name in data:
                data[name] = ""
        data["custom_data"] = self.custom_data(self.instance.custom_data or {})
        return data

    def sections(self) -> list[FormSection]:
        result = []
        for key, title, names in PRODUCT_SECTIONS:
            bound = [self[name] for name in names if name in self.fields]
            if bound:
                result.append(FormSection(key=key, title=title, fields=bound, wide=WIDE | {"kind"}))
        return result


class BrandForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Brand name"), max_length=100)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ComponentForm(StyledFormMixin, forms.Form):
    """Add a product to a bundle (or as a part): the product, the quantity, the relation."""

    component = forms.ModelChoiceField(label=_("Product"), queryset=None)
    quantity = forms.DecimalField(
        label=_("Quantity"),
        max_digits=14,
        decimal_places=3,
        min_value=0,
        initial=1,
        widget=forms.NumberInput(attrs={"step": "any", "min": "0"}),
    )
    relation = forms.ChoiceField(
        label=_("Relation"),
        choices=ProductComponent.Relation.choices,
        initial=ProductComponent.Relation.BUNDLE,
    )

    def __init__(self, *args: Any, parent: Product, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["component"].queryset = (
            Product.objects.filter(org_id=parent.org_id, is_voided=False)
            .exclude(pk=parent.pk)
            .order_by("code", "id")
        )
        self.fields["component"].label_from_instance = lambda p: f"{p.code} {p.name}"


class ProductImportUploadForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("A .csv (UTF-8 or GBK, as Excel saves it), .xlsx or .xls file."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx,.xls"}),
    )


class ProductImportMappingForm(StyledFormMixin, forms.Form):
    """One select per file column, plus what to do with codes that exist."""

    duplicate_policy = forms.ChoiceField(
        label=_("Rows whose code is already a product"),
        choices=ProductImportJob.DuplicatePolicy.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Update overwrites the existing product's fields with the file's non-empty values."
        ),
    )
    create_categories = forms.BooleanField(
        label=_("Create categories the file names that do not exist yet"), required=False
    )
    create_brands = forms.BooleanField(
        label=_("Create brands the file names that do not exist yet"), required=False
    )

    def __init__(
        self,
        *args: Any,
        headers: list[str],
        choices: list[tuple[str, str]],
        samples: list[list[str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers
        self.samples = samples or []
        options = [("", _("— do not import —")), *choices]
        for index, header in enumerate(headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header or _("(column %(n)s)") % {"n": index + 1},
                choices=options,
                required=False,
            )

    def columns(self) -> list[str]:
        return [self.cleaned_data.get(f"col_{i}") or "" for i in range(len(self.headers))]

    def column_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "header": header,
                "field": self[f"col_{index}"],
                "samples": [s[index] for s in self.samples if index < len(s) and s[index]],
            }
            for index, header in enumerate(self.headers)
        ]
