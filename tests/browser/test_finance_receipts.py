"""Money in Chromium: a receipt found by customer search, allocated oldest first and
posted; the receivables page and the customer's account show what is left."""

from __future__ import annotations

import datetime
import re

from django.utils import timezone
from django_scopes import scope
from playwright.sync_api import Page, expect

from guanxi.finance.models import MoneyDocument
from tests.browser.test_customer_flow import sign_in
from tests.factories import TEST_PASSWORD, make_member, make_org
from tests.finance.factories import make_customer, post_stock


def test_receipt_allocated_oldest_first_then_ageing(page: Page):
    org = make_org("Acme 贸易")
    make_member(org, "admin", username="boss")
    today = timezone.localdate()
    customer = make_customer(org, "上海华联贸易有限公司")
    old = post_stock(org, customer, "100.00", date=today - datetime.timedelta(days=45))
    new = post_stock(org, customer, "200.00", date=today - datetime.timedelta(days=5))
    sign_in(page, "boss", TEST_PASSWORD)

    page.goto("/finance/money/new/?kind=receipt")
    page.get_by_test_id("party-search").fill("华联")
    expect(page.get_by_test_id("party-select")).to_have_value(str(customer.pk))
    expect(page.get_by_test_id("allocation-row")).to_have_count(2)
    page.locator("#id_amount").fill("150")
    page.get_by_test_id("suggest").click()
    old_input = page.locator(f"[name='alloc_stock_document_{old.pk}']")
    new_input = page.locator(f"[name='alloc_stock_document_{new.pk}']")
    expect(old_input).to_have_value("100.00")
    expect(new_input).to_have_value("50.00")
    page.get_by_test_id("save-post").click()

    expect(page.get_by_test_id("status")).to_have_text(re.compile(r"\S"))
    expect(page.get_by_test_id("allocation")).to_have_count(2)
    with scope(org=org.pk):
        doc = MoneyDocument.objects.get()
    assert doc.status == MoneyDocument.Status.POSTED

    page.goto("/finance/receivables/")
    row = page.get_by_test_id("ageing-row")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("balance")).to_have_text("150.00")
    row.get_by_test_id("party-link").click()
    expect(page.get_by_test_id("account-balance")).to_have_text("150.00")
    expect(page.get_by_test_id("open-item")).to_have_count(1)
    expect(page.get_by_test_id("item-open")).to_have_text("150.00")
    expect(page.get_by_test_id("statement-row")).to_have_count(3)
    expect(page.get_by_test_id("running-balance").last).to_have_text("150.00")


def test_over_allocation_is_shown_on_the_row(page: Page):
    org = make_org("Acme 贸易")
    make_member(org, "admin", username="boss")
    customer = make_customer(org, "杭州西湖商贸")
    delivery = post_stock(org, customer, "80.00")
    sign_in(page, "boss", TEST_PASSWORD)

    page.goto(f"/finance/money/new/?kind=receipt&party={customer.pk}")
    page.locator("#id_amount").fill("100")
    page.locator(f"[name='alloc_stock_document_{delivery.pk}']").fill("90")
    page.get_by_test_id("save-draft").click()

    expect(page.get_by_test_id("allocation-error")).to_be_visible()
    expect(page.locator(f"[name='alloc_stock_document_{delivery.pk}']")).to_have_value("90")
    with scope(org=org.pk):
        assert not MoneyDocument.objects.exists()
