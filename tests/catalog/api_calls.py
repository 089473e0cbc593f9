"""Calls of the products API for tests/api/test_schema.py: each answers as documented.

Run in order: later calls depend on the rows earlier ones create or change.
"""

from __future__ import annotations

from decimal import Decimal

from django_scopes import scope

from guanxi.catalog.models import ProductCategory
from tests.api.conftest import API
from tests.catalog.factories import make_brand, make_category, make_product


def catalog_calls(admin_api, sales_api, org, other_org) -> list[tuple]:
    office = make_category(org, "办公设备")
    printers = make_category(org, "打印机", parent=office)
    spare_category = make_category(org, "待删分类")
    brand = make_brand(org, "惠普")
    spare_brand = make_brand(org, "待删品牌")
    printer = make_product(org, code="API-PRN", name="激光打印机", category=printers, brand=brand)
    toner = make_product(org, code="API-TON", name="硒鼓", list_price=Decimal("459"))
    spare = make_product(org, code="API-DEL", name="要删的商品")
    theirs = make_product(other_org, code="THEIRS", name="别家的")
    with scope(org=org.pk):
        assert ProductCategory.objects.filter(pk=printers.pk).exists()
    p, t = printer.pk, toner.pk
    new = {
        "code": "API-NEW",
        "name": "彩色激光打印机",
        "list_price": "3299.00",
        "category_id": printers.pk,
        "brand_id": brand.pk,
        "serial_tracked": True,
        "warranty_type": "整机保修",
        "warranty_months": 12,
    }
    return [
        ("get", "/products", sales_api, f"{API}/products?q=jgdyj&sort=-list_price", None, 200),
        ("get", "/products", admin_api, f"{API}/products?category={office.pk}&limit=1", None, 200),
        ("get", "/products", admin_api, f"{API}/products?cursor=bad", None, 400),
        ("get", "/products", admin_api, f"{API}/products?sort=nonsense", None, 422),
        ("get", "/products", admin_api, f"{API}/products?category=abc", None, 422),
        ("get", "/products/{id}", sales_api, f"{API}/products/{p}", None, 200),
        ("get", "/products/{id}", admin_api, f"{API}/products/{theirs.pk}", None, 404),
        ("post", "/products", admin_api, f"{API}/products", new, 201),
        ("post", "/products", admin_api, f"{API}/products", new, 422),
        (
            "post",
            "/products",
            admin_api,
            f"{API}/products",
            {"code": "X", "name": "X", "list_price": "-1"},
            422,
        ),
        ("post", "/products", sales_api, f"{API}/products", {**new, "code": "API-S"}, 403),
        (
            "patch",
            "/products/{id}",
            admin_api,
            f"{API}/products/{p}",
            {"version": 1, "name": "黑白激光打印机"},
            200,
        ),
        (
            "patch",
            "/products/{id}",
            admin_api,
            f"{API}/products/{p}",
            {"version": 1, "name": "过期"},
            409,
        ),
        (
            "patch",
            "/products/{id}",
            admin_api,
            f"{API}/products/{p}",
            {"version": 2, "brand_id": 999999},
            422,
        ),
        ("post", "/products/{id}/void", admin_api, f"{API}/products/{t}/void", {}, 200),
        (
            "post",
            "/products/{id}/restore",
            admin_api,
            f"{API}/products/{t}/restore",
            {"version": 1},
            409,
        ),
        ("post", "/products/{id}/restore", admin_api, f"{API}/products/{t}/restore", {}, 200),
        (
            "post",
            "/products/{id}/components",
            admin_api,
            f"{API}/products/{p}/components",
            {"component_id": t, "quantity": "2"},
            201,
        ),
        (
            "post",
            "/products/{id}/components",
            admin_api,
            f"{API}/products/{t}/components",
            {"component_id": p},
            400,
        ),
        (
            "post",
            "/products/{id}/components",
            admin_api,
            f"{API}/products/{p}/components",
            {"component_id": t, "quantity": "0"},
            422,
        ),
        (
            "get",
            "/products/{id}/components",
            sales_api,
            f"{API}/products/{p}/components",
            None,
            200,
        ),
        ("delete", "/products/{id}", admin_api, f"{API}/products/{t}", None, 409),
        ("delete", "/products/{id}", admin_api, f"{API}/products/{spare.pk}", None, 204),
        ("delete", "/products/{id}", admin_api, f"{API}/products/{spare.pk}", None, 404),
        ("get", "/product-categories", sales_api, f"{API}/product-categories", None, 200),
        (
            "post",
            "/product-categories",
            admin_api,
            f"{API}/product-categories",
            {"name": "复印机", "parent_id": office.pk},
            201,
        ),
        (
            "post",
            "/product-categories",
            admin_api,
            f"{API}/product-categories",
            {"name": "  "},
            400,
        ),
        (
            "patch",
            "/product-categories/{id}",
            admin_api,
            f"{API}/product-categories/{printers.pk}",
            {"name": "打印设备"},
            200,
        ),
        (
            "post",
            "/product-categories/{id}/move",
            admin_api,
            f"{API}/product-categories/{spare_category.pk}/move",
            {"target_id": office.pk},
            200,
        ),
        (
            "post",
            "/product-categories/{id}/move",
            admin_api,
            f"{API}/product-categories/{office.pk}/move",
            {"target_id": spare_category.pk},
            400,
        ),
        (
            "delete",
            "/product-categories/{id}",
            admin_api,
            f"{API}/product-categories/{office.pk}",
            None,
            400,
        ),
        (
            "delete",
            "/product-categories/{id}",
            admin_api,
            f"{API}/product-categories/{spare_category.pk}",
            None,
            204,
        ),
        ("get", "/brands", sales_api, f"{API}/brands", None, 200),
        ("post", "/brands", admin_api, f"{API}/brands", {"name": "佳能"}, 201),
        ("post", "/brands", admin_api, f"{API}/brands", {"name": "佳能"}, 422),
        (
            "patch",
            "/brands/{id}",
            admin_api,
            f"{API}/brands/{brand.pk}",
            {"name": "HP", "version": 1},
            200,
        ),
        (
            "patch",
            "/brands/{id}",
            admin_api,
            f"{API}/brands/{brand.pk}",
            {"name": "HP2", "version": 1},
            409,
        ),
        ("delete", "/brands/{id}", admin_api, f"{API}/brands/{brand.pk}", None, 409),
        ("delete", "/brands/{id}", admin_api, f"{API}/brands/{spare_brand.pk}", None, 204),
    ]


def component_line_calls(admin_api, org) -> list[tuple]:
    """The component line operations, on a bundle of their own."""
    bundle = make_product(org, code="API-BND", name="办公套装")
    paper = make_product(org, code="API-PAP", name="复印纸")
    from guanxi.catalog.services import add_component

    line = add_component(parent=bundle, component=paper, actor=None, quantity=1)
    url = f"{API}/products/{bundle.pk}/components/{line.pk}"
    return [
        ("patch", "/products/{id}/components/{line_id}", admin_api, url, {"quantity": "3"}, 200),
        ("patch", "/products/{id}/components/{line_id}", admin_api, url, {"quantity": "-3"}, 422),
        ("delete", "/products/{id}/components/{line_id}", admin_api, url, None, 204),
        ("delete", "/products/{id}/components/{line_id}", admin_api, url, None, 404),
    ]


class ImageUpload:
    """A client whose POST sends a multipart form with the picture under `image`."""

    def __init__(self, client):
        self.client = client

    def post(self, url, body=None, content_type=None):
        from django.core.files.uploadedfile import SimpleUploadedFile

        body = dict(body or {})
        body["image"] = SimpleUploadedFile("photo.png", body["image"], "image/png")
        return self.client.post(url, body)


def image_calls(admin_api, org, other_org) -> list[tuple]:
    """Upload, replace (stale), refuse and remove a product's picture."""
    from tests.catalog.conftest import png_bytes

    product = make_product(org, code="IMG-1", name="带图商品")
    theirs = make_product(other_org, code="IMG-X", name="别人的商品")
    upload = ImageUpload(admin_api)
    url = f"{API}/products/{product.pk}/image"
    template = "/products/{id}/image"
    return [
        ("post", template, upload, url, {"image": png_bytes(), "version": 1}, 200),
        ("post", template, upload, url, {"image": png_bytes(), "version": 1}, 409),
        ("post", template, upload, url, {"image": b"%PDF-1.4 not an image", "version": 2}, 422),
        (
            "post",
            template,
            upload,
            f"{API}/products/{theirs.pk}/image",
            {"image": png_bytes(), "version": 1},
            404,
        ),
        ("delete", template, admin_api, f"{url}?version=1", None, 409),
        ("delete", template, admin_api, f"{url}?version=2", None, 200),
    ]


def all_catalog_calls(admin_api, sales_api, org, other_org) -> list[tuple]:
    return [
        *catalog_calls(admin_api, sales_api, org, other_org),
        *component_line_calls(admin_api, org),
        *image_calls(admin_api, org, other_org),
    ]
