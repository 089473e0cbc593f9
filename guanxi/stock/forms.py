"""Forms of the stock pages. They collect input; the services decide what is valid and
their field errors ("lines.0.quantity") are put back on the right form field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from guanxi.catalog.models import Product, ProductCategory
from guanxi.parties.selectors import visible_parties
from guanxi.stock.models import SerialUnit, StockDocument, Warehouse
from guanxi.stock.posting import PARTY_ROLE, PRICED_KINDS, serial_list
from guanxi.web.forms import StyledFormMixin

Kind = StockDocument.Kind


def _warehouse_choices(org_id: int, *, blank: Any = None) -> list[tuple[Any, Any]]:
    rows = Warehouse.objects.filter(org_id=org_id, is_active=True).order_by("code", "id")
    choices: list[tuple[Any, Any]] = [] if blank is None else [("", blank)]
    return choices + [(w.pk, f"{w.name}" + (" ★" if w.is_default else "")) for w in rows]


class WarehouseForm(StyledFormMixin, forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=100)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    is_default = forms.BooleanField(
        label=_("Default warehouse"),
        required=False,
        help_text=_("New documents start in the default warehouse."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class DocumentFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Number, customer or supplier")}
        ),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *StockDocument.Status.choices],
    )
    warehouse = forms.TypedChoiceField(
        label=_("Warehouse"), required=False, coerce=int, empty_value=None
    )
    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    party = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, org_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].choices = _warehouse_choices(org_id, blank=_("All warehouses"))


class DocumentForm(StyledFormMixin, forms.Form):
    """The header of a stock document."""

    date = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    party = forms.TypedChoiceField(
        label=_("Customer"), coerce=int, required=False, empty_value=None
    )
    warehouse = forms.TypedChoiceField(label=_("Warehouse"), coerce=int, empty_value=None)
    to_warehouse = forms.TypedChoiceField(
        label=_("To warehouse"), coerce=int, required=False, empty_value=None
    )
    due_date = forms.DateField(
        label=_("Payment due"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Empty: the order's payment terms, or 30 days."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, kind: str, membership: Any, fixed_party: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        org_id = membership.org_id
        self.fields["warehouse"].choices = _warehouse_choices(org_id)
        if kind == Kind.TRANSFER:
            self.fields["warehouse"].label = _("From warehouse")
            self.fields["to_warehouse"].required = True
            self.fields["to_warehouse"].choices = _warehouse_choices(org_id, blank="—")
        else:
            del self.fields["to_warehouse"]
        role = PARTY_ROLE.get(kind)
        if role is None:
            del self.fields["party"]
        else:
            self.fields["party"].required = True
            self.fields["party"].label = _("Customer") if role == "customer" else _("Supplier")
            if fixed_party is not None:
                choices = [(fixed_party.pk, fixed_party.name)]
            else:
                parties = (
                    visible_parties(membership, role).order_by("name", "id").only("pk", "name")
                )
                choices = [("", "—"), *((p.pk, p.name) for p in parties)]
            self.fields["party"].choices = choices
        if kind not in {Kind.SALES_DELIVERY, Kind.PURCHASE_RECEIPT}:
            del self.fields["due_date"]

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class LineForm(forms.Form):
    """One line of the line editor (a formset row)."""

    product = forms.IntegerField(
        required=False, widget=forms.HiddenInput(attrs={"data-line-product": ""})
    )
    product_search = forms.CharField(
        label=_("Product"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "data-line-search": "",
                "autocomplete": "off",
                "placeholder": _("Code, name or pinyin"),
                "class": "form-control form-control-sm",
            }
        ),
    )
    quantity = forms.CharField(
        label=_("Quantity"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "data-line-quantity": "",
                "inputmode": "decimal",
                "class": "form-control form-control-sm text-end",
            }
        ),
    )
    unit_price = forms.CharField(
        label=_("Unit price"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "data-line-price": "",
                "inputmode": "decimal",
                "class": "form-control form-control-sm text-end",
            }
        ),
    )
    discount_percent = forms.CharField(
        label=_("Discount (%)"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "data-line-discount": "",
                "inputmode": "decimal",
                "class": "form-control form-control-sm text-end",
            }
        ),
    )
    tax_rate = forms.CharField(
        label=_("Tax rate (%)"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "data-line-tax": "",
                "inputmode": "decimal",
                "class": "form-control form-control-sm text-end",
            }
        ),
    )
    serials = forms.CharField(
        label=_("Serial numbers"),
        required=False,
        widget=forms.Textarea(
            attrs={
                "rows": 1,
                "data-line-serials": "",
                "placeholder": _("One per line"),
                "class": "form-control form-control-sm",
            }
        ),
    )
    description = forms.CharField(required=False, widget=forms.HiddenInput)
    order_line = forms.IntegerField(required=False, widget=forms.HiddenInput)
    purchase_order_line = forms.IntegerField(required=False, widget=forms.HiddenInput)
    source_line = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, org_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.org_id = org_id

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return (
            not data.get("product")
            and not (data.get("product_search") or "").strip()
            and not (data.get("quantity") or "").strip()
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("product") and (data.get("product_search") or "").strip() and self.org_id:
            # Without the picker (no script), the code typed in the box names the product.
            code = data["product_search"].strip().split()[0]
            found = Product.objects.filter(org_id=self.org_id, code=code).first()
            if found is None:
                raise ValidationError({"product_search": _("No product has this code.")})
            data["product"] = found.pk
        return data

    def service_row(self) -> dict[str, Any]:
        data = self.cleaned_data
        row = {
            "product": data.get("product"),
            "quantity": (data.get("quantity") or "").strip() or None,
            "unit_price": (data.get("unit_price") or "").strip() or None,
            "discount_percent": (data.get("discount_percent") or "").strip() or None,
            "tax_rate": (data.get("tax_rate") or "").strip() or None,
            "serials": serial_list(data.get("serials")),
            "description": data.get("description") or "",
        }
        for key in ("order_line", "purchase_order_line", "source_line"):
            if data.get(key):
                row[key] = data[key]
        return row


class BaseLineFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, org_id: int | None = None, **kwargs: Any) -> None:
        self.org_id = org_id
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "org_id": self.org_id}

    def service_rows(self) -> tuple[list[dict[str, Any]], list[int]]:
        """The filled rows for the service, and the form index of each (to put the
        service's "lines.N" errors back on the right row)."""
        rows, indexes = [], []
        for index, form in enumerate(self.forms):
            if form.is_blank():
                continue
            rows.append(form.service_row())
            indexes.append(index)
        return rows, indexes


LineFormSet = forms.formset_factory(LineForm, formset=BaseLineFormSet, extra=0, can_delete=False)


def line_initial(row: dict[str, Any]) -> dict[str, Any]:
    """A service-shaped line (objects or keys) as the line form's initial data."""
    product = row.get("product")
    if product is not None and not isinstance(product, Product):
        product = Product.all_objects.filter(pk=product).first()
    initial = {
        "product": product.pk if product else None,
        "product_search": f"{product.code} {product.name}" if product else "",
        "quantity": _plain(row.get("quantity")),
        "unit_price": _plain(row.get("unit_price")),
        "discount_percent": _plain(row.get("discount_percent")),
        "tax_rate": _plain(row.get("tax_rate")),
        "serials": "\n".join(serial_list(row.get("serials"))),
        "description": row.get("description") or "",
    }
    for key in ("order_line", "purchase_order_line", "source_line"):
        value = row.get(key)
        initial[key] = getattr(value, "pk", value)
    initial["_serial_tracked"] = bool(product and product.serial_tracked and product.is_stocked)
    initial["_unit"] = product.unit if product else ""
    return initial


def _plain(value: Any) -> str:
    if value in (None, ""):
        return ""
    try:
        from decimal import Decimal

        number = Decimal(str(value))
        return f"{number.normalize():f}" if number == number.to_integral_value() else str(number)
    except ArithmeticError:
        return str(value)


def is_priced(kind: str) -> bool:
    return kind in PRICED_KINDS


class ReverseForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    date = forms.DateField(
        label=_("Reversal date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Empty: today."),
    )


class CorrectionReasonForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why is it corrected?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class LevelFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Product code or name")}),
    )
    warehouse = forms.TypedChoiceField(
        label=_("Warehouse"), required=False, coerce=int, empty_value=None
    )
    category = forms.TypedChoiceField(
        label=_("Category"), required=False, coerce=int, empty_value=None
    )
    show_zero = forms.BooleanField(label=_("Show zero stock"), required=False)

    def __init__(self, *args: Any, org_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].choices = _warehouse_choices(org_id, blank=_("All warehouses"))
        categories = ProductCategory.objects.filter(org_id=org_id).order_by("path")
        self.fields["category"].choices = [("", _("All categories"))] + [
            (c.pk, "· " * (c.depth - 1) + c.name) for c in categories
        ]

    def selected_category(self) -> ProductCategory | None:
        pk = self.cleaned_data.get("category") if self.is_valid() else None
        if not pk:
            return None
        return ProductCategory.objects.filter(pk=pk).first()


class SerialFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(
        label=_("Serial number"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Serial number")}),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *SerialUnit.Status.choices],
    )


class ReorderFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Product code or name")}),
    )
    category = forms.TypedChoiceField(
        label=_("Category"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, org_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        categories = ProductCategory.objects.filter(org_id=org_id).order_by("path")
        self.fields["category"].choices = [("", _("All categories"))] + [
            (c.pk, "· " * (c.depth - 1) + c.name) for c in categories
        ]

    def selected_category(self) -> ProductCategory | None:
        pk = self.cleaned_data.get("category") if self.is_valid() else None
        if not pk:
            return None
        return ProductCategory.objects.filter(pk=pk).first()
