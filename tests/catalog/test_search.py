"""Products in the global search box: pinyin, visibility, voided marked."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django_scopes import scope

from guanxi.catalog.services import void_product
from guanxi.core.search import global_search
from tests.catalog.factories import make_product

pytestmark = pytest.mark.django_db


def _request(membership):
    request = RequestFactory().get("/search/")
    request.membership = membership
    request.org = membership.org
    request.user = membership.user
    return request


def test_products_are_found_by_initials_and_model(org, other_org, sales_member):
    make_product(org, code="PRN-1", name="激光打印机", model="M1136")
    voided = make_product(org, code="PRN-0", name="旧激光打印机")
    void_product(product=voided, actor=None)
    make_product(other_org, code="PRN-9", name="激光打印机")
    with scope(org=org.pk):
        groups = {g.key: g for g in global_search(_request(sales_member), "jgdyj")}
        hits = groups["products"].hits
        assert [h.title for h in hits] == ["激光打印机", "旧激光打印机"]  # voided last
        assert "voided" in hits[1].subtitle
        assert hits[0].url.endswith(f"/products/{hits[0].url.split('/')[-2]}/")
        groups = {g.key: g for g in global_search(_request(sales_member), "m1136")}
        assert len(groups["products"].hits) == 1
