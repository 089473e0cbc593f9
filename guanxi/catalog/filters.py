"""Filtering, searching, sorting and paging the product list — one implementation for
the list page, the API and the export.

Query-string keys:
    q           search: name, code, model, spec, barcode, brand, full pinyin, initials
    category    a category id (its subcategories included) or "none" (uncategorised)
    brand       a brand id or "none"
    kind        stocked | service
    status      active (default: not voided) | voided | all
    sort        a column key, "-" in front for descending (see SORT_COLUMNS)
    cursor      the keyset cursor of the next page

Values that do not validate are reported on `ProductFilterForm.errors` and dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import F, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from guanxi.api.pagination import InvalidCursor, KeysetPagination, SortKey
from guanxi.catalog.models import Brand, Product, ProductCategory
from guanxi.catalog.selectors import MAX_QUERY_LENGTH, search_products
from guanxi.web.forms import StyledFormMixin

NONE = "none"


class Status:
    ACTIVE = "active"
    VOIDED = "voided"
    ALL = "all"
    CHOICES = (
        (ACTIVE, _("In use")),
        (VOIDED, _("Voided")),
        (ALL, _("All")),
    )


class ProductFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label=_("Search"), max_length=MAX_QUERY_LENGTH, required=False)
    category = forms.CharField(label=_("Category"), required=False)
    brand = forms.ChoiceField(label=_("Brand"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("Any kind")), *Product.Kind.choices], required=False
    )
    status = forms.ChoiceField(label=_("Status"), choices=Status.CHOICES, required=False)

    def __init__(self, *args: Any, org_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.org_id = org_id
        self.fields["brand"].choices = [  # type: ignore[attr-defined]
            ("", _("Any brand")),
            (NONE, _("No brand")),
            *((str(b.pk), b.name) for b in Brand.objects.filter(org_id=org_id).order_by("name")),
        ]

    def clean_category(self) -> ProductCategory | str | None:
        value = (self.cleaned_data.get("category") or "").strip()
        if not value:
            return None
        if value == NONE:
            return NONE
        if not value.isdigit():
            raise forms.ValidationError(_("Choose a category of the tree."))
        category = ProductCategory.objects.filter(org_id=self.org_id, pk=int(value)).first()
        if category is None:
            raise forms.ValidationError(_("Choose a category of the tree."))
        return category


def product_filter_form(params: Mapping[str, Any] | None, *, org_id: int) -> ProductFilterForm:
    data = params if params is not None else {}
    return ProductFilterForm(data, org_id=org_id)


def apply_filters(queryset: QuerySet[Product], form: ProductFilterForm) -> QuerySet[Product]:
    """Narrow `queryset` by the form's valid values (invalid ones are left out)."""
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    status = data.get("status") or Status.ACTIVE
    if status == Status.ACTIVE:
        queryset = queryset.filter(is_voided=False)
    elif status == Status.VOIDED:
        queryset = queryset.filter(is_voided=True)
    category = data.get("category")
    if category == NONE:
        queryset = queryset.filter(category__isnull=True)
    elif isinstance(category, ProductCategory):
        queryset = queryset.filter(category__path__startswith=category.path)
    brand = data.get("brand")
    if brand == NONE:
        queryset = queryset.filter(brand__isnull=True)
    elif brand:
        queryset = queryset.filter(brand_id=int(brand))
    if data.get("kind"):
        queryset = queryset.filter(kind=data["kind"])
    if data.get("q"):
        queryset = search_products(queryset, data["q"])
    return queryset


def filter_products(
    queryset: QuerySet[Product], params: Mapping[str, Any] | None, *, org_id: int
) -> QuerySet[Product]:
    return apply_filters(queryset, product_filter_form(params, org_id=org_id))


def active_filter_count(form: ProductFilterForm) -> int:
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    # The category has the tree and the status its tabs: neither counts here.
    return sum(1 for key in ("brand", "kind") if data.get(key))


# --- sorting and keyset pages -----------------------------------------------------------


@dataclass(frozen=True)
class SortColumn:
    key: str
    label: str | Promise
    paths: tuple[str, ...]
    numeric: bool = False


SORT_COLUMNS: dict[str, SortColumn] = {
    c.key: c
    for c in (
        SortColumn("code", _("Code"), ("code", "id")),
        SortColumn("name", _("Name"), ("name", "code", "id")),
        SortColumn("model", _("Model"), ("model", "code", "id")),
        SortColumn("spec", _("Specification"), ("spec", "code", "id")),
        SortColumn("unit", _("Unit"), ("unit", "code", "id")),
        SortColumn("category", _("Category"), ("category__path", "code", "id")),
        SortColumn("brand", _("Brand"), ("brand__name", "code", "id")),
        SortColumn("kind", _("Kind"), ("kind", "code", "id")),
        SortColumn("list_price", _("List price"), ("list_price", "code", "id"), numeric=True),
        SortColumn("cost_price", _("Cost"), ("cost_price", "code", "id"), numeric=True),
        SortColumn("tax_rate", _("Tax rate"), ("tax_rate", "code", "id"), numeric=True),
        SortColumn("updated", _("Updated"), ("updated_at", "id")),
    )
}
DEFAULT_SORT = "code"
SORT_VALUES: tuple[str, ...] = tuple(value for key in SORT_COLUMNS for value in (key, f"-{key}"))


def parse_sort(value: str | None) -> tuple[str, bool]:
    """Return (column key, descending) for `name` / `-name`; unknown values sort by code."""
    value = (value or "").strip()
    descending = value.startswith("-")
    key = value.removeprefix("-")
    if key not in SORT_COLUMNS:
        return DEFAULT_SORT, False
    return key, descending


def sort_keys(sort: str, descending: bool) -> list[SortKey]:
    prefix = "-" if descending else ""
    ordering = [f"{prefix}{path}" for path in SORT_COLUMNS[sort].paths]
    return KeysetPagination(ordering=ordering).sort_keys(Product)


@dataclass
class KeysetPage:
    rows: list[Product]
    next_cursor: str | None
    sort: str
    descending: bool


def keyset_page(
    queryset: QuerySet[Product],
    *,
    sort: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> KeysetPage:
    """One page of `queryset` in `sort` order after `cursor` (no OFFSET, no COUNT).

    Raise InvalidCursor for a cursor that does not decode for this sort.
    """
    key, descending = parse_sort(sort)
    keys = sort_keys(key, descending)
    queryset = queryset.annotate(**{k.alias: F(k.path) for k in keys}).order_by(
        *KeysetPagination.order_by(keys)
    )
    if cursor:
        values = KeysetPagination.decode_cursor(cursor, keys)
        queryset = queryset.filter(KeysetPagination.after(keys, values))
    rows = list(queryset[: limit + 1])
    items, more = rows[:limit], len(rows) > limit
    next_cursor = None
    if more:
        last = items[-1]
        next_cursor = KeysetPagination.encode_cursor([getattr(last, k.alias) for k in keys])
    return KeysetPage(rows=items, next_cursor=next_cursor, sort=key, descending=descending)


__all__ = [
    "NONE",
    "SORT_COLUMNS",
    "InvalidCursor",
    "KeysetPage",
    "ProductFilterForm",
    "Status",
    "active_filter_count",
    "apply_filters",
    "filter_products",
    "keyset_page",
    "parse_sort",
    "product_filter_form",
]
