"""The products API: answers match the generated schema, every operation is exercised,
plus behaviour the schema cannot show (filters, paging, query counts, scoping)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_scopes import scope
from jsonschema import Draft202012Validator

from guanxi.api.management.commands.export_openapi import openapi_document
from guanxi.catalog.models import Product
from guanxi.catalog.services import void_product
from tests.api.conftest import API, issue_token, token_client
from tests.catalog.api_calls import all_catalog_calls
from tests.catalog.factories import make_brand, make_category, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_api(admin_member):
    return token_client(issue_token(admin_member))


@pytest.fixture
def sales_api(sales_member):
    return token_client(issue_token(sales_member))


def _validate(document, method, template, response):
    operation = document["paths"][f"{API}{template}"][method]
    status = str(response.status_code)
    assert status in operation["responses"], f"{method} {template}: {status} undocumented"
    if status == "204":
        assert response.content == b""
        return
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": document["components"]})
    errors = sorted(validator.iter_errors(response.json()), key=str)
    assert errors == [], f"{method} {template} {status}: {errors[0].message}"


def test_every_catalog_operation_answers_as_documented(admin_api, sales_api, org, other_org):
    document = openapi_document()
    covered = set()
    for method, template, client, url, body, status in all_catalog_calls(
        admin_api, sales_api, org, other_org
    ):
        if body is None:
            response = getattr(client, method)(url)
        else:
            response = getattr(client, method)(url, body, content_type="application/json")
        assert response.status_code == status, (method, url, response.content)
        _validate(document, method, template, response)
        if status < 300:
            covered.add((method, f"{API}{template}"))
    catalog_operations = {
        (method, path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "catalog" in operation.get("tags", [])
    }
    assert catalog_operations
    assert catalog_operations - covered == set()


def test_list_filters_pages_and_stays_in_the_org(
    admin_api, org, other_org, django_assert_max_num_queries
):
    office = make_category(org, "办公设备")
    brand = make_brand(org, "惠普")
    for index in range(12):
        make_product(org, code=f"P{index:02d}", name="打印机", category=office, brand=brand)
    voided = make_product(org, code="Z-VOID")
    void_product(product=voided, actor=None)
    make_product(other_org, code="THEIRS")
    with django_assert_max_num_queries(12):
        body = admin_api.get(f"{API}/products?limit=5").json()
    assert [i["code"] for i in body["items"]] == ["P00", "P01", "P02", "P03", "P04"]
    assert body["items"][0]["category_path"] == ["办公设备"]
    codes = [i["code"] for i in body["items"]]
    while body["next_cursor"]:
        body = admin_api.get(f"{API}/products?limit=5&cursor={body['next_cursor']}").json()
        codes += [i["code"] for i in body["items"]]
    assert codes == [f"P{i:02d}" for i in range(12)]
    body = admin_api.get(f"{API}/products?status=voided").json()
    assert [i["code"] for i in body["items"]] == ["Z-VOID"]
    body = admin_api.get(f"{API}/products?brand={brand.pk}&kind=stocked&q=dyj&limit=200").json()
    assert len(body["items"]) == 12


def test_create_reports_service_errors_on_api_field_names(admin_api, org, other_org):
    theirs = make_category(other_org, "别家")
    response = admin_api.post(
        f"{API}/products",
        {"code": "A", "name": "甲", "category_id": theirs.pk},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "category_id"
    response = admin_api.post(
        f"{API}/products",
        {"code": "A", "name": "甲", "kind": "service", "serial_tracked": True},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "serial_tracked"
    with scope(org=org.pk):
        assert Product.objects.count() == 0


def test_patch_with_custom_fields(admin_api, org):
    from guanxi.core.models import CustomField

    with scope(org=org.pk):
        CustomField.objects.create(
            org=org, target="product", key="origin", label="产地", field_type="text"
        )
    product = make_product(org)
    response = admin_api.patch(
        f"{API}/products/{product.pk}",
        {"version": 1, "custom_data": {"origin": "深圳"}, "list_price": "9.90"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["custom_data"] == {"origin": "深圳"}
    assert response.json()["list_price"] == "9.90"
    response = admin_api.patch(
        f"{API}/products/{product.pk}",
        {"version": 2, "custom_data": {"nope": 1}},
        content_type="application/json",
    )
    assert response.status_code == 422
    product.refresh_from_db()
    assert product.list_price == Decimal("9.90")


def test_voided_component_refused(admin_api, org):
    a = make_product(org, code="A")
    b = make_product(org, code="B")
    void_product(product=b, actor=None)
    response = admin_api.post(
        f"{API}/products/{a.pk}/components", {"component_id": b.pk}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "voided" in response.json()["detail"]


def test_schema_names_are_not_shared_with_other_apps():
    """OpenAPI components are named by class: a name two apps use would describe one of
    them wrongly in the document."""
    from ninja import Schema

    import guanxi.api.api  # noqa: F401 - imports every app's router

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = {c.__name__ for c in subclasses(Schema) if c.__module__ == "guanxi.catalog.api"}
    theirs = {
        c.__name__
        for c in subclasses(Schema)
        if c.__module__ != "guanxi.catalog.api" and c.__module__.startswith("guanxi.")
    }
    assert ours
    assert ours & theirs == set()


def test_a_picture_uploaded_through_the_api_is_checked_renamed_and_served(admin_api, org):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.catalog.conftest import png_bytes

    product = make_product(org, code="PIC-1")
    image = SimpleUploadedFile("我的 <照片>.png", png_bytes(), "image/png")
    response = admin_api.post(f"{API}/products/{product.pk}/image", {"image": image, "version": 1})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["image_url"]
    assert body["version"] == 2
    with scope(org=org.pk):
        stored = Product.objects.get(pk=product.pk).image.name
    assert "照片" not in stored
    assert stored.endswith(".png")
    fake = SimpleUploadedFile("x.png", b"MZ\x90\x00 executable", "image/png")
    response = admin_api.post(f"{API}/products/{product.pk}/image", {"image": fake, "version": 2})
    assert response.status_code == 422
    assert "image" in str(response.json())
    with scope(org=org.pk):
        assert Product.objects.get(pk=product.pk).image.name == stored  # unchanged
    response = admin_api.delete(f"{API}/products/{product.pk}/image?version=2")
    assert response.status_code == 200
    assert response.json()["image_url"] is None
