"""Reads of products, narrowed by the permission service (rule 2).

Products are shared by the whole organisation (no owner), so a member with the
"view product" permission sees every product of their organisation.

Search is a plain `icontains` over the precomputed `search_text` (name, code, model,
spec, barcode, brand, full pinyin and initials): an organisation has thousands of
products, not millions, so a scan of its rows is fast enough (see docs/decisions.md).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from guanxi.catalog.models import Brand, Product, ProductCategory, ProductComponent
from guanxi.core.models import Organisation
from guanxi.core.permissions import MembershipLike, get_visible_or_404, visible
from guanxi.core.scoping import org_pk, org_scope

PRODUCT = "product"
MAX_QUERY_LENGTH = 100


def visible_products(membership: MembershipLike | None) -> QuerySet[Product]:
    """Every live (not deleted) product the member may see, voided ones included."""
    return visible(Product.objects.all(), membership, PRODUCT)


def get_product_for_user(membership: MembershipLike | None, pk: Any) -> Product:
    """The visible product `pk` with its category, brand and supplier; Http404 otherwise."""
    queryset = Product.objects.select_related("category", "brand", "preferred_supplier")
    return get_visible_or_404(queryset, membership, PRODUCT, pk=pk)


def product_choices_for_documents(org: Organisation | int) -> QuerySet[Product]:
    """Products that may go on a new document: the organisation's, live and not voided.

    Call inside or outside an organisation scope; the queryset is filtered by `org`
    explicitly (evaluate it inside `org_scope(org)`, as every scoped query).
    """
    return Product.objects.filter(org_id=org_pk(org), is_voided=False).order_by("code", "id")


def search_products(queryset: QuerySet[Product], query: str) -> QuerySet[Product]:
    """Narrow `queryset` to products matching `query` by name, code, model, spec,
    barcode, brand or pinyin (full or initials). Words must all match."""
    words = (query or "").strip().lower()[:MAX_QUERY_LENGTH].split()
    for word in words:
        queryset = queryset.filter(search_text__icontains=word)
    return queryset


def category_with_descendants(category: ProductCategory) -> Q:
    """A filter for products filed in `category` or any of its subcategories."""
    return Q(category__path__startswith=category.path)


def product_picker_results(
    membership: MembershipLike | None, query: str, *, limit: int = 20
) -> list[Product]:
    """What the document line editors' product picker offers: usable products only."""
    if membership is None:
        return []
    qs = visible_products(membership).filter(is_voided=False)
    qs = search_products(qs, query)
    return list(qs.order_by("code", "id")[:limit])


def components_of(product: Product) -> list[ProductComponent]:
    with org_scope(product.org_id):
        return list(
            ProductComponent.objects.filter(parent=product)
            .select_related("component")
            .order_by("relation", "component__code", "id")
        )


def used_in(product: Product) -> list[ProductComponent]:
    with org_scope(product.org_id):
        return list(
            ProductComponent.objects.filter(component=product, parent__deleted_at__isnull=True)
            .select_related("parent")
            .order_by("parent__code", "id")
        )


def brands_of(org: Organisation | int) -> list[Brand]:
    with org_scope(org):
        return list(Brand.objects.order_by("name", "id"))
