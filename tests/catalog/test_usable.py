"""ensure_usable, the document pickers' selectors and the product_search endpoint."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scope

from guanxi.catalog.selectors import product_choices_for_documents, visible_products
from guanxi.catalog.services import (
    ProductNotUsable,
    delete_product,
    ensure_usable,
    restore_product,
    void_product,
)
from tests.catalog.factories import make_product
from tests.conftest import login
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_usable_product_passes(org):
    product = make_product(org)
    assert ensure_usable(product, org=org) is product


def test_voided_product_is_refused_with_a_clear_message(org):
    product = make_product(org, name="旧款打印机")
    void_product(product=product, actor=None)
    with pytest.raises(ProductNotUsable) as caught:
        ensure_usable(product)
    assert "voided" in str(caught.value.message)
    assert caught.value.field == "product"
    restore_product(product=product, actor=None)
    assert ensure_usable(product) is product


def test_deleted_and_foreign_products_are_refused(org, other_org):
    product = make_product(org)
    with pytest.raises(ProductNotUsable):
        ensure_usable(product, org=other_org)
    delete_product(product=product, actor=None)
    with pytest.raises(ProductNotUsable):
        ensure_usable(product)


def test_document_choices_leave_out_voided_deleted_and_foreign(org, other_org):
    keep = make_product(org, name="保留")
    voided = make_product(org, name="作废")
    void_product(product=voided, actor=None)
    deleted = make_product(org, name="删除")
    delete_product(product=deleted, actor=None)
    make_product(other_org, name="别家")
    with scope(org=org.pk):
        assert list(product_choices_for_documents(org)) == [keep]


def test_visible_products_need_the_view_permission(org, admin_member):
    make_product(org)
    with scope(org=org.pk):
        assert visible_products(admin_member).count() == 1
        assert visible_products(None).count() == 0


def test_product_search_endpoint_finds_by_pinyin_initials(client, org, admin_member):
    make_product(org, code="HP-1020", name="激光打印机", model="LaserJet 1020")
    voided = make_product(org, code="HP-OLD", name="激光打印机旧款")
    void_product(product=voided, actor=None)
    login(client, admin_member)
    response = client.get(reverse("catalog:product_search"), {"q": "jgdyj"})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["code"] for r in rows] == ["HP-1020"]
    assert rows[0]["unit"] == "台"
    assert rows[0]["list_price"] == "1999.00"
    assert rows[0]["kind"] == "stocked"
    assert rows[0]["tax_rate"] == "13.00"


def test_product_search_htmx_fragment(client, org, admin_member):
    make_product(org, code="HP-1020", name="激光打印机")
    login(client, admin_member)
    response = client.get(
        reverse("catalog:product_search"), {"q": "hp"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert b'data-code="HP-1020"' in response.content


def test_product_search_does_not_leak_other_orgs(client, org, other_org):
    make_product(other_org, code="SECRET", name="别家商品")
    member = make_member(org, "sales", username="s1")
    login(client, member)
    response = client.get(reverse("catalog:product_search"), {"q": "secret"})
    assert response.json()["results"] == []


def test_product_search_needs_login(client):
    response = client.get(reverse("catalog:product_search"), {"q": "x"})
    assert response.status_code == 302
