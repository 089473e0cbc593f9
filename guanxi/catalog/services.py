"""Business operations on products, brands, categories and components. The only writers.

Pages, the API, imports and the demo seeder call these functions, so the same rules
(validation, pinyin search text, versions, history) hold whichever way a product changes.

Other apps call `ensure_usable(product)` before putting a product on a new document
(quote, order, stock document …): it refuses voided, deleted and foreign products.
"""

from __future__ import annotations

import contextlib
import uuid
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.catalog.models import Brand, Product, ProductCategory, ProductComponent
from guanxi.core.exceptions import DomainError
from guanxi.core.history import restore_version
from guanxi.core.models import Organisation
from guanxi.core.pinyin import search_text
from guanxi.core.recycle_bin import move_to_recycle_bin, restore_from_recycle_bin
from guanxi.core.scoping import org_pk, org_scope
from guanxi.core.versioning import save_versioned

# --- errors ----------------------------------------------------------------------------


class ProductNotUsable(DomainError):
    """The product may not be put on a new document (voided, deleted or foreign)."""

    status_code = 400
    code = "product_not_usable"


class InvalidProduct(DomainError):
    code = "invalid_product"


class InvalidComponent(DomainError):
    code = "invalid_component"


class BrandInUse(DomainError):
    status_code = 409
    code = "brand_in_use"


# --- the check other apps call -------------------------------------------------------------


def ensure_usable(product: Product, *, org: Organisation | int | None = None) -> Product:
    """Refuse a product that may not go on a new document; return it when it may.

    Raise ProductNotUsable (a DomainError, status 400, `field="product"`) when the
    product is voided (作废), in the recycle bin, or — when `org` is given — belongs
    to another organisation. Documents already holding the product are not affected.
    """
    if org is not None and product.org_id != org_pk(org):
        raise ProductNotUsable(_("Choose a product of your organisation."), field="product")
    if product.deleted_at is not None:
        raise ProductNotUsable(
            _("The product “%(product)s” is in the recycle bin and cannot be used.")
            % {"product": product},
            field="product",
        )
    if product.is_voided:
        raise ProductNotUsable(
            _(
                "This product is voided (“%(product)s”): restore it on its page before "
                "putting it on a new document."
            )
            % {"product": product},
            field="product",
        )
    return product


# --- fields a caller may set ------------------------------------------------------------

PRODUCT_FIELDS: frozenset[str] = frozenset(
    {
        "code",
        "name",
        "model",
        "spec",
        "unit",
        "kind",
        "category",
        "category_id",
        "brand",
        "brand_id",
        "list_price",
        "cost_price",
        "tax_rate",
        "barcode",
        "description",
        "image",
        "allow_backorder",
        "serial_tracked",
        "warranty_type",
        "warranty_months",
        "reorder_level",
        "reorder_quantity",
        "preferred_supplier",
        "preferred_supplier_id",
        "custom_data",
    }
)
_TEXT_KEEP_WHITESPACE = {"description"}
# Image uploads: real images only, at most this size.
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}


def product_search_text(product: Product) -> str:
    """What a product is found by: code, name, model, spec, barcode, brand, with pinyin."""
    brand = product.brand.name if product.brand_id and product.brand else ""
    return search_text(
        names=[product.name, brand],
        extra=[product.code, product.model, product.spec, product.barcode],
    )


def _apply(product: Product, data: dict[str, Any]) -> None:
    unknown = set(data) - PRODUCT_FIELDS
    if unknown:
        raise InvalidProduct(
            _("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    for key, value in data.items():
        if isinstance(value, str) and key not in _TEXT_KEEP_WHITESPACE:
            value = value.strip()
        if key == "custom_data" and value is None:
            value = {}
        if key == "image" and not value:
            value = ""
        setattr(product, key, value)


def check_image(upload: Any) -> str:
    """Return the file extension of `upload` when it is a real image within the limits.

    Pillow opens and verifies the file: a renamed PDF or script is refused whatever its
    name says, and so is a picture of more than 40 million pixels (a decompression
    bomb). Raise ValidationError on `image` otherwise.
    """
    from PIL import Image, UnidentifiedImageError

    size = getattr(upload, "size", 0) or 0
    if size > MAX_IMAGE_BYTES:
        raise ValidationError({"image": [_("The image is too large: keep it under 5 MB.")]})
    refused = ValidationError({"image": [_("Upload a JPEG, PNG, GIF or WebP image.")]})
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format = image.format
            width, height = image.size
            image.verify()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as exc:
        raise refused from exc
    finally:
        with contextlib.suppress(AttributeError, ValueError, OSError):
            upload.seek(0)
    if image_format not in IMAGE_FORMATS:
        raise refused
    if width * height > MAX_IMAGE_PIXELS:
        raise ValidationError({"image": [_("The picture is too large: at most 40 megapixels.")]})
    return IMAGE_FORMATS[image_format]


def _prepare_image(product: Product, data: dict[str, Any]) -> None:
    """Check a newly uploaded image and give it a random name (the user's name is not
    kept: it reaches neither the disk nor the URL)."""
    upload = data.get("image")
    if not upload or not hasattr(upload, "read") or getattr(upload, "_committed", False):
        return
    extension = check_image(upload)
    upload.name = f"{uuid.uuid4().hex}.{extension}"
    product.image = upload


def validate_product(product: Product, *, check_code: bool = True) -> None:
    """Field validation plus the product's own rules. Raise ValidationError by field.

    `check_code=False` skips the one query (is the code taken?) for callers that know,
    like the importer, which checks a whole file's codes at once.
    """
    errors: dict[str, list[str]] = {}
    try:
        product.full_clean(
            exclude=[
                "org",
                "category",
                "brand",
                "preferred_supplier",
                "voided_by",
                "deleted_by",
                "image",
            ],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as error:
        errors.update(error.message_dict)
    if not product.code:
        errors.setdefault("code", []).append(_("Enter the product code."))
    elif "code" not in errors and check_code:
        clash = Product.all_objects.filter(org_id=product.org_id, code=product.code).exclude(
            pk=product.pk
        )
        clash_row = clash.only("deleted_at").first()
        if clash_row is not None:
            if clash_row.deleted_at is not None:
                message = _(
                    "A product in the recycle bin has this code: restore it or use another."
                )
            else:
                message = _("Another product already has this code.")
            errors.setdefault("code", []).append(message)
    for field in ("list_price", "cost_price", "reorder_level", "reorder_quantity"):
        value = getattr(product, field)
        if value is not None and field not in errors and Decimal(value) < 0:
            errors.setdefault(field, []).append(_("This cannot be negative."))
    category = product.category if product.category_id is not None else None
    if category is not None and category.org_id != product.org_id:
        errors.setdefault("category", []).append(_("Choose a category of your organisation."))
    brand = product.brand if product.brand_id is not None else None
    if brand is not None and brand.org_id != product.org_id:
        errors.setdefault("brand", []).append(_("Choose a brand of your organisation."))
    supplier = product.preferred_supplier if product.preferred_supplier_id else None
    if supplier is not None and (
        supplier.org_id != product.org_id or not supplier.is_supplier or supplier.is_deleted
    ):
        errors.setdefault("preferred_supplier", []).append(
            _("Choose one of your organisation's suppliers.")
        )
    if product.kind == Product.Kind.SERVICE and product.serial_tracked:
        errors.setdefault("serial_tracked", []).append(
            _("A non-stock item (service) has no serial numbers.")
        )
    if product.warranty_months and not product.warranty_type:
        errors.setdefault("warranty_type", []).append(
            _("Say which warranty it is (e.g. 整机保修, on-site service).")
        )
    if product.warranty_months > 240:
        errors.setdefault("warranty_months", []).append(_("Keep the warranty under 20 years."))
    if errors:
        raise ValidationError(errors)


def _by(product: Product, actor: Any) -> None:
    """Name the actor in the history row (pages get it from the request; the API, jobs
    and the demo do not have one)."""
    if getattr(actor, "pk", None):
        product._history_user = actor  # type: ignore[attr-defined]


def _refresh(product: Product) -> None:
    product.search_text = product_search_text(product)


# --- products --------------------------------------------------------------------------


@transaction.atomic
def create_product(*, org: Organisation, actor: Any, data: dict[str, Any]) -> Product:
    """Create a product. Raise ValidationError with field messages; nothing is saved."""
    with org_scope(org):
        product = Product(org=org)
        _by(product, actor)
        _apply(product, data)
        _prepare_image(product, data)
        _refresh(product)
        validate_product(product)
        product.save()
        return product


@transaction.atomic
def update_product(
    *, product: Product, actor: Any, data: dict[str, Any], expected_version: int
) -> Product:
    """Change a product. Raise ValidationError, StaleEdit (someone saved it meanwhile)."""
    with org_scope(product.org_id):
        _by(product, actor)
        _apply(product, data)
        _prepare_image(product, data)
        _refresh(product)
        validate_product(product)
        save_versioned(product, expected_version=expected_version)
        return product


@transaction.atomic
def void_product(*, product: Product, actor: Any, expected_version: int | None = None) -> Product:
    """Void (作废) a product: it stays on old documents but leaves pickers and new ones."""
    with org_scope(product.org_id):
        _by(product, actor)
        if product.is_voided:
            return product
        product.is_voided = True
        product.voided_at = timezone.now()
        product.voided_by = actor if getattr(actor, "pk", None) else None
        fields = ["is_voided", "voided_at", "voided_by"]
        save_versioned(
            product,
            expected_version=product.version if expected_version is None else expected_version,
            update_fields=fields,
        )
        return product


@transaction.atomic
def restore_product(
    *, product: Product, actor: Any, expected_version: int | None = None
) -> Product:
    """Bring a voided product back into use."""
    with org_scope(product.org_id):
        _by(product, actor)
        if not product.is_voided:
            return product
        product.is_voided = False
        product.voided_at = None
        product.voided_by = None
        save_versioned(
            product,
            expected_version=product.version if expected_version is None else expected_version,
            update_fields=["is_voided", "voided_at", "voided_by"],
        )
        return product


def _document_usages(product: Product) -> list[str]:
    """Names of the kinds of records outside the catalog that refer to the product."""
    found = []
    for relation in Product._meta.get_fields(include_hidden=True):
        if not (relation.one_to_many or relation.one_to_one) or not relation.auto_created:
            continue
        related = relation.related_model
        if related is None or related._meta.app_label == "catalog":
            continue
        if related.__name__.startswith("Historical"):
            continue
        manager = getattr(related, "all_objects", None) or related._base_manager
        field_name = relation.field.name  # type: ignore[union-attr]
        if manager.filter(**{field_name: product.pk}).exists():
            found.append(str(related._meta.verbose_name_plural))
    return found


def deletion_blocker(product: Product) -> str | None:
    """Why the product may not go to the recycle bin, or None when it may."""
    with org_scope(product.org_id):
        parents = list(
            ProductComponent.objects.filter(component=product, parent__deleted_at__isnull=True)
            .select_related("parent")
            .order_by("parent__code")[:3]
        )
        if parents:
            names = "、".join(str(c.parent) for c in parents)
            return _(
                "This product is a component of %(parents)s: remove it from them first, "
                "or void it instead."
            ) % {"parents": names}
        usages = _document_usages(product)
        if usages:
            return _(
                "This product is used on %(records)s: void it instead, so old documents keep it."
            ) % {"records": ", ".join(usages)}
    return None


@transaction.atomic
def delete_product(*, product: Product, actor: Any) -> Product:
    """Move a product to the recycle bin. Raise DeletionRefused while it is in use."""
    with org_scope(product.org_id):
        _by(product, actor)
        move_to_recycle_bin(obj=product, actor=actor)
    return product


@transaction.atomic
def undelete_product(*, product: Product, actor: Any) -> Product:
    with org_scope(product.org_id):
        _by(product, actor)
        restore_from_recycle_bin(obj=product, actor=actor)
    return product


# What restoring an earlier version leaves as it is: void state and the image file.
RESTORE_KEEPS: frozenset[str] = frozenset({"is_voided", "voided_at", "voided_by", "image"})


@transaction.atomic
def restore_product_version(
    *, product: Product, actor: Any, history_id: int, expected_version: int
) -> Product:
    """Bring back the fields of an earlier version of a product (A5).

    The void state and the image stay as they are; a category, brand or supplier that
    has since gone is left empty. Raise StaleEdit; DoesNotExist for a foreign version.
    """

    def prepare(obj: Product) -> None:
        with org_scope(obj.org_id):
            if obj.category_id and not ProductCategory.objects.filter(pk=obj.category_id).exists():
                obj.category_id = None
            if obj.brand_id and not Brand.objects.filter(pk=obj.brand_id).exists():
                obj.brand_id = None
        _refresh(obj)

    with org_scope(product.org_id):
        _by(product, actor)
        restore_version(
            obj=product,
            history_id=history_id,
            actor=actor,
            expected_version=expected_version,
            keep=RESTORE_KEEPS,
            prepare=prepare,
        )
        return product


@transaction.atomic
def file_products_in_category(
    *, products: list[Product], category: ProductCategory | None, actor: Any
) -> int:
    """Move products into `category` (None: uncategorised). Returns how many."""
    if not products:
        return 0
    org_id = products[0].org_id
    if category is not None and category.org_id != org_id:
        raise InvalidProduct(_("Choose a category of your organisation."), field="category")
    with org_scope(org_id):
        for product in products:
            _by(product, actor)
            product.category = category
            product.version += 1
            product.save(update_fields=["category", "version", "updated_at"])
    return len(products)


# --- brands ----------------------------------------------------------------------------


def _clean_brand_name(org_id: int, name: str, exclude_pk: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Enter the brand name.")]})
    if len(name) > 100:
        raise ValidationError({"name": [_("Keep the name under 100 characters.")]})
    clash = Brand.objects.filter(org_id=org_id, name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": [_("There is already a brand with this name.")]})
    return name


@transaction.atomic
def create_brand(*, org: Organisation, actor: Any, name: str) -> Brand:
    with org_scope(org):
        return Brand.objects.create(org=org, name=_clean_brand_name(org.pk, name))


@transaction.atomic
def rename_brand(*, brand: Brand, actor: Any, name: str, expected_version: int) -> Brand:
    with org_scope(brand.org_id):
        brand.name = _clean_brand_name(brand.org_id, name, exclude_pk=brand.pk)
        save_versioned(brand, expected_version=expected_version)
        # The brand name is part of its products' search text.
        for product in Product.all_objects.filter(brand=brand).select_related("brand"):
            Product.all_objects.filter(pk=product.pk).update(
                search_text=product_search_text(product)
            )
        return brand


@transaction.atomic
def delete_brand(*, brand: Brand, actor: Any) -> None:
    """Delete a brand no product uses. Raise BrandInUse otherwise."""
    with org_scope(brand.org_id):
        used = Product.all_objects.filter(brand=brand).count()
        if used:
            raise BrandInUse(
                _("%(count)s products have this brand: give them another one first.")
                % {"count": used}
            )
        brand.delete()


# --- components (bundles and parts, D5) ---------------------------------------------------


def _contains(root_id: int, target_id: int) -> bool:
    """Whether product `root_id` contains `target_id` directly or through its components."""
    seen: set[int] = set()
    frontier = {root_id}
    while frontier:
        if target_id in frontier:
            return True
        seen |= frontier
        children = set(
            ProductComponent.objects.filter(parent_id__in=frontier).values_list(
                "component_id", flat=True
            )
        )
        frontier = children - seen
    return False


@transaction.atomic
def add_component(
    *,
    parent: Product,
    component: Product,
    actor: Any,
    quantity: Decimal | int | str = 1,
    relation: str = ProductComponent.Relation.BUNDLE,
) -> ProductComponent:
    """Put `quantity` of `component` into `parent` (a bundle's content or a part).

    Adding a product that is already there raises the quantity. Raise InvalidComponent
    for another organisation's product, a voided one, a non-positive quantity, or a
    cycle (a bundle may not contain itself, directly or through its contents).
    """
    if parent.org_id != component.org_id:
        raise InvalidComponent(_("Choose a product of your organisation."), field="component")
    if relation not in ProductComponent.Relation.values:
        raise InvalidComponent(_("Choose bundle content or part."), field="relation")
    try:
        qty = Decimal(str(quantity))
    except (ArithmeticError, ValueError) as exc:
        raise InvalidComponent(_("Enter a number."), field="quantity") from exc
    if not qty.is_finite() or qty <= 0:
        raise InvalidComponent(_("The quantity must be more than zero."), field="quantity")
    if qty >= Decimal("1e11") or qty != qty.quantize(Decimal("0.001")):
        raise InvalidComponent(_("Enter a quantity with at most three decimals."), field="quantity")
    if component.is_voided or component.deleted_at is not None:
        raise InvalidComponent(
            _("“%(product)s” is voided and cannot be added.") % {"product": component},
            field="component",
        )
    with org_scope(parent.org_id):
        if component.pk == parent.pk or _contains(component.pk, parent.pk):
            raise InvalidComponent(
                _(
                    "“%(component)s” contains “%(parent)s”: a bundle cannot contain "
                    "itself, directly or through its contents."
                )
                % {"component": component, "parent": parent},
                field="component",
            )
        line, created = ProductComponent.objects.select_for_update().get_or_create(
            org_id=parent.org_id,
            parent=parent,
            component=component,
            relation=relation,
            defaults={"quantity": qty},
        )
        if not created:
            line.quantity = line.quantity + qty
            line.save(update_fields=["quantity"])
        return line


@transaction.atomic
def set_component_quantity(
    *, line: ProductComponent, actor: Any, quantity: Decimal | int | str
) -> ProductComponent:
    try:
        qty = Decimal(str(quantity))
    except (ArithmeticError, ValueError) as exc:
        raise InvalidComponent(_("Enter a number."), field="quantity") from exc
    if not qty.is_finite() or qty <= 0:
        raise InvalidComponent(_("The quantity must be more than zero."), field="quantity")
    if qty >= Decimal("1e11") or qty != qty.quantize(Decimal("0.001")):
        raise InvalidComponent(_("Enter a quantity with at most three decimals."), field="quantity")
    with org_scope(line.org_id):
        line.quantity = qty
        line.save(update_fields=["quantity"])
    return line


@transaction.atomic
def remove_component(*, line: ProductComponent, actor: Any) -> None:
    with org_scope(line.org_id):
        line.delete()
