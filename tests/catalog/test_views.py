"""The product pages: list, form, product page and its tabs, void/restore, delete, image,
brands, the category tree and bulk actions; permissions and other organisations."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scope

from guanxi.catalog.models import Brand, Product, ProductCategory, ProductComponent
from guanxi.catalog.services import add_component, update_product, void_product
from guanxi.catalog.tabs import (
    PRODUCT_TAB_PROVIDERS,
    ProductTab,
    ProductTabProvider,
    register_product_tab,
)
from guanxi.core.models import CustomField
from tests.catalog.conftest import png_bytes
from tests.catalog.factories import make_brand, make_category, make_party, make_product
from tests.conftest import login
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def _form_data(**overrides):
    data = {
        "code": "HP-1136",
        "name": "黑白激光打印机",
        "model": "LaserJet M1136",
        "spec": "A4 / 18页每分钟",
        "unit": "台",
        "kind": "stocked",
        "list_price": "1399.00",
        "cost_price": "1050.00",
        "tax_rate": "13",
        "reorder_level": "5",
        "reorder_quantity": "10",
        "warranty_months": "12",
        "warranty_type": "整机保修",
        "serial_tracked": "on",
    }
    data.update(overrides)
    return data


# --- the list -------------------------------------------------------------------------------


def test_list_shows_products_with_tree_and_columns(admin_client, org):
    office = make_category(org, "办公设备")
    printers = make_category(org, "打印机", parent=office)
    make_product(org, code="P1", name="激光打印机", category=printers)
    response = admin_client.get(reverse("catalog:product_list"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "激光打印机" in content
    assert 'data-category-name="打印机"' in content
    assert {c["key"] for c in response.context["columns"]} >= {
        "code",
        "name",
        "model",
        "spec",
        "unit",
        "category",
        "brand",
        "kind",
        "list_price",
        "cost_price",
        "tax_rate",
    }


def test_list_query_count_does_not_grow_with_rows(admin_client, org, django_assert_max_num_queries):
    brand = make_brand(org, "惠普")
    category = make_category(org, "办公设备")
    for index in range(30):
        make_product(org, code=f"P{index:03d}", brand=brand, category=category)
    with django_assert_max_num_queries(14):
        response = admin_client.get(reverse("catalog:product_list"))
    assert len(response.context["rows"]) == 30


def test_list_filters_by_category_with_descendants(admin_client, org):
    office = make_category(org, "办公设备")
    printers = make_category(org, "打印机", parent=office)
    other = make_category(org, "耗材")
    make_product(org, code="A", name="打印机A", category=printers)
    make_product(org, code="B", name="总类B", category=office)
    make_product(org, code="C", name="纸C", category=other)
    make_product(org, code="D", name="无类D")
    codes = lambda r: [p.code for p in r.context["rows"]]  # noqa: E731
    assert codes(admin_client.get(reverse("catalog:product_list"), {"category": office.pk})) == [
        "A",
        "B",
    ]
    assert codes(admin_client.get(reverse("catalog:product_list"), {"category": "none"})) == ["D"]
    response = admin_client.get(reverse("catalog:product_list"), {"category": "abc"})
    assert response.status_code == 200  # a bad filter is reported, not a 500
    assert response.context["filter_form"].errors


def test_list_search_by_pinyin_initials_and_model(admin_client, org):
    make_product(org, code="A", name="激光打印机", model="M1136")
    make_product(org, code="B", name="投影仪", model="CB-X50")
    url = reverse("catalog:product_list")
    assert [p.code for p in admin_client.get(url, {"q": "jgdyj"}).context["rows"]] == ["A"]
    assert [p.code for p in admin_client.get(url, {"q": "touying"}).context["rows"]] == ["B"]
    assert [p.code for p in admin_client.get(url, {"q": "cb-x50"}).context["rows"]] == ["B"]
    response = admin_client.get(url, {"q": "jgdyj"}, headers={"HX-Request": "true"})
    assert b'id="product-results"' in response.content
    assert b"<html" not in response.content


def test_list_hides_voided_unless_asked(admin_client, org):
    make_product(org, code="A")
    voided = make_product(org, code="V")
    void_product(product=voided, actor=None)
    url = reverse("catalog:product_list")
    assert [p.code for p in admin_client.get(url).context["rows"]] == ["A"]
    assert [p.code for p in admin_client.get(url, {"status": "voided"}).context["rows"]] == ["V"]
    assert [p.code for p in admin_client.get(url, {"status": "all"}).context["rows"]] == ["A", "V"]


@pytest.mark.parametrize(
    "sort",
    [
        "code",
        "-code",
        "name",
        "model",
        "spec",
        "unit",
        "category",
        "-brand",
        "kind",
        "list_price",
        "-cost_price",
        "tax_rate",
        "updated",
    ],
)
def test_every_column_sorts_and_pages(admin_client, org, sort, settings):
    from guanxi.catalog import list_views

    brands = [make_brand(org, "甲"), make_brand(org, "乙")]
    categories = [make_category(org, "一"), make_category(org, "二")]
    for index in range(7):
        make_product(
            org,
            code=f"C{index}",
            name=f"商品{6 - index}",
            model=f"M{index % 3}",
            list_price=Decimal(index % 4),
            brand=brands[index % 2] if index != 3 else None,
            category=categories[index % 2] if index != 4 else None,
        )
    original = list_views.PAGE_SIZE
    list_views.PAGE_SIZE = 3
    try:
        url = reverse("catalog:product_list")
        seen = []
        response = admin_client.get(url, {"sort": sort})
        seen += [p.code for p in response.context["rows"]]
        while response.context["next_url"]:
            response = admin_client.get(response.context["next_url"])
            seen += [p.code for p in response.context["rows"]]
    finally:
        list_views.PAGE_SIZE = original
    assert sorted(seen) == [f"C{i}" for i in range(7)]  # every row once, across pages


def test_sort_by_price_descending_orders_rows(admin_client, org):
    make_product(org, code="A", list_price=Decimal("5"))
    make_product(org, code="B", list_price=Decimal("50"))
    make_product(org, code="C", list_price=Decimal("20"))
    response = admin_client.get(reverse("catalog:product_list"), {"sort": "-list_price"})
    assert [p.code for p in response.context["rows"]] == ["B", "C", "A"]


def test_bad_cursor_falls_back_to_the_first_page(admin_client, org):
    make_product(org, code="A")
    response = admin_client.get(reverse("catalog:product_list"), {"cursor": "garbage"})
    assert response.status_code == 200
    assert [p.code for p in response.context["rows"]] == ["A"]


def test_list_needs_the_view_permission(client, org):
    member = make_member(org, "readonly", username="r")
    login(client, member)
    assert client.get(reverse("catalog:product_list")).status_code == 200
    assert client.get(reverse("catalog:product_create")).status_code == 403


def test_list_does_not_show_other_orgs(admin_client, org, other_org):
    make_product(other_org, code="SECRET", name="别家")
    assert b"SECRET" not in admin_client.get(reverse("catalog:product_list")).content


# --- add / edit ------------------------------------------------------------------------------


def test_create_through_the_form(admin_client, org):
    category = make_category(org, "打印机")
    brand = make_brand(org, "惠普")
    supplier = make_party(org, name="上海办公设备供应商", is_supplier=True)
    response = admin_client.get(reverse("catalog:product_create"), {"category": category.pk})
    assert response.status_code == 200
    assert [s.key for s in response.context["sections"]] == ["basic", "prices", "stock"]
    image = SimpleUploadedFile("p.png", png_bytes(), content_type="image/png")
    response = admin_client.post(
        reverse("catalog:product_create"),
        _form_data(
            category=category.pk, brand=brand.pk, preferred_supplier=supplier.pk, image=image
        ),
    )
    with scope(org=org.pk):
        product = Product.objects.get(code="HP-1136")
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:product_detail", args=[product.pk])
    assert product.category == category
    assert product.brand == brand
    assert product.preferred_supplier == supplier
    assert product.serial_tracked
    assert product.warranty_months == 12
    assert product.image
    assert "hbjgdyj" in product.search_text


def test_form_errors_are_shown_per_field_and_nothing_saved(admin_client, org):
    make_product(org, code="DUP")
    response = admin_client.post(
        reverse("catalog:product_create"),
        _form_data(code="DUP", list_price="-5", tax_rate="130", kind="service"),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "code" in errors
    assert "list_price" in errors or "tax_rate" in errors
    with scope(org=org.pk):
        assert Product.objects.count() == 1


def test_fake_image_is_refused_on_the_form(admin_client, org):
    fake = SimpleUploadedFile("x.png", b"MZ\x90\x00 executable", content_type="image/png")
    response = admin_client.post(reverse("catalog:product_create"), _form_data(image=fake))
    assert response.status_code == 200
    assert "image" in response.context["form"].errors


def test_edit_with_a_stale_version_is_refused(admin_client, org):
    product = make_product(org, name="原名")
    update_product(product=product, actor=None, data={"name": "别人改的"}, expected_version=1)
    response = admin_client.post(
        reverse("catalog:product_edit", args=[product.pk]),
        _form_data(code=product.code, name="我改的", version=1),
    )
    assert response.status_code == 200
    assert "Someone else changed" in response.content.decode()
    product.refresh_from_db()
    assert product.name == "别人改的"


def test_edit_saves_custom_fields(admin_client, org):
    with scope(org=org.pk):
        CustomField.objects.create(
            org=org, target="product", key="origin", label="产地", field_type="text"
        )
    product = make_product(org)
    response = admin_client.get(reverse("catalog:product_edit", args=[product.pk]))
    assert "cf_origin" in response.context["form"].fields
    response = admin_client.post(
        reverse("catalog:product_edit", args=[product.pk]),
        _form_data(code=product.code, version=1, cf_origin="深圳"),
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.custom_data["origin"] == "深圳"
    response = admin_client.get(reverse("catalog:product_details_tab", args=[product.pk]))
    assert "深圳" in response.content.decode()


# --- the product page --------------------------------------------------------------------------


def test_detail_page_and_its_tabs(admin_client, org):
    product = make_product(org, kind=Product.Kind.SERVICE, name="上门安装", code="SV1")
    response = admin_client.get(reverse("catalog:product_detail", args=[product.pk]))
    assert response.status_code == 200
    keys = [t.key for t in response.context["tabs"]]
    assert keys[:2] == ["details", "components"]
    assert "attachments" in keys
    assert keys[-1] == "history"
    assert b'data-testid="service-badge"' in response.content
    for tab in response.context["tabs"]:
        assert admin_client.get(tab.url).status_code == 200, tab.key


def test_other_apps_register_tabs(admin_client, org):
    product = make_product(org)
    saved = list(PRODUCT_TAB_PROVIDERS)
    try:
        register_product_tab(
            ProductTabProvider(
                "stock", 30, lambda request, p: ProductTab("stock", "Stock", f"/x/{p.pk}/")
            )
        )
        register_product_tab(ProductTabProvider("hidden", 40, lambda request, p: None))
        response = admin_client.get(reverse("catalog:product_detail", args=[product.pk]))
        keys = [t.key for t in response.context["tabs"]]
        assert keys.index("components") < keys.index("stock") < keys.index("attachments")
        assert "hidden" not in keys
    finally:
        PRODUCT_TAB_PROVIDERS[:] = saved


def test_other_orgs_product_is_404(admin_client, other_org):
    product = make_product(other_org)
    for name in (
        "product_detail",
        "product_edit",
        "product_details_tab",
        "product_components_tab",
        "product_history_tab",
        "product_delete",
        "product_image",
    ):
        assert admin_client.get(reverse(f"catalog:{name}", args=[product.pk])).status_code == 404, (
            name
        )
    assert admin_client.post(reverse("catalog:product_void", args=[product.pk])).status_code == 404


def test_components_through_the_tab(admin_client, org):
    bundle = make_product(org, code="BND", name="套装")
    part = make_product(org, code="PRT", name="配件")
    url = reverse("catalog:component_add", args=[bundle.pk])
    htmx = {"HX-Request": "true"}
    response = admin_client.post(
        url, {"component": part.pk, "quantity": "2", "relation": "bundle"}, headers=htmx
    )
    assert response.status_code == 200
    assert b'data-testid="bundle-line"' in response.content
    with scope(org=org.pk):
        line = ProductComponent.objects.get(parent=bundle)
    assert line.quantity == Decimal("2")
    # a cycle is refused with a message on the form
    response = admin_client.post(
        reverse("catalog:component_add", args=[part.pk]),
        {"component": bundle.pk, "quantity": "1", "relation": "bundle"},
        headers=htmx,
    )
    assert "cannot contain itself" in response.content.decode()
    response = admin_client.post(
        reverse("catalog:component_quantity", args=[bundle.pk, line.pk]),
        {"quantity": "5"},
        headers=htmx,
    )
    line.refresh_from_db()
    assert line.quantity == Decimal("5")
    response = admin_client.post(
        reverse("catalog:component_quantity", args=[bundle.pk, line.pk]),
        {"quantity": "-1"},
        headers=htmx,
    )
    assert response.status_code == 200
    line.refresh_from_db()
    assert line.quantity == Decimal("5")
    admin_client.post(reverse("catalog:component_remove", args=[bundle.pk, line.pk]), headers=htmx)
    with scope(org=org.pk):
        assert not ProductComponent.objects.filter(parent=bundle).exists()


def test_void_restore_and_history(admin_client, org):
    product = make_product(org)
    response = admin_client.post(
        reverse("catalog:product_void", args=[product.pk]), {"version": product.version}
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.is_voided
    page = admin_client.get(reverse("catalog:product_detail", args=[product.pk]))
    assert b'data-testid="voided-badge"' in page.content
    # a stale page's restore is refused with a message
    admin_client.post(reverse("catalog:product_restore", args=[product.pk]), {"version": 1})
    product.refresh_from_db()
    assert product.is_voided
    admin_client.post(
        reverse("catalog:product_restore", args=[product.pk]), {"version": product.version}
    )
    product.refresh_from_db()
    assert not product.is_voided
    history = admin_client.get(reverse("catalog:product_history_tab", args=[product.pk]))
    assert history.content.decode().count('data-testid="history-entry"') >= 3


def test_history_restore(admin_client, org):
    product = make_product(org, name="第一版")
    update_product(product=product, actor=None, data={"name": "第二版"}, expected_version=1)
    with scope(org=org.pk):
        first = product.history.order_by("history_id").first()
    response = admin_client.post(
        reverse("catalog:product_history_restore", args=[product.pk, first.history_id]),
        {"version": product.version},
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.name == "第一版"
    response = admin_client.post(
        reverse("catalog:product_history_restore", args=[product.pk, 999999]),
        {"version": product.version},
    )
    assert response.status_code == 404


def test_delete_page_and_blocker(admin_client, org):
    bundle = make_product(org, code="B")
    part = make_product(org, code="P")
    add_component(parent=bundle, component=part, actor=None)
    response = admin_client.get(reverse("catalog:product_delete", args=[part.pk]))
    assert b'data-testid="delete-blocked"' in response.content
    response = admin_client.post(reverse("catalog:product_delete", args=[part.pk]))
    part.refresh_from_db()
    assert part.deleted_at is None
    response = admin_client.post(reverse("catalog:product_delete", args=[bundle.pk]))
    assert response["Location"] == reverse("catalog:product_list")
    bundle.refresh_from_db()
    assert bundle.deleted_at is not None


def test_image_is_served_only_to_members(admin_client, org, png_upload):
    from django.test import Client

    product = make_product(org, image=png_upload)
    response = admin_client.get(reverse("catalog:product_image", args=[product.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert Client().get(reverse("catalog:product_image", args=[product.pk])).status_code == 302
    plain = make_product(org)
    assert admin_client.get(reverse("catalog:product_image", args=[plain.pk])).status_code == 404


def test_sales_may_view_but_not_change(sales_client, org):
    product = make_product(org)
    assert sales_client.get(reverse("catalog:product_detail", args=[product.pk])).status_code == 200
    assert sales_client.post(reverse("catalog:product_void", args=[product.pk])).status_code == 403
    assert sales_client.get(reverse("catalog:product_edit", args=[product.pk])).status_code == 403
    assert (
        sales_client.post(reverse("catalog:product_delete", args=[product.pk])).status_code == 403
    )


# --- brands, categories, bulk ---------------------------------------------------------------------


def test_brand_page(admin_client, org):
    url = reverse("catalog:brand_list")
    response = admin_client.post(url, {"name": "联想"})
    assert response.status_code == 302
    response = admin_client.post(url, {"name": "联想"})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    with scope(org=org.pk):
        brand = Brand.objects.get(name="联想")
    admin_client.post(
        reverse("catalog:brand_rename", args=[brand.pk]), {"name": "Lenovo", "version": 1}
    )
    brand.refresh_from_db()
    assert brand.name == "Lenovo"
    make_product(org, brand=brand)
    admin_client.post(reverse("catalog:brand_delete", args=[brand.pk]))
    with scope(org=org.pk):
        assert Brand.objects.filter(pk=brand.pk).exists()
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "Lenovo" in page.content.decode()


def test_category_tree_operations(admin_client, org):
    htmx = {"HX-Request": "true"}
    admin_client.post(reverse("catalog:category_add"), {"name": "办公设备"}, headers=htmx)
    with scope(org=org.pk):
        office = ProductCategory.objects.get(name="办公设备")
    admin_client.post(
        reverse("catalog:category_add"),
        {"parent": office.pk},
        headers={**htmx, "HX-Prompt": "打印机"},
    )
    with scope(org=org.pk):
        printers = ProductCategory.objects.get(name="打印机")
    assert printers.depth == 2
    admin_client.post(
        reverse("catalog:category_rename", args=[printers.pk]), {"name": "打印设备"}, headers=htmx
    )
    printers.refresh_from_db()
    assert printers.name == "打印设备"
    make_product(org, category=printers)
    response = admin_client.post(
        reverse("catalog:category_delete", args=[printers.pk]), headers=htmx
    )
    assert b'data-testid="tree-error"' in response.content
    response = admin_client.post(
        reverse("catalog:category_move", args=[printers.pk]), {"direction": "outdent"}, headers=htmx
    )
    printers.refresh_from_db()
    assert printers.depth == 1
    response = admin_client.post(
        reverse("catalog:category_move", args=[printers.pk]),
        {"direction": "sideways"},
        headers=htmx,
    )
    assert response.status_code == 400
    response = admin_client.post(reverse("catalog:category_add"), {"name": ""}, headers=htmx)
    assert b'data-testid="tree-error"' in response.content


def test_bulk_actions(admin_client, org):
    category = make_category(org, "耗材")
    a, b = make_product(org, code="A"), make_product(org, code="B")
    url = reverse("catalog:product_bulk")
    admin_client.post(
        url, {"action": "move_category", "category": category.pk, "ids": [a.pk, b.pk]}
    )
    a.refresh_from_db()
    assert a.category == category
    admin_client.post(url, {"action": "void", "ids": [a.pk]})
    a.refresh_from_db()
    assert a.is_voided
    admin_client.post(url, {"action": "restore", "ids": [a.pk]})
    a.refresh_from_db()
    assert not a.is_voided
    admin_client.post(url, {"action": "delete", "ids": [b.pk]})
    b.refresh_from_db()
    assert b.deleted_at is not None
    response = admin_client.post(url, {"action": "void", "ids": ["x"]})
    assert response.status_code == 302  # bad ids: a message, no 500


def test_bulk_refuses_other_orgs_rows(admin_client, other_org):
    theirs = make_product(other_org)
    response = admin_client.post(
        reverse("catalog:product_bulk"), {"action": "void", "ids": [theirs.pk]}
    )
    assert response.status_code == 404


def test_sales_cannot_bulk_change(sales_client, org):
    product = make_product(org)
    response = sales_client.post(
        reverse("catalog:product_bulk"), {"action": "void", "ids": [product.pk]}
    )
    assert response.status_code == 403


def test_edit_form_keeps_category_brand_supplier_and_image(admin_client, org, png_upload):
    category = make_category(org, "打印机")
    brand = make_brand(org, "惠普")
    supplier = make_party(org, name="上海办公设备供应商", is_supplier=True)
    product = make_product(
        org, category=category, brand=brand, preferred_supplier=supplier, image=png_upload
    )
    image_name = product.image.name
    response = admin_client.get(reverse("catalog:product_edit", args=[product.pk]))
    form = response.context["form"]
    assert form["category"].value() == category.pk
    assert form["brand"].value() == brand.pk
    assert form["preferred_supplier"].value() == supplier.pk
    assert b'data-testid="current-image"' in response.content
    # Saving what the form shows changes only what the user changed.
    data = {
        name: form[name].value()
        for name in form.fields
        if form[name].value() is not None and form[name].value() is not False and name != "image"
    }
    data["name"] = "改了名字"
    data["reorder_quantity"] = ""  # empty means zero
    response = admin_client.post(reverse("catalog:product_edit", args=[product.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    product.refresh_from_db()
    assert product.name == "改了名字"
    assert (product.category, product.brand, product.preferred_supplier) == (
        category,
        brand,
        supplier,
    )
    assert product.image.name == image_name
    assert product.reorder_quantity == 0
