"""Sales analysis in Chromium: open the page, change the period and the grouping, click
a bar of the trend chart and land on the sales ledger filtered to that month."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.analytics.sales_api_calls import build_sales
from tests.browser.test_customer_flow import sign_in
from tests.factories import TEST_PASSWORD, make_org


def test_change_period_and_grouping_then_drill_into_a_bar(page: Page):
    org = make_org("Acme 贸易")
    world = build_sales(org)
    sign_in(page, world.admin.user.username, TEST_PASSWORD)

    page.goto("/analysis/sales/")
    expect(page.get_by_test_id("analytics-nav")).to_be_visible()
    form = page.get_by_test_id("analysis-form")
    form.locator("[name='period']").select_option("custom")
    form.locator("[name='date_from']").fill("2026-01-01")
    form.locator("[name='date_to']").fill("2026-03-31")
    form.locator("[name='grain']").select_option("quarter")
    page.get_by_test_id("analysis-apply").click()
    expect(page.get_by_test_id("trend-row")).to_have_count(1)
    expect(page.get_by_test_id("trend-row")).to_contain_text("2026 Q1")

    # Back to months, and a split by product: still three months in the table.
    form.locator("[name='grain']").select_option("month")
    page.get_by_test_id("analysis-apply").click()
    expect(page.get_by_test_id("trend-row")).to_have_count(3)
    expect(page.get_by_test_id("trend-total")).to_have_text(re.compile(r"3,?600\.00"))

    # Click March's bar: the chart's own coordinates say where it is.
    page.wait_for_function(
        "() => { const n = document.getElementById('sales-trend');"
        " return n && n.gxChart && !n.gxChart.isDisposed(); }"
    )
    page.wait_for_timeout(1200)  # the bars' entry animation
    x, y = page.evaluate(
        "() => document.getElementById('sales-trend').gxChart"
        ".convertToPixel({seriesIndex: 0}, [2, 1000])"
    )
    box = page.get_by_test_id("chart-sales-trend").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + x, box["y"] + y)
    expect(page).to_have_url(
        re.compile(r"/finance/query/sales/\?date_from=2026-03-01&date_to=2026-03-31")
    )
    expect(page.locator("body")).to_contain_text(world.documents["d8"].number)
    expect(page.locator("body")).not_to_contain_text(world.documents["d2"].number)
