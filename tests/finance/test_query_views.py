"""The query centre: detail ledgers (signed lines, cost and gross profit, totals, links,
filters, export) and price history (pages and tabs)."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guanxi.stock.models import StockDocument
from tests.conftest import login
from tests.factories import make_member, make_org
from tests.finance.factories import (
    D,
    make_customer,
    make_product,
    make_supplier,
    post_stock,
    reverse_stock,
)

pytestmark = pytest.mark.django_db
SK = StockDocument.Kind
TODAY = timezone.localdate()


def ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


def test_sales_ledger_signs_costs_and_totals(admin_client, org):
    customer = make_customer(org, "华联")
    valve = make_product(org, "V-1", "阀门", cost_price=60)
    post_stock(org, customer, "1000.00", product=valve, quantity=10, date=ago(3))
    post_stock(org, customer, "100.00", kind=SK.SALES_RETURN, product=valve, quantity=1)
    post_stock(org, make_supplier(org), "500.00", kind=SK.PURCHASE_RECEIPT, product=valve)

    response = admin_client.get(reverse("finance:sales_ledger"))

    assert response.status_code == 200
    totals = response.context["totals"]
    assert totals["count"] == 2
    assert totals["net"] == D(900)
    assert totals["cost"] == D(540)
    assert totals["gross_profit"] == D(360)
    assert totals["quantity"] == 9
    page = response.content.decode()
    assert page.count('data-testid="ledger-row"') == 2
    assert valve.get_absolute_url() in page
    assert reverse("parties:party_detail", args=[customer.pk]) in page

    purchases = admin_client.get(reverse("finance:purchase_ledger"))
    assert purchases.context["totals"]["net"] == D(500)


def test_reversal_lines_cancel_in_the_ledger(admin_client, org):
    customer = make_customer(org)
    doc = post_stock(org, customer, "300.00", quantity=3)
    reverse_stock(doc)
    response = admin_client.get(reverse("finance:sales_ledger"))
    assert response.context["totals"]["net"] == D(0)
    assert response.context["totals"]["count"] == 2


def test_ledger_filters(admin_client, org, sales_member):
    a = make_customer(org, "甲客户")
    b = make_customer(org, "乙客户")
    valve = make_product(org, "V-1", "阀门")
    pump = make_product(org, "P-1", "水泵")
    post_stock(org, a, 100, product=valve, date=ago(40), owner=sales_member.user)
    post_stock(org, b, 200, product=pump, date=ago(5))
    url = reverse("finance:sales_ledger")

    def net(**params):
        return admin_client.get(url, params).context["totals"]["net"]

    assert net() == D(300)
    assert net(date_from=ago(10).isoformat()) == D(200)
    assert net(date_to=ago(10).isoformat()) == D(100)
    assert net(party_q="乙") == D(200)
    assert net(party=a.pk) == D(100)
    assert net(product_q="P-1") == D(200)
    assert net(product=valve.pk) == D(100)
    assert net(owner=sales_member.user_id) == D(100)


def test_ledger_filters_by_product_category(admin_client, org):
    from guanxi.catalog.models import ProductCategory
    from guanxi.core.categories import add_category

    pumps = add_category(model=ProductCategory, org=org, name="泵")
    small = add_category(model=ProductCategory, org=org, name="小型泵", parent=pumps)
    customer = make_customer(org)
    post_stock(org, customer, 70, product=make_product(org, "P-1", "小泵", category=small))
    post_stock(org, customer, 30, product=make_product(org, "V-1", "阀门"))
    response = admin_client.get(reverse("finance:sales_ledger"), {"category": pumps.pk})
    assert response.context["totals"]["net"] == D(70)


def test_ledger_query_count_and_paging(admin_client, org, settings, django_assert_max_num_queries):
    customer = make_customer(org)
    product = make_product(org)
    for _ in range(3):
        post_stock(org, customer, 10, product=product)
    with django_assert_max_num_queries(20) as small:
        admin_client.get(reverse("finance:sales_ledger"))
    for _ in range(10):
        post_stock(org, customer, 10, product=product)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = admin_client.get(reverse("finance:sales_ledger"))
    assert response.context["totals"]["count"] == 13
    settings.GUANXI_PAGE_SIZE = 5
    first = admin_client.get(reverse("finance:sales_ledger"))
    assert len(first.context["page"]) == 5
    second = admin_client.get(
        reverse("finance:sales_ledger"), {"cursor": first.context["page"].next_cursor}
    )
    assert len(second.context["page"]) == 5
    assert {line.pk for line in first.context["page"]}.isdisjoint(
        line.pk for line in second.context["page"]
    )


def test_csv_export_is_formula_neutral_and_filtered(admin_client, org):
    evil = make_customer(org, '=HYPERLINK("http://x")')
    post_stock(org, evil, 100)
    post_stock(org, make_customer(org, "正常客户"), 50)

    response = admin_client.get(
        reverse("finance:ledger_export", args=["sales", "csv"]), {"party": evil.pk}
    )

    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Date"
    assert len(rows) == 2
    assert rows[1][3].startswith("'=HYPERLINK")
    assert "Gross profit" in rows[0]


def test_xlsx_export(admin_client, org):
    from openpyxl import load_workbook

    post_stock(org, make_supplier(org, "@供应商"), 80, kind=SK.PURCHASE_RECEIPT)
    response = admin_client.get(reverse("finance:ledger_export", args=["purchases", "xlsx"]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][3] == "'@供应商"
    assert "Gross profit" not in values[0]


def test_export_needs_the_export_permission_and_bad_format_is_404(admin_client, org, sales_member):
    client = login(Client(), sales_member)
    assert client.get(reverse("finance:ledger_export", args=["sales", "csv"])).status_code == 403
    bad = admin_client.get(reverse("finance:ledger_export", args=["sales", "pdf"]))
    assert bad.status_code == 404
    assert admin_client.get("/finance/query/nothing/").status_code == 404


def test_rep_sees_only_visible_documents_in_the_ledger(org, sales_member):
    customer = make_customer(org)
    post_stock(org, customer, 10, owner=sales_member.user)
    post_stock(org, customer, 99, owner=make_member(org, "sales", username="y").user)
    client = login(Client(), sales_member)
    response = client.get(reverse("finance:sales_ledger"))
    assert response.context["totals"]["net"] == D(10)


def test_price_history_of_a_product_and_a_party(admin_client, org):
    a = make_customer(org, "甲")
    b = make_customer(org, "乙")
    supplier = make_supplier(org, "供")
    valve = make_product(org, "V-1", "阀门")
    post_stock(org, a, "100.00", product=valve, quantity=2, date=ago(30))
    post_stock(org, a, "90.00", product=valve, quantity=2, date=ago(3))
    gone = post_stock(org, b, "1.00", product=valve, quantity=1)
    reverse_stock(gone)
    post_stock(org, supplier, "60.00", kind=SK.PURCHASE_RECEIPT, product=valve, quantity=2)

    response = admin_client.get(reverse("finance:price_history"), {"product": valve.pk})
    assert response.status_code == 200
    prices = [line.net_unit_price for line in response.context["page"]]
    assert sorted(prices) == [D(30), D(45), D(50)]
    summary = {(r["kind"], r["name"]): r for r in response.context["summary"]}
    assert summary[("sales_delivery", "甲")]["low"] == D(45)
    assert summary[("sales_delivery", "甲")]["high"] == D(50)
    assert summary[("sales_delivery", "甲")]["average"] == D("47.50")
    assert ("sales_delivery", "乙") not in summary

    sold = admin_client.get(
        reverse("finance:price_history"), {"product": valve.pk, "side": "sales"}
    )
    assert len(sold.context["page"]) == 2

    by_party = admin_client.get(reverse("finance:party_price_tab", args=[a.pk]))
    assert by_party.status_code == 200
    assert by_party.content.decode().count('data-testid="price-row"') == 2

    tab = admin_client.get(reverse("finance:product_price_tab", args=[valve.pk]))
    assert tab.content.decode().count('data-testid="price-row"') == 3


def test_price_history_search_page(admin_client, org):
    make_product(org, "V-9", "蝶阀")
    make_customer(org, "蝶阀客户")
    response = admin_client.get(reverse("finance:price_history"), {"q": "蝶阀"})
    page = response.content.decode()
    assert 'data-testid="price-search-results"' in page
    assert "V-9" in page
    assert "蝶阀客户" in page


def test_product_page_has_the_price_history_tab(admin_client, org):
    product = make_product(org)
    page = admin_client.get(product.get_absolute_url()).content.decode()
    assert reverse("finance:product_price_tab", args=[product.pk]) in page


def test_price_history_of_another_organisation_is_404(admin_client, org):
    other = make_org("别家")
    assert (
        admin_client.get(
            reverse("finance:party_price_tab", args=[make_customer(other).pk])
        ).status_code
        == 404
    )
    product = make_product(other)
    assert (
        admin_client.get(reverse("finance:product_price_tab", args=[product.pk])).status_code == 404
    )
    assert (
        admin_client.get(reverse("finance:price_history"), {"product": product.pk}).status_code
        == 404
    )
