"""Receivables and payables pages: ageing summary, a party's account and statement, the
360° tabs."""

from __future__ import annotations

import datetime

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
    make_supplier,
    post_stock,
    receipt,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


def test_receivables_summary_with_buckets_totals_and_links(admin_client, org):
    a = make_customer(org, "甲公司")
    b = make_customer(org, "乙公司")
    post_stock(org, a, "100.00", date=ago(5))
    post_stock(org, a, "200.00", date=ago(100), due_date=ago(70))
    doc = post_stock(org, b, "50.00", date=ago(40))
    receipt(org, b, "20.00", allocations=[(doc, "20.00")])

    response = admin_client.get(reverse("finance:receivables"))

    assert response.status_code == 200
    rows = {r.party_id: r for r in response.context["summary"].rows}
    assert rows[a.pk].balance == D(300)
    assert rows[a.pk].b0_30 == D(100)
    assert rows[a.pk].b90 == D(200)
    assert rows[a.pk].overdue == D(200)
    assert rows[b.pk].b31_60 == D(30)
    assert response.context["summary"].totals.balance == D(330)
    page = response.content.decode()
    assert reverse("finance:party_account", args=["receivable", a.pk]) in page
    assert 'data-testid="totals-row"' in page


def test_summary_sorts_filters_and_pages(admin_client, org, settings, sales_member):
    settings.GUANXI_PAGE_SIZE = 2
    parties = []
    for i, amount in enumerate((300, 100, 200)):
        party = make_customer(org, f"客户{i}", owner=sales_member.user if i == 1 else None)
        post_stock(org, party, amount)
        parties.append(party)
    url = reverse("finance:receivables")

    first = admin_client.get(url, {"sort": "-balance"})
    assert [r.balance for r in first.context["summary"].rows] == [D(300), D(200)]
    cursor = first.context["summary"].next_cursor
    second = admin_client.get(url, {"sort": "-balance", "cursor": cursor})
    assert [r.balance for r in second.context["summary"].rows] == [D(100)]
    assert second.context["summary"].totals.balance == D(600)

    ascending = admin_client.get(url, {"sort": "balance"})
    assert [r.balance for r in ascending.context["summary"].rows] == [D(100), D(200)]
    by_name = admin_client.get(url, {"sort": "name"})
    assert [r.extra["name"] for r in by_name.context["summary"].rows] == ["客户0", "客户1"]

    owned = admin_client.get(url, {"owner": sales_member.user_id})
    assert [r.party_id for r in owned.context["summary"].rows] == [parties[1].pk]
    named = admin_client.get(url, {"q": "客户2"})
    assert [r.party_id for r in named.context["summary"].rows] == [parties[2].pk]


def test_summary_filters_by_category(admin_client, org):
    from guanxi.core.categories import add_category
    from guanxi.parties.models import PartyCategory

    extra = {"tree": "customer"}
    root = add_category(model=PartyCategory, org=org, name="华东", extra=extra)
    child = add_category(model=PartyCategory, org=org, name="上海", parent=root, extra=extra)
    inside = make_customer(org, "上海客户", category=child)
    outside = make_customer(org, "北京客户")
    post_stock(org, inside, "10.00")
    post_stock(org, outside, "10.00")

    response = admin_client.get(reverse("finance:receivables"), {"category": root.pk})
    assert [r.party_id for r in response.context["summary"].rows] == [inside.pk]


def test_summary_query_count_is_fixed(admin_client, org, django_assert_max_num_queries):
    for i in range(3):
        post_stock(org, make_customer(org, f"A{i}"), 10)
    with django_assert_max_num_queries(20) as small:
        admin_client.get(reverse("finance:receivables"))
    for i in range(12):
        party = make_customer(org, f"B{i}")
        doc = post_stock(org, party, 10)
        receipt(org, party, 5, allocations=[(doc, 5)])
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = admin_client.get(reverse("finance:receivables"))
    assert response.context["summary"].count == 15


def test_payables_summary(admin_client, org):
    supplier = make_supplier(org)
    post_stock(org, supplier, "400.00", kind=StockDocument.Kind.PURCHASE_RECEIPT)
    response = admin_client.get(reverse("finance:payables"))
    assert [r.balance for r in response.context["summary"].rows] == [D(400)]


def test_summary_as_of_an_earlier_day(admin_client, org):
    customer = make_customer(org)
    post_stock(org, customer, "100.00", date=ago(10))
    post_stock(org, customer, "50.00", date=ago(1))
    response = admin_client.get(reverse("finance:receivables"), {"as_of": ago(5).isoformat()})
    assert [r.balance for r in response.context["summary"].rows] == [D(100)]


def test_party_account_open_items_and_statement(admin_client, org, settings):
    settings.GUANXI_PAGE_SIZE = 2
    customer = make_customer(org)
    d1 = post_stock(org, customer, "100.00", date=ago(30), due_date=ago(1))
    post_stock(org, customer, "60.00", date=ago(20))
    money = receipt(org, customer, "130.00", allocations=[(d1, "100.00")], date=ago(10))

    response = admin_client.get(reverse("finance:party_account", args=["receivable", customer.pk]))
    assert response.status_code == 200
    assert response.context["balance"] == D(30)
    assert [(i.source, i.open_amount) for i in response.context["items"]] == [
        ("document", D(60)),
        ("on_account", D(-30)),
    ]

    url = reverse("finance:party_statement", args=["receivable", customer.pk])
    first = admin_client.get(url)
    assert [r.balance for r in first.context["rows"]] == [D(100), D(160)]
    page = first.content.decode()
    assert d1.get_absolute_url() in page
    cursor = first.context["page"].next_cursor
    second = admin_client.get(url, {"cursor": cursor}, headers={"HX-Request": "true"})
    assert second.status_code == 200
    body = second.content.decode()
    assert money.get_absolute_url() in body
    assert "30.00" in body  # the running balance after the receipt

    ranged = admin_client.get(url, {"from": ago(15).isoformat()})
    assert ranged.context["opening"] == D(160)
    assert [r.balance for r in ranged.context["rows"]] == [D(30)]


def test_party_tabs_on_the_360_page(admin_client, org):
    customer = make_customer(org)
    supplier = make_supplier(org)
    post_stock(org, customer, "100.00")

    page = admin_client.get(reverse("parties:party_detail", args=[customer.pk])).content.decode()
    assert 'data-testid="tab-receivables"' in page
    assert 'data-testid="tab-payables"' not in page
    assert 'data-testid="tab-price_history"' in page
    page = admin_client.get(reverse("parties:party_detail", args=[supplier.pk])).content.decode()
    assert 'data-testid="tab-payables"' in page

    tab = admin_client.get(reverse("finance:party_tab", args=["receivable", customer.pk]))
    assert tab.status_code == 200
    assert 'data-testid="account-balance"' in tab.content.decode()


def test_other_organisation_party_is_404(admin_client, org):
    other = make_org("别家")
    theirs = make_customer(other, "别家客户")
    for name in ("party_account", "party_statement", "party_tab"):
        url = reverse(f"finance:{name}", args=["receivable", theirs.pk])
        assert admin_client.get(url).status_code == 404
    assert admin_client.get("/finance/accounts/nonsense/1/").status_code == 404


def test_rep_sees_only_their_customers_in_the_summary(org, sales_member):
    mine = make_customer(org, "我的客户", owner=sales_member.user)
    theirs = make_customer(org, "别人的客户", owner=make_member(org, "sales", username="x").user)
    post_stock(org, mine, 10)
    post_stock(org, theirs, 10)
    client = login(Client(), sales_member)
    response = client.get(reverse("finance:receivables"))
    assert [r.party_id for r in response.context["summary"].rows] == [mine.pk]
    url = reverse("finance:party_account", args=["receivable", theirs.pk])
    assert client.get(url).status_code == 404


def test_no_money_permission_no_receivables(org):
    client = login(Client(), make_member(org, "service", username="agent"))
    assert client.get(reverse("finance:receivables")).status_code == 403
