"""The report designer in Chromium: build a grouped expense report with a filter (the
value input follows the column's type through htmx), preview it, save it, open its
chart and export it as CSV."""

from __future__ import annotations

import re
from pathlib import Path

from django_scopes import scope
from playwright.sync_api import Page, expect

from guanxi.activities.models import Activity
from guanxi.analytics.reports.models import SavedReport
from tests.activities.factories import make_activity, make_party
from tests.browser.test_customer_flow import sign_in
from tests.factories import TEST_PASSWORD, make_member, make_org


def test_build_save_and_export_a_grouped_report(page: Page):
    org = make_org("Acme 贸易")
    boss = make_member(org, "admin", username="boss")
    boss.user.language = "en"  # the assertions read the English texts
    boss.user.save(update_fields=["language"])
    party = make_party(org, boss.user, name="上海华联贸易有限公司")
    E = Activity.ExpenseCategory
    for amount, category in (("100.00", E.TRAVEL), ("50.00", E.GIFT), ("30.00", E.TRAVEL)):
        make_activity(
            org,
            boss.user,
            Activity.Kind.EXPENSE,
            amount=amount,
            expense_category=category,
            party=party,
        )
    sign_in(page, "boss", TEST_PASSWORD)

    page.goto("/analysis/reports/new/?object=expenses")
    page.get_by_test_id("group-1").select_option("owner")
    page.get_by_test_id("group-2").select_option("expense_category")
    page.get_by_test_id("aggregate-sumamount").check()
    page.get_by_test_id("chart-type").select_option("bar")

    page.get_by_test_id("add-filter").click()
    row = page.get_by_test_id("filter-row")
    expect(row).to_have_count(1)
    _htmx_settled(page)  # the new row's own htmx attributes are live
    page.get_by_test_id("filter-field").select_option("amount")
    expect(page.get_by_test_id("filter-value")).to_have_attribute("type", "number")
    _htmx_settled(page)
    page.get_by_test_id("filter-op").select_option("gte")
    # choosing the operator re-renders the row: fill the value only in the new row
    _htmx_settled(page)
    expect(page.get_by_test_id("filter-op")).to_have_value("gte")
    page.get_by_test_id("filter-value").fill("40")
    expect(page.get_by_test_id("filter-value")).to_have_value("40")

    page.get_by_test_id("run").click()
    expect(page.get_by_test_id("preview")).to_be_visible()
    expect(page.get_by_test_id("report-row")).to_have_count(2)
    expect(page.get_by_test_id("report-totals")).to_contain_text("150.00")

    page.get_by_test_id("name").fill("费用按人和类别")
    page.get_by_test_id("sharing").select_option("org")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("chart-report-chart")).to_be_visible()
    expect(page.get_by_test_id("report-row")).to_have_count(2)
    with scope(org=org.pk):
        report = SavedReport.objects.get(name="费用按人和类别")
    assert report.definition["filters"] == [{"field": "amount", "op": "gte", "value": "40"}]

    with page.expect_download() as caught:
        page.get_by_test_id("export-csv").click()
    content = Path(caught.value.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").splitlines()
    assert len(lines) == 4  # header, two groups, totals
    assert re.search(r"150\.00", lines[-1])

    # drill into the records behind one group
    page.get_by_test_id("drill").first.click()
    expect(page.get_by_test_id("drill-filters")).to_be_visible()
    expect(page.get_by_test_id("report-row")).to_have_count(1)


def _htmx_settled(page: Page) -> None:
    """Wait until no htmx request is in flight and swapped content has settled."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping, .htmx-added')"
    )
