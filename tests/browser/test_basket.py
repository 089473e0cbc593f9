"""Market basket in Chromium: mine the rules from the page, read them, then see the
cross-sell suggestion on a customer's page and add one from the order editor."""

from __future__ import annotations

from decimal import Decimal

from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from guanxi.sales.models import Order
from tests.analytics.basket_api_calls import TEN_BASKETS, delivery
from tests.browser.test_customer_flow import sign_in
from tests.catalog.factories import make_product
from tests.factories import TEST_PASSWORD, make_member, make_org
from tests.sales.documents_fixtures import make_customer


def test_mine_rules_and_see_suggestions(page: Page):
    org = make_org("Acme 贸易")
    boss = make_member(org, "admin", username="boss")
    customer = make_customer(org, boss.user, name="上海华联贸易有限公司")
    names = {"A": "激光打印机", "B": "硒鼓", "C": "复印纸", "D": "网线", "E": "鼠标"}
    items = {
        letter: make_product(org, code=f"BSK-{letter}", name=name, list_price=Decimal("100.00"))
        for letter, name in names.items()
    }
    for basket in TEN_BASKETS:
        delivery(org, customer, [items[letter] for letter in basket], owner=boss.user)
    shopper = make_customer(org, boss.user, name="只买打印机的公司")
    delivery(org, shopper, [items["A"]], owner=boss.user)
    sign_in(page, "boss", TEST_PASSWORD)

    # Mine with the default thresholds: printer ↔ toner (5 of 11 baskets; toner → printer
    # has confidence 5/6 and lift (5/6) / (7/11) = 1.31).
    page.goto("/analysis/basket/")
    expect(page.get_by_test_id("basket-rule")).to_have_count(0)
    page.get_by_test_id("basket-mine").click()
    expect(page.get_by_test_id("basket-run-done")).to_be_visible()
    expect(page.get_by_test_id("basket-rule")).to_have_count(2)
    expect(page.get_by_test_id("basket-table")).to_contain_text("1.31")
    expect(page.get_by_test_id("chart-basket-rules")).to_be_visible()

    # The customer who bought only the printer is offered the toner, with the reason.
    page.goto(f"/customers/{shopper.pk}/")
    page.get_by_test_id("tab-cross_sell").click()
    suggestion = page.get_by_test_id("cross-sell-suggestion")
    expect(suggestion).to_have_count(1)
    expect(suggestion).to_contain_text("硒鼓")
    expect(suggestion).to_contain_text("激光打印机")

    # On a new order, the printer line brings the toner suggestion; clicking adds it.
    page.goto(f"/sales/orders/new/?party={shopper.pk}")
    rows = page.locator("tr[data-line-row]:not([hidden])")
    rows.nth(0).locator("[data-line-search]").fill("BSK-A")
    result = rows.nth(0).get_by_test_id("product-result").first
    expect(result).to_be_visible()
    result.click()
    offer = page.get_by_test_id("basket-add")
    expect(offer).to_have_count(1)
    expect(offer).to_contain_text("硒鼓")
    offer.click()
    expect(rows).to_have_count(2)
    expect(rows.nth(1).locator("[data-line-price]")).to_have_value("100.00")
    expect(page.get_by_test_id("basket-add")).to_have_count(0)
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("document-line")).to_have_count(2)
    with scopes_disabled():
        assert Order.objects.filter(org=org, party=shopper).count() == 1
