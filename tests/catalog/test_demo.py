"""The demo catalogue: realistic, deterministic and idempotent."""

from __future__ import annotations

from django_scopes import scope

from guanxi.catalog.demo import PRODUCTS, seed_products
from guanxi.catalog.models import Brand, Product, ProductCategory, ProductComponent
from guanxi.catalog.selectors import product_choices_for_documents
from guanxi.core.demo import DemoContext, demo_seeders
from tests.catalog.factories import make_party


def test_seeder_order():
    orders = {seeder.name: seeder.order for seeder in demo_seeders()}
    assert orders["catalog.products"] == 30
    assert orders["catalog.products"] > orders.get("parties.customers", 20)


def test_seed_is_realistic_and_idempotent(org, admin_member):
    make_party(org, name="深圳办公设备供应商", code="SUP-1", is_supplier=True)
    log: list[str] = []
    context = DemoContext(org=org, users={"admin": admin_member.user}, log=log.append)
    with scope(org=org.pk):
        seed_products(context)
        first = {
            p.code: (p.name, p.list_price, p.reorder_quantity, p.category_id)
            for p in Product.objects.all()
        }
        seed_products(context)
        again = {
            p.code: (p.name, p.list_price, p.reorder_quantity, p.category_id)
            for p in Product.objects.all()
        }
        assert first == again
        assert len(first) == len(PRODUCTS) >= 55
        assert ProductCategory.objects.filter(depth=1).count() == 5
        assert ProductCategory.objects.filter(depth=2).count() >= 12
        assert 6 <= Brand.objects.count() <= 8
        services = Product.objects.filter(kind=Product.Kind.SERVICE)
        assert services.count() >= 6
        assert all(s.tax_rate == 6 for s in services)
        serial = Product.objects.filter(serial_tracked=True)
        assert serial.count() >= 10
        assert all(p.warranty_months >= 12 and p.warranty_type for p in serial)
        assert ProductComponent.objects.filter(relation="bundle").count() >= 4
        assert ProductComponent.objects.filter(relation="part").count() >= 2
        assert Product.objects.filter(reorder_level__gt=0).count() >= 30
        assert Product.objects.filter(preferred_supplier__isnull=False).count() >= 30
        assert Product.objects.filter(is_voided=True).count() == 1
        assert product_choices_for_documents(org).count() == len(PRODUCTS) - 1
        assert all(p.cost_price < p.list_price for p in Product.objects.all())
        assert "jgdyj" in Product.objects.get(code="PRN-001").search_text
    assert "0 demo products created" in log[-1]
