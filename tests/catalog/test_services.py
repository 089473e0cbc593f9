"""Product services: validation, search text, versions, void, delete, components, brands."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope

from guanxi.catalog.models import Product, ProductComponent
from guanxi.catalog.services import (
    BrandInUse,
    InvalidComponent,
    InvalidProduct,
    add_component,
    create_brand,
    delete_brand,
    delete_product,
    file_products_in_category,
    remove_component,
    rename_brand,
    restore_product,
    restore_product_version,
    set_component_quantity,
    undelete_product,
    update_product,
    void_product,
)
from guanxi.core.exceptions import DeletionRefused, StaleEdit
from tests.catalog.factories import make_brand, make_category, make_party, make_product

pytestmark = pytest.mark.django_db


def test_create_fills_pinyin_search_text(org):
    brand = make_brand(org, "惠普")
    product = make_product(
        org, code="HP-1136", name="黑白激光打印机", model="LaserJet M1136", spec="A4", brand=brand
    )
    assert "heibaijiguangdayinji" in product.search_text
    assert "hbjgdyj" in product.search_text
    assert "laserjet m1136" in product.search_text
    assert "hp-1136" in product.search_text
    assert "huipu" in product.search_text


def test_required_code_and_name(org):
    with pytest.raises(ValidationError) as caught:
        make_product(org, code="", name="")
    assert set(caught.value.message_dict) >= {"code", "name"}


def test_code_is_unique_including_the_recycle_bin(org, other_org):
    first = make_product(org, code="A-1")
    make_product(other_org, code="A-1")  # another organisation may reuse it
    with pytest.raises(ValidationError) as caught:
        make_product(org, code="A-1")
    assert "Another product already has this code." in caught.value.message_dict["code"]
    delete_product(product=first, actor=None)
    with pytest.raises(ValidationError) as caught:
        make_product(org, code="A-1")
    assert "recycle bin" in caught.value.message_dict["code"][0]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("list_price", Decimal("-1")),
        ("cost_price", Decimal("-0.01")),
        ("tax_rate", Decimal("101")),
        ("tax_rate", Decimal("-1")),
        ("reorder_level", Decimal("-2")),
        ("warranty_months", 300),
    ],
)
def test_bad_numbers_are_refused_by_field(org, field, value):
    data = {field: value}
    if field == "warranty_months":
        data["warranty_type"] = "整机保修"
    with pytest.raises(ValidationError) as caught:
        make_product(org, **data)
    assert field in caught.value.message_dict
    with scope(org=org.pk):
        assert Product.objects.count() == 0


def test_service_items_have_no_serial_numbers(org):
    with pytest.raises(ValidationError) as caught:
        make_product(org, kind=Product.Kind.SERVICE, serial_tracked=True)
    assert "serial_tracked" in caught.value.message_dict


def test_warranty_months_need_a_warranty_type(org):
    with pytest.raises(ValidationError) as caught:
        make_product(org, warranty_months=12)
    assert "warranty_type" in caught.value.message_dict


def test_foreign_category_brand_and_supplier_are_refused(org, other_org):
    category = make_category(other_org, "别家分类")
    brand = make_brand(other_org, "别家品牌")
    supplier = make_party(other_org, name="别家供应商", is_supplier=True)
    with pytest.raises(ValidationError) as caught:
        make_product(org, category=category, brand=brand, preferred_supplier=supplier)
    assert {"category", "brand", "preferred_supplier"} <= set(caught.value.message_dict)


def test_preferred_supplier_must_be_a_supplier(org):
    customer = make_party(org, name="只是客户")
    with pytest.raises(ValidationError) as caught:
        make_product(org, preferred_supplier=customer)
    assert "preferred_supplier" in caught.value.message_dict
    supplier = make_party(org, name="真供应商", is_supplier=True)
    assert make_product(org, preferred_supplier=supplier).preferred_supplier == supplier


def test_unknown_fields_are_refused(org):
    with pytest.raises(InvalidProduct):
        make_product(org, is_voided=True)


def test_update_checks_the_version(org):
    product = make_product(org, name="旧名")
    update_product(product=product, actor=None, data={"name": "新名"}, expected_version=1)
    assert product.version == 2
    assert "xinming" in product.search_text
    with pytest.raises(StaleEdit):
        update_product(product=product, actor=None, data={"name": "再改"}, expected_version=1)
    with scope(org=org.pk):
        assert Product.objects.get(pk=product.pk).name == "新名"


def test_image_must_be_a_real_image(org, png_upload, fake_image):
    with pytest.raises(ValidationError) as caught:
        make_product(org, image=fake_image)
    assert "image" in caught.value.message_dict
    product = make_product(org, image=png_upload)
    # The stored name is random; the user's file name is not kept.
    assert product.image.name.startswith("products/")
    assert product.image.name.endswith(".png")
    assert "script" not in product.image.name
    update_product(product=product, actor=None, data={"image": ""}, expected_version=1)
    assert not product.image


def test_image_size_limit(org, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.catalog.conftest import png_bytes

    big = SimpleUploadedFile("big.png", png_bytes(), content_type="image/png")
    big.size = 6 * 1024 * 1024
    with pytest.raises(ValidationError) as caught:
        make_product(org, image=big)
    assert "5 MB" in caught.value.message_dict["image"][0]


def test_void_and_restore(org, admin_member):
    product = make_product(org)
    void_product(product=product, actor=admin_member.user)
    assert product.is_voided
    assert product.voided_by == admin_member.user
    assert product.voided_at is not None
    with pytest.raises(StaleEdit):
        restore_product(product=product, actor=None, expected_version=1)
    restore_product(product=product, actor=None, expected_version=product.version)
    assert not product.is_voided
    assert product.voided_at is None


def test_a_component_cannot_be_deleted(org):
    bundle = make_product(org, code="B-1", name="套装")
    part = make_product(org, code="C-1", name="配件")
    add_component(parent=bundle, component=part, actor=None, quantity=2)
    with pytest.raises(DeletionRefused) as caught:
        delete_product(product=part, actor=None)
    assert "component" in str(caught.value.message)
    delete_product(product=bundle, actor=None)  # the bundle itself may go
    undelete_product(product=bundle, actor=None)
    assert bundle.deleted_at is None


def test_components_add_up_and_refuse_cycles(org):
    a = make_product(org, code="A", name="甲")
    b = make_product(org, code="B", name="乙")
    c = make_product(org, code="C", name="丙")
    add_component(parent=a, component=b, actor=None, quantity="1")
    line = add_component(parent=a, component=b, actor=None, quantity="1.5")
    assert line.quantity == Decimal("2.500")
    add_component(parent=b, component=c, actor=None)
    with pytest.raises(InvalidComponent):
        add_component(parent=a, component=a, actor=None)
    with pytest.raises(InvalidComponent) as caught:
        add_component(parent=c, component=a, actor=None)  # c ⊂ b ⊂ a
    assert "cannot contain itself" in str(caught.value.message)
    set_component_quantity(line=line, actor=None, quantity="3")
    assert line.quantity == Decimal("3")
    remove_component(line=line, actor=None)
    with scope(org=org.pk):
        assert not ProductComponent.objects.filter(parent=a).exists()


@pytest.mark.parametrize("quantity", ["0", "-1", "abc", "1.0001", "NaN"])
def test_bad_component_quantities(org, quantity):
    a = make_product(org, code="A")
    b = make_product(org, code="B")
    with pytest.raises(InvalidComponent) as caught:
        add_component(parent=a, component=b, actor=None, quantity=quantity)
    assert caught.value.field == "quantity"


def test_voided_and_foreign_components_are_refused(org, other_org):
    a = make_product(org, code="A")
    voided = make_product(org, code="V")
    void_product(product=voided, actor=None)
    foreign = make_product(other_org, code="F")
    with pytest.raises(InvalidComponent):
        add_component(parent=a, component=voided, actor=None)
    with pytest.raises(InvalidComponent):
        add_component(parent=a, component=foreign, actor=None)


def test_restore_an_earlier_version_keeps_the_void_state(org):
    product = make_product(org, name="第一版", list_price=Decimal("10"))
    update_product(
        product=product,
        actor=None,
        data={"name": "第二版", "list_price": Decimal("20")},
        expected_version=1,
    )
    void_product(product=product, actor=None)
    with scope(org=org.pk):
        first = product.history.order_by("history_id").first()
    restore_product_version(
        product=product, actor=None, history_id=first.history_id, expected_version=product.version
    )
    assert product.name == "第一版"
    assert product.list_price == Decimal("10.00")
    assert product.is_voided
    assert "diyiban" in product.search_text


def test_brands(org):
    brand = create_brand(org=org, actor=None, name="联想")
    with pytest.raises(ValidationError):
        create_brand(org=org, actor=None, name=" 联想 ")
    with pytest.raises(ValidationError):
        create_brand(org=org, actor=None, name="")
    product = make_product(org, brand=brand, name="笔记本")
    rename_brand(brand=brand, actor=None, name="Lenovo", expected_version=1)
    with scope(org=org.pk):
        assert "lenovo" in Product.objects.get(pk=product.pk).search_text
    with pytest.raises(BrandInUse):
        delete_brand(brand=brand, actor=None)
    with pytest.raises(StaleEdit):
        rename_brand(brand=brand, actor=None, name="X", expected_version=1)


def test_file_in_category(org, other_org):
    category = make_category(org, "办公设备")
    products = [make_product(org), make_product(org)]
    assert file_products_in_category(products=products, category=category, actor=None) == 2
    assert all(p.category == category for p in products)
    with pytest.raises(InvalidProduct):
        file_products_in_category(
            products=products, category=make_category(other_org, "别家"), actor=None
        )


def test_history_names_the_actor_without_a_request(org, admin_member):
    product = make_product(org, actor=admin_member.user)
    void_product(product=product, actor=admin_member.user)
    with scope(org=org.pk):
        users = {h.history_user for h in product.history.all()}
    assert users == {admin_member.user}
