"""Quotes and orders in Chromium: a quote with two lines picked from the product search,
its totals computed live by the server as the rows change, saved, converted to an order,
and the order confirmed. (The UI speaks 简体中文 here: amounts have no thousands separator.)"""

from __future__ import annotations

from decimal import Decimal

from django_scopes import scope
from playwright.sync_api import Page, expect

from guanxi.sales.models import Order, Quote
from tests.browser.test_customer_flow import sign_in
from tests.catalog.factories import make_product
from tests.factories import TEST_PASSWORD, make_member, make_org
from tests.sales.documents_fixtures import make_customer


def _pick(page: Page, row: int, query: str) -> None:
    rows = page.locator("tr[data-line-row]:not([hidden])")
    search = rows.nth(row).locator("[data-line-search]")
    search.fill(query)
    result = rows.nth(row).get_by_test_id("product-result").first
    expect(result).to_be_visible()
    result.click()


def test_quote_with_two_lines_converted_and_confirmed(page: Page):
    org = make_org("Acme 贸易")
    rep = make_member(org, "sales", username="rep")
    customer = make_customer(org, rep.user, name="上海华联贸易有限公司")
    make_product(org, code="PRN-1", name="激光打印机", list_price=Decimal("1999.00"))
    make_product(org, code="TNR-1", name="硒鼓", list_price=Decimal("299.50"))
    sign_in(page, "rep", TEST_PASSWORD)

    # a new quote for the customer
    page.goto(f"/sales/quotes/new/?party={customer.pk}")
    form = page.get_by_test_id("document-form")
    expect(form.get_by_test_id("party-select")).to_have_value(str(customer.pk))

    # first line: 2 printers at 10% off
    _pick(page, 0, "PRN")
    first = page.locator("tr[data-line-row]").nth(0)
    expect(first.locator("[data-line-price]")).to_have_value("1999.00")
    first.locator("[data-line-quantity]").fill("2")
    first.locator("[data-line-discount]").fill("10")
    expect(first.locator("[data-line-total]")).to_have_text("4065.97")
    expect(first.locator("[data-line-tax-amount]")).to_have_text("467.77")

    # second line, added with the button: 3 toner cartridges
    page.get_by_test_id("add-line").click()
    _pick(page, 1, "TNR")
    second = page.locator("tr[data-line-row]").nth(1)
    second.locator("[data-line-quantity]").fill("3")
    expect(page.get_by_test_id("editor-total")).to_have_text("5081.28")

    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("document-total")).to_have_text("5081.28")
    expect(page.get_by_test_id("document-line")).to_have_count(2)
    with scope(org=org.pk):
        quote = Quote.objects.get()
    assert (quote.total, quote.discount_total) == (Decimal("5081.28"), Decimal("399.80"))

    # converted to an order, which is then confirmed
    page.get_by_test_id("convert").click()
    expect(page.get_by_test_id("order-quote")).to_have_text(quote.number)
    expect(page.get_by_test_id("document-total")).to_have_text("5081.28")
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("status-badge")).to_have_attribute("data-status", "confirmed")
    with scope(org=org.pk):
        order = Order.objects.get()
        quote.refresh_from_db()
    assert (order.status, order.quote_id, order.total) == ("confirmed", quote.pk, quote.total)
    assert quote.status == "converted"
