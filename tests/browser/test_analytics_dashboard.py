"""The analysis dashboard in Chromium: open it, change the period, click a chart and land
on the records behind it; then set a behavioural type on a customer and see its playbook."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.analytics.dashboard_data import build
from tests.browser.test_customer_flow import sign_in
from tests.factories import TEST_PASSWORD, make_org


def _click_bar(page: Page, chart_id: str, value: float, index: int) -> None:
    """Click the middle of a horizontal bar (value axis x, category index y)."""
    node = page.locator(f"#{chart_id}")
    expect(node).to_have_attribute("data-chart-ready", "1")
    node.scroll_into_view_if_needed()
    page.wait_for_timeout(1200)  # the bars' entry animation
    x, y = page.evaluate(
        "([id, v, i]) => document.getElementById(id).gxChart.convertToPixel({seriesIndex: 0}, [v, i])",
        [chart_id, value / 2, index],
    )
    box = node.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_dashboard_period_drill_down_and_behaviour_type(page: Page):
    org = make_org("Acme 贸易")
    biz = build(org)
    sign_in(page, biz.boss.user.username, TEST_PASSWORD)

    page.goto("/analysis/")
    expect(page.get_by_test_id("chart-sales-trend")).to_be_visible()
    page.locator("select[name='period']").select_option("custom")
    page.locator("input[name='start']").fill("2026-06-01")
    page.locator("input[name='end']").fill("2026-06-30")
    page.get_by_test_id("period-apply").click()
    expect(page.get_by_test_id("kpi-revenue")).to_have_text(re.compile(r"3,?000\.00"))
    expect(page.get_by_test_id("kpi-new")).to_have_text("1")
    expect(page.get_by_test_id("kpi-lapsed")).to_have_text("2")

    # Customers by province: 江苏 2 (the top bar, drawn last), 浙江 1, unknown 1.
    _click_bar(page, "customers-region", 2, 2)
    page.wait_for_url(re.compile(r"/analysis/dashboard/customers/\?province="))
    rows = page.get_by_test_id("customer-row")
    expect(rows).to_have_count(2)
    expect(page.get_by_test_id("dashboard-customers")).to_contain_text("甲公司")
    expect(page.get_by_test_id("dashboard-customers")).to_contain_text("丙公司")

    # The salesperson ranking leads to the person page.
    page.go_back()
    page.get_by_test_id("people-ranking").get_by_role("link").first.click()
    expect(page.get_by_test_id("person-heading")).to_be_visible()
    expect(page.get_by_test_id("person-targets")).to_be_visible()

    # A behavioural type on a customer, with its playbook.
    page.goto(f"/customers/{biz.customers['A'].pk}/?tab=behaviour")
    expect(page.get_by_test_id("behaviour-none")).to_be_visible()
    page.get_by_test_id("behaviour-form").locator("input[value='rational']").check()
    page.get_by_test_id("behaviour-save").click()
    expect(page.get_by_test_id("behaviour-saved")).to_be_visible()
    # The interface speaks Chinese (the default): the playbook is the document's own text.
    expect(page.get_by_test_id("behaviour-playbook")).to_contain_text("坦诚")
    page.reload()
    expect(page.get_by_test_id("value-badges")).to_contain_text("理智型")
