"""From quote to payment in Chromium (issue 4's end-to-end flow):

quote → order → delivery posted → receipt allocated, and the receivable goes to zero;
then the posted delivery is edited (reversed and re-posted with a smaller quantity) and
the stock on hand and the receivable follow.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from django_scopes import scope
from playwright.sync_api import Page, expect

from guanxi.finance.balances import party_balance
from guanxi.sales.models import Order
from guanxi.stock.models import StockDocument, StockLevel
from tests.browser.test_customer_flow import sign_in
from tests.browser.test_sales_documents_flow import _pick
from tests.catalog.factories import make_product
from tests.factories import TEST_PASSWORD, make_member, make_org
from tests.finance.factories import make_customer, make_supplier, post_stock


def _on_hand(org, product) -> Decimal:
    with scope(org=org.pk):
        return sum(
            (level.on_hand for level in StockLevel.objects.filter(product=product)), Decimal(0)
        )


def test_quote_to_receipt_then_edit_the_posted_delivery(page: Page):
    org = make_org("Acme 贸易")
    make_member(org, "admin", username="boss")
    today = timezone.localdate()
    customer = make_customer(org, "上海华联贸易有限公司")
    product = make_product(
        org, code="VAL-1", name="不锈钢球阀", list_price=Decimal("100.00"), tax_rate=Decimal("0")
    )
    post_stock(
        org, make_supplier(org), "600.00", kind="purchase_receipt", product=product, quantity=10
    )
    assert _on_hand(org, product) == 10
    sign_in(page, "boss", TEST_PASSWORD)

    # quote → order → confirmed
    page.goto(f"/sales/quotes/new/?party={customer.pk}")
    _pick(page, 0, "VAL-1")
    line = page.locator("tr[data-line-row]").nth(0)
    line.locator("[data-line-quantity]").fill("3")
    expect(page.get_by_test_id("editor-total")).to_have_text("300.00")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("document-total")).to_have_text("300.00")
    page.get_by_test_id("convert").click()
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("status-badge")).to_have_attribute("data-status", "confirmed")

    # the delivery, drafted from the order and posted
    page.get_by_test_id("deliver").click()
    expect(page.get_by_test_id("document-form")).to_be_visible()
    expect(page.locator("#id_date")).to_have_value(today.isoformat())
    page.get_by_test_id("save-and-post").click()
    expect(page.get_by_test_id("party-ledger")).to_contain_text("300.00")
    with scope(org=org.pk):
        delivery = StockDocument.objects.get(kind="sales_delivery")
        order = Order.objects.get()
        assert party_balance(customer) == Decimal("300.00")
    assert delivery.order_id == order.pk
    assert _on_hand(org, product) == 7

    # the receipt, allocated to the delivery
    page.goto(f"/finance/money/new/?kind=receipt&party={customer.pk}")
    page.locator("#id_amount").fill("300")
    page.get_by_test_id("suggest").click()
    expect(page.locator(f"[name='alloc_stock_document_{delivery.pk}']")).to_have_value("300.00")
    page.get_by_test_id("save-post").click()
    expect(page.get_by_test_id("allocation")).to_have_count(1)

    page.goto(f"/finance/accounts/receivable/{customer.pk}/")
    expect(page.get_by_test_id("account-balance")).to_have_text("0.00")
    expect(page.get_by_test_id("nothing-open")).to_be_visible()

    # edit the posted delivery: 2 instead of 3 (reversed and re-posted)
    page.goto(delivery.get_absolute_url())
    page.get_by_test_id("correct-document").click()
    expect(page.get_by_test_id("correct-explained")).to_be_visible()
    page.locator("[name='reason']").fill("客户只收到两件")
    page.locator("tr[data-line-row]").nth(0).locator("input[name$='quantity']").fill("2")
    page.get_by_test_id("save-correction").click()
    expect(page.get_by_test_id("party-ledger")).to_contain_text("200.00")

    assert _on_hand(org, product) == 8
    with scope(org=org.pk):
        assert party_balance(customer) == Decimal("-100.00")
    page.goto(f"/finance/accounts/receivable/{customer.pk}/")
    expect(page.get_by_test_id("account-balance")).to_have_text("-100.00")
    item = page.get_by_test_id("open-item")
    expect(item).to_have_count(1)
    expect(item).to_have_attribute("data-source", "on_account")
    expect(page.get_by_test_id("statement-row")).to_have_count(4)
    expect(page.get_by_test_id("running-balance").last).to_have_text("-100.00")
