"""Stock documents in Chromium: a purchase receipt of serial-numbered goods written with
the line editor and posted; a delivery posted, then edited after posting (reverse and
re-post) — with stock, the document history and the customer's receivable right after
each step."""

from __future__ import annotations

from decimal import Decimal

from django_scopes import scope
from playwright.sync_api import Page, expect

from guanxi.finance.models import PartyLedgerEntry
from guanxi.stock.models import SerialUnit, StockDocument
from tests.browser.test_customer_flow import sign_in
from tests.factories import TEST_PASSWORD, make_member, make_org
from tests.stock.helpers import balance, make_customer, make_supplier, on_hand, receive, stocked


def _pick(page: Page, row: int, query: str) -> None:
    rows = page.locator("tr[data-line-row]")
    search = rows.nth(row).locator("[data-line-search]")
    search.fill(query)
    result = rows.nth(row).get_by_test_id("product-result").first
    expect(result).to_be_visible()
    result.click()


def test_receive_serial_numbered_goods_with_the_line_editor(page: Page):
    org = make_org("Acme 贸易")
    make_member(org, "manager", username="keeper")
    supplier = make_supplier(org, name="深圳华强电子")
    phone = stocked(
        org,
        code="PH-1",
        name="手机",
        serial_tracked=True,
        warranty_type="整机保修",
        warranty_months=12,
        cost_price=Decimal("1500.00"),
    )
    stocked(org, code="CB-1", name="数据线", cost_price=Decimal("8.00"))
    sign_in(page, "keeper", TEST_PASSWORD)

    page.goto("/stock/documents/new/?kind=purchase_receipt")
    form = page.get_by_test_id("document-form")
    expect(form).to_have_attribute("data-wired", "1")
    form.locator("select[name=party]").select_option(str(supplier.pk))

    # first line: two phones, each with its serial number (the box shows for them)
    _pick(page, 0, "PH-1")
    first = page.locator("tr[data-line-row]").nth(0)
    expect(first.locator("[data-line-price]")).to_have_value("1500.00")
    expect(first.locator("[data-serials-box]")).to_be_visible()
    first.locator("[data-line-quantity]").fill("2")
    first.locator("[data-line-serials]").fill("IMEI-001\nIMEI-002")

    # second line, added with the button: 100 cables, no serial numbers
    page.get_by_test_id("add-line").click()
    _pick(page, 1, "CB-1")
    second = page.locator("tr[data-line-row]").nth(1)
    expect(second.locator("[data-serials-box]")).to_be_hidden()
    second.locator("[data-line-quantity]").fill("100")

    page.get_by_test_id("save-and-post").click()
    expect(page.locator(".page-title [data-testid=status]")).to_have_attribute(
        "data-status", "posted"
    )
    expect(page.get_by_test_id("document-line")).to_have_count(2)
    assert on_hand(org, phone) == 2
    with scope(org=org.pk):
        unit = SerialUnit.objects.get(serial="IMEI-001")
    assert unit.supplier_id == supplier.pk

    # the stock on hand page and the unit's page
    page.goto("/stock/on-hand/")
    expect(page.get_by_test_id("level-row")).to_have_count(2)
    page.goto(f"/stock/serials/{unit.pk}/")
    expect(page.get_by_test_id("unit-supplier")).to_contain_text("深圳华强电子")
    expect(page.get_by_test_id("history-item")).to_have_count(1)


def test_edit_a_posted_delivery_by_reversing_and_reposting(page: Page):
    org = make_org("Acme 贸易")
    rep = make_member(org, "sales", username="rep")
    supplier = make_supplier(org, name="广州供应链有限公司")
    customer = make_customer(org, rep.user, name="上海华联贸易有限公司")
    printer = stocked(org, code="PRN-1", name="激光打印机", list_price=Decimal("1000.00"))
    receive(org, rep.user, supplier, printer, 10, "600")
    sign_in(page, "rep", TEST_PASSWORD)

    # a delivery of 4 printers at 1000.00 + 13% tax, saved and posted
    page.goto("/stock/documents/new/?kind=sales_delivery")
    form = page.get_by_test_id("document-form")
    expect(form).to_have_attribute("data-wired", "1")
    form.locator("select[name=party]").select_option(str(customer.pk))
    _pick(page, 0, "PRN")
    line = page.locator("tr[data-line-row]").nth(0)
    expect(line.locator("[data-line-price]")).to_have_value("1000.00")
    line.locator("[data-line-quantity]").fill("4")
    page.get_by_test_id("save-and-post").click()
    expect(page.locator(".page-title [data-testid=status]")).to_have_attribute(
        "data-status", "posted"
    )
    expect(page.get_by_test_id("document-total")).to_have_text("4520.00")
    assert on_hand(org, printer) == 6
    assert balance(org, customer) == Decimal("4520.00")

    # "edit" it: 3 printers, not 4 — the delivery is reversed and a correction posted
    page.get_by_test_id("correct-document").click()
    expect(page.get_by_test_id("correct-explained")).to_be_visible()
    line = page.locator("tr[data-line-row]").nth(0)
    expect(line.locator("[data-line-quantity]")).to_have_value("4")
    line.locator("[data-line-quantity]").fill("3")
    page.locator("textarea[name=reason]").fill("客户只要三台")
    page.get_by_test_id("save-correction").click()

    expect(page.get_by_test_id("document-total")).to_have_text("3390.00")
    expect(page.get_by_test_id("chain-item")).to_have_count(3)
    expect(page.locator("[data-relation=reversal]")).to_have_count(1)
    assert on_hand(org, printer) == 7
    assert balance(org, customer) == Decimal("3390.00")
    with scope(org=org.pk):
        statuses = sorted(
            StockDocument.objects.filter(kind="sales_delivery").values_list("status", flat=True)
        )
        rows = PartyLedgerEntry.objects.filter(party=customer).count()
    assert statuses == ["posted", "posted", "reversed"]
    assert rows == 3

    # and reversing the correction takes it all back
    page.get_by_test_id("reverse-document").click()
    page.locator("textarea[name=reason]").fill("订单取消")
    page.get_by_test_id("confirm-reverse").click()
    expect(page.locator(".page-title [data-testid=status]")).to_have_attribute(
        "data-status", "reversal"
    )
    assert on_hand(org, printer) == 10
    assert balance(org, customer) == 0
