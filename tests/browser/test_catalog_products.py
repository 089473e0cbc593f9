"""Products (商品管理) in Chromium: build the category tree, add a product in a small
class, find it by its pinyin initials, void (作废) it and restore it."""

from __future__ import annotations

import re

from django_scopes import scope
from playwright.sync_api import Page, expect

from guanxi.catalog.models import Product
from tests.factories import TEST_PASSWORD, make_member, make_org

LOGIN = "/accounts/login/"
LIST = "/products/"


def sign_in(page: Page, username: str) -> None:
    page.goto(LOGIN)
    page.locator("input[name='username']").fill(username)
    page.locator("input[name='password']").fill(TEST_PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("user-menu")).to_be_visible()


def answer_prompt(page: Page, text: str) -> None:
    page.once("dialog", lambda dialog: dialog.accept(text))


def test_add_find_void_and_restore_a_product(page: Page):
    org = make_org("Acme 贸易")
    make_member(org, "admin", username="boss")
    sign_in(page, "boss")
    page.goto(LIST)
    expect(page.get_by_test_id("product-empty")).to_be_visible()

    # The category tree: a big class, then a small class under it (htmx prompts).
    answer_prompt(page, "办公设备")
    page.get_by_test_id("category-add-root").click()
    office = page.get_by_test_id("category-node").filter(has_text="办公设备")
    expect(office).to_be_visible()
    office.get_by_test_id("category-menu").click()
    answer_prompt(page, "打印机")
    office.get_by_test_id("category-add-child").click()
    printers = page.get_by_test_id("category-node").filter(has_text="打印机")
    expect(printers).to_be_visible()

    # Add a product from inside the small class: the form starts in it.
    printers.get_by_test_id("category-link").click()
    page.get_by_test_id("product-add").click()
    form = page.get_by_test_id("product-form")
    form.locator("input[name='code']").fill("HP-1136")
    form.locator("input[name='name']").fill("黑白激光打印机")
    form.locator("input[name='model']").fill("LaserJet M1136")
    form.locator("input[name='unit']").fill("台")
    form.locator("input[name='list_price']").fill("1399.00")
    expect(form.locator("select[name='category'] option:checked")).to_contain_text("打印机")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("product-name")).to_have_text("黑白激光打印机")
    expect(page.get_by_test_id("fact-category")).to_have_text("打印机")

    # Find it by its pinyin initials (黑白激光打印机 → hbjgdyj), searching as one types.
    page.goto(LIST)
    page.get_by_test_id("list-search").fill("jgdyj")
    expect(page).to_have_url(re.compile(r"q=jgdyj"))
    expect(page.get_by_test_id("product-row")).to_have_count(1)
    page.get_by_test_id("list-search").fill("zzzz")
    expect(page.get_by_test_id("product-empty")).to_be_visible()
    page.get_by_test_id("list-search").fill("jgdyj")
    expect(page.get_by_test_id("product-row")).to_have_count(1)

    # Void it: it leaves the list of products in use, stays findable under "Voided".
    page.get_by_test_id("product-link").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("product-void").click()
    expect(page.get_by_test_id("voided-badge")).to_be_visible()
    with scope(org=org.pk):
        assert Product.objects.get(code="HP-1136").is_voided
    page.goto(f"{LIST}?q=jgdyj")
    expect(page.get_by_test_id("product-empty")).to_be_visible()
    page.get_by_test_id("status-voided").click()
    expect(page.get_by_test_id("product-row")).to_have_count(1)

    # Restore it.
    page.get_by_test_id("product-link").click()
    page.get_by_test_id("product-restore").click()
    expect(page.get_by_test_id("voided-badge")).to_have_count(0)
    expect(page.get_by_test_id("product-void")).to_be_visible()
    with scope(org=org.pk):
        assert not Product.objects.get(code="HP-1136").is_voided
    page.goto(f"{LIST}?q=hbjgdyj")
    expect(page.get_by_test_id("product-row")).to_have_count(1)
