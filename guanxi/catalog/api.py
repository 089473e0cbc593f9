"""The products API: products, their components, the category tree and brands.

The same rules as the pages: reads go through the selectors and `filter_products`,
writes through the services; another organisation's ids answer 404.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from guanxi.api.errors import AUTH_ERRORS, error_responses
from guanxi.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, paginate_keyset
from guanxi.catalog.filters import SORT_VALUES, apply_filters, keyset_page, product_filter_form
from guanxi.catalog.models import Brand, Product, ProductCategory, ProductComponent
from guanxi.catalog.selectors import PRODUCT, components_of, get_product_for_user, visible_products
from guanxi.catalog.services import (
    add_component,
    create_brand,
    create_product,
    delete_brand,
    delete_product,
    remove_component,
    rename_brand,
    restore_product,
    set_component_quantity,
    update_product,
    void_product,
)
from guanxi.core.categories import add_category, delete_category, move_category, rename_category
from guanxi.core.custom_fields import active_fields, clean_values
from guanxi.core.models import CustomField
from guanxi.core.permissions import ADD, CHANGE, DELETE, VIEW, require_perm
from guanxi.parties.models import Party

router = Router(tags=["catalog"])

READ_ERRORS = error_responses(*AUTH_ERRORS, 404, 422)
WRITE_ERRORS = error_responses(*AUTH_ERRORS, 400, 404, 409, 422)
LIST_ERRORS = error_responses(*AUTH_ERRORS, 400, 422)

SortParam = Literal[SORT_VALUES]  # type: ignore[valid-type]
KindParam = Literal["stocked", "service"]
StatusParam = Literal["active", "voided", "all"]
RelationParam = Literal["bundle", "part"]

# Service field names → the API's.
_API_FIELD = {
    "category": "category_id",
    "brand": "brand_id",
    "preferred_supplier": "preferred_supplier_id",
    "component": "component_id",
}


def _membership(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _renamed(error: ValidationError) -> ValidationError:
    return ValidationError(
        {_API_FIELD.get(field, field): messages for field, messages in error.message_dict.items()}
    )


# --- schemas -----------------------------------------------------------------------------


class CatalogRefOut(Schema):
    id: int
    name: str


class ProductOut(Schema):
    id: int
    code: str
    name: str
    model: str
    spec: str
    unit: str
    kind: KindParam = Field(description="`service`: a non-stock item, always available.")
    category: CatalogRefOut | None
    category_path: list[str] = Field(description="Names from the big class down.")
    brand: CatalogRefOut | None
    list_price: Decimal
    cost_price: Decimal = Field(description="Standard cost, until receipts set the average.")
    tax_rate: Decimal = Field(description="Per cent, e.g. 13.00.")
    barcode: str
    description: str
    image_url: str | None = Field(description="The picture, for signed-in members.")
    allow_backorder: bool
    serial_tracked: bool
    warranty_type: str
    warranty_months: int
    reorder_level: Decimal
    reorder_quantity: Decimal
    preferred_supplier: CatalogRefOut | None
    is_voided: bool = Field(description="Voided (作废) products cannot go on new documents.")
    voided_at: datetime | None
    custom_data: dict[str, Any] = Field(description="Custom field values by key.")
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="Send back with an edit (optimistic locking).")

    @staticmethod
    def resolve_category(obj: Product) -> dict[str, Any] | None:
        return {"id": obj.category.pk, "name": obj.category.name} if obj.category else None

    @staticmethod
    def resolve_category_path(obj: Product, context: Any) -> list[str]:
        if not obj.category_id or obj.category is None:
            return []
        names = getattr(obj, "_category_names", None)
        if names is not None:
            return list(names)
        return [obj.category.name]

    @staticmethod
    def resolve_brand(obj: Product) -> dict[str, Any] | None:
        return {"id": obj.brand.pk, "name": obj.brand.name} if obj.brand else None

    @staticmethod
    def resolve_preferred_supplier(obj: Product) -> dict[str, Any] | None:
        supplier = obj.preferred_supplier
        if supplier is None:
            return None
        return {"id": supplier.pk, "name": supplier.short_name or supplier.name}

    @staticmethod
    def resolve_image_url(obj: Product) -> str | None:
        from django.urls import reverse

        return reverse("catalog:product_image", args=[obj.pk]) if obj.image else None


class ProductPageOut(Schema):
    items: list[ProductOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


class _ProductFields(Schema):
    code: str | None = Field(None, max_length=40)
    model: str | None = Field(None, max_length=100)
    spec: str | None = Field(None, max_length=200)
    unit: str | None = Field(None, max_length=20)
    kind: KindParam | None = None
    category_id: int | None = None
    brand_id: int | None = None
    list_price: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    cost_price: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    tax_rate: Decimal | None = Field(None, ge=0, le=100, max_digits=5, decimal_places=2)
    barcode: str | None = Field(None, max_length=64)
    description: str | None = None
    allow_backorder: bool | None = None
    serial_tracked: bool | None = None
    warranty_type: str | None = Field(None, max_length=60)
    warranty_months: int | None = Field(None, ge=0, le=240)
    reorder_level: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=3)
    reorder_quantity: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=3)
    preferred_supplier_id: int | None = Field(None, description="A party that is a supplier.")
    custom_data: dict[str, Any] | None = Field(None, description="Custom field values by key.")


class ProductIn(_ProductFields):
    code: str = Field(max_length=40, description="Unique in the organisation.")  # type: ignore[assignment]
    name: str = Field(max_length=200)


class ProductPatch(_ProductFields):
    version: int = Field(ge=1, description="The version the edit started from.")
    name: str | None = Field(None, max_length=200)


class ProductVersionIn(Schema):
    version: int | None = Field(None, ge=1, description="Refuse (409) if the product changed.")


class ProductFilterQuery(Schema):
    q: str | None = Field(
        None, max_length=100, description="Name, code, model, spec, barcode, pinyin or initials."
    )
    category: str | None = Field(
        None, description="A category id (subcategories included) or `none`."
    )
    brand: str | None = Field(None, description="A brand id or `none`.")
    kind: KindParam | None = None
    status: StatusParam = Field("active", description="`active` hides voided products.")
    sort: SortParam = Field("code", description="Column, `-` first for descending.")  # type: ignore[valid-type]
    cursor: str | None = Field(None, description="`next_cursor` from the previous page.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class ProductComponentOut(Schema):
    id: int
    component_id: int
    component_code: str
    component_name: str
    unit: str
    relation: RelationParam
    quantity: Decimal

    @staticmethod
    def resolve_component_code(obj: ProductComponent) -> str:
        return obj.component.code

    @staticmethod
    def resolve_component_name(obj: ProductComponent) -> str:
        return obj.component.name

    @staticmethod
    def resolve_unit(obj: ProductComponent) -> str:
        return obj.component.unit


class ProductComponentIn(Schema):
    component_id: int
    quantity: Decimal = Field(Decimal("1"), gt=0, max_digits=14, decimal_places=3)
    relation: RelationParam = "bundle"


class ProductComponentPatch(Schema):
    quantity: Decimal = Field(gt=0, max_digits=14, decimal_places=3)


class ProductCategoryOut(Schema):
    id: int
    name: str
    depth: int = Field(description="1 for a big class, 2 for a small class …")
    parent_id: int | None


class ProductCategoryIn(Schema):
    name: str = Field(max_length=100)
    parent_id: int | None = Field(None, description="Add under this category.")
    after_id: int | None = Field(None, description="Add right after this category.")


class ProductCategoryPatch(Schema):
    name: str = Field(max_length=100)


class ProductCategoryMoveIn(Schema):
    target_id: int
    position: Literal["first-child", "last-child", "left", "right"] = "last-child"


class BrandOut(Schema):
    id: int
    name: str
    version: int


class BrandIn(Schema):
    name: str = Field(max_length=100)


class BrandPatch(Schema):
    name: str = Field(max_length=100)
    version: int = Field(ge=1)


# --- helpers ---------------------------------------------------------------------------


def _queryset(membership: Any) -> QuerySet[Product]:
    return visible_products(membership).select_related("category", "brand", "preferred_supplier")


def _with_paths(products: list[Product]) -> list[Product]:
    """Give each product its category path (one query for the whole page)."""
    from guanxi.catalog.importing import category_paths

    if not products:
        return products
    by_id = {pk: path for path, pk in category_paths(products[0].org_id).items()}
    for product in products:
        product._category_names = by_id.get(product.category_id, ())  # type: ignore[attr-defined]
    return products


def _product(request: HttpRequest, id: int, action: str = VIEW) -> Product:
    membership = _membership(request)
    product = get_product_for_user(membership, id)
    if action != VIEW:
        require_perm(membership, action, PRODUCT)
    return product


def _one(membership: Any, product: Product) -> Product:
    return _with_paths([_queryset(membership).get(pk=product.pk)])[0]


def _product_data(
    membership: Any, payload: Schema, current: Product | None = None
) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True, exclude={"version"})
    errors: dict[str, list[str]] = {}
    for key in ("category_id", "brand_id", "preferred_supplier_id"):
        if key in data and data[key] is None:
            continue
        if key not in data:
            continue
        model: Any = {
            "category_id": ProductCategory,
            "brand_id": Brand,
            "preferred_supplier_id": Party,
        }[key]
        queryset = model.objects.filter(pk=data[key])
        if key == "preferred_supplier_id":
            queryset = queryset.filter(is_supplier=True)
        if not queryset.exists():
            errors[key] = [_("Choose one of your organisation's records.")]
    for key, value in list(data.items()):
        if value is None and key in {"model", "spec", "barcode", "description", "warranty_type"}:
            data[key] = ""
        elif value is None and key not in {
            "category_id",
            "brand_id",
            "preferred_supplier_id",
            "custom_data",
        }:
            del data[key]
    if data.get("custom_data") is not None:
        merged = {**(current.custom_data if current else {}), **data["custom_data"]}
        values, custom_errors = clean_values(
            active_fields(membership.org_id, CustomField.Target.PRODUCT), merged
        )
        errors.update({f"custom_data.{k}": v for k, v in custom_errors.items()})
        data["custom_data"] = values
    else:
        data.pop("custom_data", None)
    if errors:
        raise ValidationError(errors)
    return data


# --- products ---------------------------------------------------------------------------


@router.get("/products", response={200: ProductPageOut, **LIST_ERRORS})
def list_products(request: HttpRequest, filters: Query[ProductFilterQuery]) -> dict[str, Any]:
    """Products, filtered, searched and sorted like the list page; paged by cursor.

    Voided products are left out unless `status` is `voided` or `all`.
    """
    membership = _membership(request)
    require_perm(membership, VIEW, PRODUCT)
    form = product_filter_form(request.GET, org_id=membership.org_id)
    if not form.is_valid():
        raise ValidationError(
            {
                field: [error["message"] for error in errors]
                for field, errors in form.errors.get_json_data().items()
            }
        )
    page = keyset_page(
        apply_filters(_queryset(membership), form),
        sort=filters.sort,
        cursor=filters.cursor,
        limit=filters.limit,
    )
    return {"items": _with_paths(page.rows), "next_cursor": page.next_cursor}


@router.post("/products", response={201: ProductOut, **WRITE_ERRORS})
def create_product_endpoint(request: HttpRequest, payload: ProductIn) -> Status[Product]:
    """Add a product. `code` must be unique in the organisation (the recycle bin included)."""
    membership = _membership(request)
    require_perm(membership, ADD, PRODUCT)
    try:
        product = create_product(
            org=membership.org, actor=request.user, data=_product_data(membership, payload)
        )
    except ValidationError as error:
        raise _renamed(error) from error
    return Status(201, _one(membership, product))


@router.get("/products/{id}", response={200: ProductOut, **READ_ERRORS})
def get_product(request: HttpRequest, id: int) -> Product:
    membership = _membership(request)
    return _one(membership, _product(request, id))


@router.patch("/products/{id}", response={200: ProductOut, **WRITE_ERRORS})
def patch_product(request: HttpRequest, id: int, payload: ProductPatch) -> Product:
    """Change a product. Answers 409 `stale_edit`, changing nothing, for an old `version`."""
    membership = _membership(request)
    product = _product(request, id, CHANGE)
    try:
        update_product(
            product=product,
            actor=request.user,
            data=_product_data(membership, payload, current=product),
            expected_version=payload.version,
        )
    except ValidationError as error:
        raise _renamed(error) from error
    return _one(membership, product)


@router.post("/products/{id}/void", response={200: ProductOut, **WRITE_ERRORS})
def void_product_endpoint(request: HttpRequest, id: int, payload: ProductVersionIn) -> Product:
    """Void (作废) a product: it stays on old documents but cannot go on new ones."""
    product = _product(request, id, CHANGE)
    void_product(product=product, actor=request.user, expected_version=payload.version)
    return _one(_membership(request), product)


@router.post("/products/{id}/restore", response={200: ProductOut, **WRITE_ERRORS})
def restore_product_endpoint(request: HttpRequest, id: int, payload: ProductVersionIn) -> Product:
    """Bring a voided product back into use."""
    product = _product(request, id, CHANGE)
    restore_product(product=product, actor=request.user, expected_version=payload.version)
    return _one(_membership(request), product)


@router.delete("/products/{id}", response={204: None, **WRITE_ERRORS})
def delete_product_endpoint(request: HttpRequest, id: int) -> Status[None]:
    """Move a product to the recycle bin; 409 `deletion_refused` while it is in use."""
    product = _product(request, id, DELETE)
    delete_product(product=product, actor=request.user)
    return Status(204, None)


# --- components ----------------------------------------------------------------------------


@router.get("/products/{id}/components", response={200: list[ProductComponentOut], **READ_ERRORS})
def list_components(request: HttpRequest, id: int) -> list[ProductComponent]:
    """A bundle's contents and a product's parts."""
    return components_of(_product(request, id))


@router.post("/products/{id}/components", response={201: ProductComponentOut, **WRITE_ERRORS})
def add_component_endpoint(
    request: HttpRequest, id: int, payload: ProductComponentIn
) -> Status[ProductComponent]:
    """Add a product to a bundle (or as a part). Adding it again raises the quantity;
    a bundle that would contain itself, directly or not, answers 400."""
    membership = _membership(request)
    product = _product(request, id, CHANGE)
    component = get_product_for_user(membership, payload.component_id)
    line = add_component(
        parent=product,
        component=component,
        actor=request.user,
        quantity=payload.quantity,
        relation=payload.relation,
    )
    return Status(201, ProductComponent.objects.select_related("component").get(pk=line.pk))


def _line(product: Product, line_id: int) -> ProductComponent:
    return get_object_or_404(
        ProductComponent.objects.select_related("component"), parent=product, pk=line_id
    )


@router.patch(
    "/products/{id}/components/{line_id}", response={200: ProductComponentOut, **WRITE_ERRORS}
)
def patch_component(
    request: HttpRequest, id: int, line_id: int, payload: ProductComponentPatch
) -> ProductComponent:
    line = _line(_product(request, id, CHANGE), line_id)
    return set_component_quantity(line=line, actor=request.user, quantity=payload.quantity)


@router.delete("/products/{id}/components/{line_id}", response={204: None, **WRITE_ERRORS})
def delete_component(request: HttpRequest, id: int, line_id: int) -> Status[None]:
    line = _line(_product(request, id, CHANGE), line_id)
    remove_component(line=line, actor=request.user)
    return Status(204, None)


# --- the category tree ---------------------------------------------------------------------


def _category_out(category: ProductCategory, by_path: dict[str, int]) -> dict[str, Any]:
    parent_path = category.path[: -category.steplen]
    return {
        "id": category.pk,
        "name": category.name,
        "depth": category.depth,
        "parent_id": by_path.get(parent_path) if parent_path else None,
    }


def _one_category_out(category: ProductCategory) -> dict[str, Any]:
    parent_path = category.path[: -category.steplen]
    parent = (
        ProductCategory.objects.filter(path=parent_path).values_list("pk", flat=True).first()
        if parent_path
        else None
    )
    return _category_out(category, {parent_path: parent} if parent else {})


def _category(request: HttpRequest, id: int, action: str = VIEW) -> ProductCategory:
    membership = _membership(request)
    require_perm(membership, VIEW, PRODUCT)
    category = get_object_or_404(ProductCategory, pk=id)
    if action != VIEW:
        require_perm(membership, action, PRODUCT)
    return category


@router.get("/product-categories", response={200: list[ProductCategoryOut], **READ_ERRORS})
def list_categories(request: HttpRequest) -> list[dict[str, Any]]:
    """The whole product category tree, depth first (a parent before its children)."""
    require_perm(_membership(request), VIEW, PRODUCT)
    categories = list(ProductCategory.objects.order_by("path"))
    by_path = {c.path: c.pk for c in categories}
    return [_category_out(c, by_path) for c in categories]


@router.post("/product-categories", response={201: ProductCategoryOut, **WRITE_ERRORS})
def create_category(request: HttpRequest, payload: ProductCategoryIn) -> Status[dict[str, Any]]:
    """Add a big class (no parent), a small class under `parent_id`, or one after `after_id`."""
    membership = _membership(request)
    require_perm(membership, CHANGE, PRODUCT)
    parent = get_object_or_404(ProductCategory, pk=payload.parent_id) if payload.parent_id else None
    after = get_object_or_404(ProductCategory, pk=payload.after_id) if payload.after_id else None
    category = add_category(
        model=ProductCategory,
        org=membership.org,
        name=payload.name,
        parent=parent,
        sibling_of=after,
        actor=request.user,
    )
    return Status(201, _one_category_out(category))


@router.patch("/product-categories/{id}", response={200: ProductCategoryOut, **WRITE_ERRORS})
def rename_category_endpoint(
    request: HttpRequest, id: int, payload: ProductCategoryPatch
) -> dict[str, Any]:
    category = _category(request, id, CHANGE)
    rename_category(category=category, name=payload.name, actor=request.user)
    return _one_category_out(category)


@router.post("/product-categories/{id}/move", response={200: ProductCategoryOut, **WRITE_ERRORS})
def move_category_endpoint(
    request: HttpRequest, id: int, payload: ProductCategoryMoveIn
) -> dict[str, Any]:
    """Move a category (with its subcategories) relative to another."""
    category = _category(request, id, CHANGE)
    target = get_object_or_404(ProductCategory, pk=payload.target_id)
    moved = move_category(
        category=category, target=target, position=payload.position, actor=request.user
    )
    return _one_category_out(moved)


@router.delete("/product-categories/{id}", response={204: None, **WRITE_ERRORS})
def delete_category_endpoint(request: HttpRequest, id: int) -> Status[None]:
    """Delete an empty category; 400 `category_not_empty` otherwise."""
    category = _category(request, id, CHANGE)
    delete_category(category=category, actor=request.user)
    return Status(204, None)


# --- brands ------------------------------------------------------------------------------------


@router.get("/brands", response={200: list[BrandOut], **LIST_ERRORS})
@paginate_keyset("name", "id")
def list_brands(request: HttpRequest) -> QuerySet[Brand]:
    require_perm(_membership(request), VIEW, PRODUCT)
    return Brand.objects.all()


@router.post("/brands", response={201: BrandOut, **WRITE_ERRORS})
def create_brand_endpoint(request: HttpRequest, payload: BrandIn) -> Status[Brand]:
    membership = _membership(request)
    require_perm(membership, CHANGE, PRODUCT)
    return Status(201, create_brand(org=membership.org, actor=request.user, name=payload.name))


@router.patch("/brands/{id}", response={200: BrandOut, **WRITE_ERRORS})
def rename_brand_endpoint(request: HttpRequest, id: int, payload: BrandPatch) -> Brand:
    require_perm(_membership(request), CHANGE, PRODUCT)
    brand = get_object_or_404(Brand, pk=id)
    return rename_brand(
        brand=brand, actor=request.user, name=payload.name, expected_version=payload.version
    )


@router.delete("/brands/{id}", response={204: None, **WRITE_ERRORS})
def delete_brand_endpoint(request: HttpRequest, id: int) -> Status[None]:
    """Delete a brand no product uses; 409 `brand_in_use` otherwise."""
    require_perm(_membership(request), CHANGE, PRODUCT)
    delete_brand(brand=get_object_or_404(Brand, pk=id), actor=request.user)
    return Status(204, None)
