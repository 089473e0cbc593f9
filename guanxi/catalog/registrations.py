"""What the catalog app adds to the shared registries."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from guanxi.core.permissions import ADD, CHANGE, DELETE, EXPORT, VIEW, register_object_type

_ALL = (VIEW, ADD, CHANGE, DELETE, EXPORT)

# Products are shared by the whole organisation: no owner field.
register_object_type(
    "product",
    _("Products"),
    actions=_ALL,
    defaults={
        "manager": _ALL,
        "sales": (VIEW, EXPORT),
        "service": (VIEW,),
        "marketing": (VIEW, EXPORT),
        "readonly": (VIEW,),
    },
)


def _register_pages() -> None:
    """Navigation, global search, attachments, custom fields and demo data of products."""
    from django.http import HttpRequest
    from django.urls import reverse

    from guanxi.catalog.models import Product
    from guanxi.catalog.selectors import get_product_for_user, search_products, visible_products
    from guanxi.core.attachments import register_attachable
    from guanxi.core.custom_fields import register_field_target
    from guanxi.core.models import CustomField
    from guanxi.core.search import SearchHit, SearchProvider, register_search_provider
    from guanxi.web.navigation import NavItem, register_nav_item

    register_nav_item(
        NavItem(
            key="products",
            label=_("Products"),
            url_name="catalog:product_list",
            icon="package",
            object_type="product",
            order=45,
        )
    )
    register_field_target(
        CustomField.Target.PRODUCT, _("Products"), object_type="product", order=30
    )
    register_attachable(Product, get_visible=get_product_for_user)

    def search_product_hits(request: HttpRequest, query: str, limit: int) -> list[SearchHit]:
        membership = getattr(request, "membership", None)
        if membership is None:
            return []
        products = search_products(visible_products(membership), query).order_by(
            "is_voided", "code", "id"
        )[:limit]
        detail = reverse("catalog:product_detail", args=[987654321])
        hits = []
        for product in products.only(
            "id", "code", "name", "model", "spec", "is_voided", "org_id", "unit", "list_price"
        ):
            bits = [b for b in (product.code, product.model, product.spec) if b]
            if product.is_voided:
                bits.append(str(_("voided")))
            hits.append(
                SearchHit(
                    title=product.name,
                    url=detail.replace("987654321", str(product.pk)),
                    subtitle=" · ".join(bits),
                )
            )
        return hits

    register_search_provider(
        SearchProvider(
            key="products",
            label=_("Products"),
            object_type="product",
            search=search_product_hits,
            order=30,
        )
    )

    from guanxi.catalog.demo import seed_products
    from guanxi.core.demo import register_demo_seeder

    register_demo_seeder("catalog.products", 30, seed_products)


_register_pages()
