"""The churn-risk list in Chromium: a manager opens the list, selects the customers at
risk, plans visits for tomorrow, and the visit tasks exist for the customers' owners; the
customer page shows the Analysis tab with its explanations."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django_scopes import scope
from playwright.sync_api import Page, expect

from guanxi.activities.models import Activity
from guanxi.analytics.metrics_services import refresh_now
from tests.analytics.metrics_fixtures import AS_OF, build_dataset
from tests.browser.test_customer_flow import open_tab, sign_in
from tests.factories import TEST_PASSWORD, make_member, make_org


def test_plan_visits_from_the_churn_risk_list(page: Page):
    org = make_org("Acme 贸易")
    boss = make_member(org, "admin", username="boss")
    rep = make_member(org, "sales", username="rep")
    parties = build_dataset(org, owner=boss.user, other_owner=rep.user)
    refresh_now(org, as_of=AS_OF, with_clv=False)
    sign_in(page, "boss", TEST_PASSWORD)

    # given: the churn-risk list shows C and D (churn risk 85 % and 77 %)
    page.goto("/analysis/churn/")
    rows = page.get_by_test_id("churn-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("客户C")
    expect(rows.first.get_by_test_id("churn-risk")).to_have_text("85%")

    # when: both are selected and visits planned for tomorrow
    page.get_by_test_id("select-all").check()
    expect(page.locator("[data-selected-count]")).to_have_text("2")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    page.get_by_test_id("due-date").fill(tomorrow.isoformat())
    page.get_by_test_id("visit-note").fill("带上新品目录")
    page.get_by_test_id("plan-visits").click()

    # then: a success message, and one planned task per customer for its owner
    expect(page.locator(".alert-success, [data-testid='messages']").first).to_be_visible()
    with scope(org=org.pk):
        tasks = list(Activity.objects.filter(kind="task").order_by("party__name"))
    assert [t.party_id for t in tasks] == [parties["C"].pk, parties["D"].pk]
    assert {t.owner_id for t in tasks} == {rep.user_id}
    assert all(timezone.localtime(t.due_at).date() == tomorrow for t in tasks)

    # and: a past date is refused with a message on the field, nothing created
    page.get_by_test_id("select-all").check()
    page.get_by_test_id("due-date").fill("2000-01-01")
    page.get_by_test_id("plan-visits").click()
    expect(page.get_by_test_id("due-date-error")).to_be_visible()
    with scope(org=org.pk):
        assert Activity.objects.filter(kind="task").count() == 2

    # and: the customer page explains the figures
    page.goto(f"/customers/{parties['C'].pk}/")
    expect(page.get_by_test_id("value-badges")).to_be_visible()
    pane = open_tab(page, "analysis")
    expect(pane.get_by_test_id("metric-churn")).to_be_visible()
    expect(pane.get_by_test_id("metric-stage")).to_be_visible()
