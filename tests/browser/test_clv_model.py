"""The lifetime-value model page in Chromium: a manager refits the model as of a chosen
day, reads the parameters and the model-check charts, and after a metrics refresh finds
the customers with the highest expected value and opens one; a future date is refused."""

from __future__ import annotations

import re

from django_scopes import scope
from playwright.sync_api import Page, expect

from guanxi.analytics.metrics_services import refresh_now
from guanxi.analytics.models import ClvModelFit, CustomerMetrics
from tests.analytics.clv_fixtures import OBSERVATION_END, build_clv_dataset
from tests.browser.test_customer_flow import sign_in
from tests.factories import TEST_PASSWORD, make_member, make_org


def test_refit_the_model_and_open_a_top_customer(page: Page):
    org = make_org("Acme 贸易")
    boss = make_member(org, "admin", username="boss")
    boss.user.language = "en"  # the assertions read the English texts
    boss.user.save(update_fields=["language"])
    build_clv_dataset(org, owner=boss.user)
    sign_in(page, "boss", TEST_PASSWORD)

    # given: no fit yet
    page.goto("/analysis/clv/")
    expect(page.get_by_test_id("clv-not-fitted")).to_be_visible()

    # when: a future end of observation is tried, it is refused and nothing is fitted
    page.get_by_test_id("clv-observation-end").fill("2999-01-01")
    page.get_by_test_id("clv-refit").click()
    expect(page.get_by_test_id("clv-error")).to_contain_text("future")
    with scope(org=org.pk):
        assert not ClvModelFit.objects.exists()

    # when: the model is refitted as of the end of the data
    page.get_by_test_id("clv-observation-end").fill(OBSERVATION_END.isoformat())
    page.get_by_test_id("clv-refit").click()

    # then: the parameters, their meaning and both model-check charts are shown
    expect(page.get_by_test_id("clv-bgnbd")).to_contain_text("purchases per week")
    expect(page.get_by_test_id("clv-gamma-gamma")).to_contain_text("p·v/(q−1)")
    expect(page.get_by_test_id("clv-holdout-totals")).to_contain_text("actual")
    expect(page.locator("#clv-holdout canvas")).to_have_count(1)
    expect(page.locator("#clv-tracking canvas")).to_have_count(1)
    expect(page.get_by_test_id("clv-no-top")).to_be_visible()

    # when: the metrics refresh scores every customer with the model
    refresh_now(org, as_of=OBSERVATION_END)
    with scope(org=org.pk):
        best = (
            CustomerMetrics.objects.filter(expected_value_12m__isnull=False)
            .order_by("-expected_value_12m", "party_id")
            .select_related("party")
            .first()
        )
    assert best is not None
    page.reload()

    # then: the top customers are listed, best first, and open the customer page
    rows = page.get_by_test_id("clv-top-row")
    expect(rows.first).to_contain_text(best.party.name)
    rows.first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/customers/{best.party_id}/$"))
