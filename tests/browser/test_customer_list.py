"""My customers (我的客户) in Chromium: drag customers onto a category, find by initials.

The lab manual: "改变客户所属分类，你只要将客户显示区的客户直接用鼠标左键按住不放直接拖动到
左边相应的客户分类栏中，系统会自动保存此分类。"
"""

from __future__ import annotations

import re

from django_scopes import scope
from playwright.sync_api import Page, expect

from guanxi.parties.models import Party
from tests.factories import TEST_PASSWORD, make_member, make_org
from tests.parties.list_helpers import make_category, make_party

LOGIN = "/accounts/login/"
LIST = "/customers/"


def sign_in(page: Page, username: str) -> None:
    page.goto(LOGIN)
    page.locator("input[name='username']").fill(username)
    page.locator("input[name='password']").fill(TEST_PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("user-menu")).to_be_visible()


def row(page: Page, name: str):
    return page.get_by_test_id("party-row").filter(
        has=page.get_by_test_id("party-link").filter(has_text=re.compile(f"^{name}$"))
    )


def category_of(party: Party) -> str | None:
    with scope(org=party.org_id):
        fresh = Party.objects.select_related("category").get(pk=party.pk)
    return fresh.category.name if fresh.category else None


def test_drag_customers_onto_a_category(page: Page):
    org = make_org("Acme 贸易")
    member = make_member(org, "admin", username="boss")
    east = make_category(org, "华东区")
    make_category(org, "上海", parent=east)
    make_category(org, "华南区")
    pearl = make_party(org, member.user, name="东方明珠")
    lake = make_party(org, member.user, name="西湖龙井")
    river = make_party(org, member.user, name="长江实业")
    sign_in(page, "boss")
    page.goto(LIST)
    expect(page.get_by_test_id("party-row")).to_have_count(3)

    # One row, dragged by itself.
    row(page, "东方明珠").drag_to(page.locator("[data-drop-category][data-category-name='上海']"))

    expect(page.get_by_test_id("list-status")).to_contain_text("上海")
    expect(row(page, "东方明珠").get_by_test_id("party-category")).to_have_text("上海")
    assert category_of(pearl) == "上海"

    # Two selected rows go together, wherever the drag starts among them.
    row(page, "西湖龙井").locator("[data-row-select]").check()
    row(page, "长江实业").locator("[data-row-select]").check()
    expect(page.locator("[data-selected-count]")).to_contain_text("2")
    row(page, "长江实业").drag_to(page.locator("[data-drop-category][data-category-name='华南区']"))

    expect(row(page, "西湖龙井").get_by_test_id("party-category")).to_have_text("华南区")
    expect(row(page, "长江实业").get_by_test_id("party-category")).to_have_text("华南区")
    assert (category_of(lake), category_of(river)) == ("华南区", "华南区")

    # The tree filters: 华东区 shows its subcategory's customer too.
    page.get_by_test_id("category-link").filter(has_text="华东区").click()
    expect(page.get_by_test_id("party-row")).to_have_count(1)
    expect(row(page, "东方明珠")).to_be_visible()

    # Back out of every category by dropping onto "Uncategorised".
    row(page, "东方明珠").drag_to(page.get_by_test_id("category-none"))
    expect(page.get_by_test_id("party-row")).to_have_count(0)
    assert category_of(pearl) is None


def test_add_and_rename_a_category_in_the_tree(page: Page):
    org = make_org("Acme 贸易")
    make_member(org, "admin", username="boss")
    sign_in(page, "boss")
    page.goto(LIST)

    page.once("dialog", lambda dialog: dialog.accept("华北区"))
    page.get_by_test_id("category-add-root").click()
    node = page.get_by_test_id("category-node").filter(has_text="华北区")
    expect(node).to_be_visible()

    node.get_by_test_id("category-menu").click()
    page.once("dialog", lambda dialog: dialog.accept("北京"))
    node.get_by_test_id("category-add-child").click()
    expect(page.get_by_test_id("category-node").filter(has_text="北京")).to_be_visible()
    expect(page.get_by_test_id("category-node")).to_have_count(2)


def test_find_a_customer_by_pinyin_initials(page: Page):
    org = make_org("Acme 贸易")
    member = make_member(org, "sales", username="rep")
    make_party(org, member.user, name="上海东方明珠贸易有限公司", short_name="东方明珠")
    make_party(org, member.user, name="杭州西湖龙井茶业", short_name="西湖龙井")
    make_party(org, member.user, name="张伟", kind="person", mobile="13800138000")
    sign_in(page, "rep")
    page.goto(LIST)
    expect(page.get_by_test_id("party-row")).to_have_count(3)

    page.get_by_test_id("list-search").fill("dfmz")

    expect(page.get_by_test_id("party-row")).to_have_count(1)
    expect(row(page, "东方明珠")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/customers/\?q=dfmz$"))

    # Initials of a person's name, and a phone suffix, work the same way.
    page.get_by_test_id("list-search").fill("zw")
    expect(page.get_by_test_id("party-row")).to_have_count(1)
    expect(row(page, "张伟")).to_be_visible()
    page.get_by_test_id("list-search").fill("8000")
    expect(row(page, "张伟")).to_be_visible()
    expect(page.get_by_test_id("party-row")).to_have_count(1)

    # The global search box in the top bar finds it by initials too.
    page.get_by_test_id("global-search").fill("xhlj")
    results = page.get_by_test_id("search-results")
    expect(results).to_contain_text("西湖龙井")
    expect(results).not_to_contain_text("东方明珠")
