"""Activities in Chromium: the header's "+" and bell, the customer picker, done in place.

Uses the browser harness of tests/browser (Debian's Chromium through Playwright; skipped
without it, failing in CI); tests/activities/conftest.py imports its fixtures.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from django_scopes import scope
from playwright.sync_api import Page, expect

from guanxi.activities.models import Activity
from guanxi.activities.services import notify
from tests.activities.factories import make_activity, make_contact, make_party
from tests.factories import TEST_PASSWORD, make_member, make_org

pytestmark = pytest.mark.browser


@pytest.fixture
def rep(transactional_db):
    org = make_org("浏览器测试公司")
    member = make_member(org, "sales", username="rep", language="en")
    party = make_party(org, member.user, name="杭州西湖茶业有限公司")
    make_contact(party, "陈茶农")
    return member, party


def sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name='username']").fill(username)
    page.locator("input[name='password']").fill(TEST_PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("user-menu")).to_be_visible()


def test_new_task_from_the_header_with_the_customer_picker(page: Page, rep):
    member, party = rep
    sign_in(page, "rep")

    # The header's "+" offers every kind of activity.
    page.get_by_test_id("new-activity-menu").click()
    page.get_by_test_id("new-activity-meeting").click()
    form = page.get_by_test_id("activity-form")
    form.locator("[name='subject']").fill("春茶采购洽谈")
    form.locator("[name='start_at']").fill("2030-04-02T14:00")
    form.locator("[name='end_at']").fill("2030-04-02T15:00")

    # Typing finds the customer; choosing it loads its contacts.
    page.get_by_test_id("party-search").fill("西湖")
    expect(form.locator("select[name='party'] option", has_text="杭州西湖茶业")).to_have_count(1)
    with page.expect_response(lambda response: "/pickers/contacts/" in response.url):
        form.locator("select[name='party']").select_option(str(party.pk))
    expect(form.locator("select[name='contact'] option", has_text="陈茶农")).to_have_count(1)
    form.locator("select[name='contact']").select_option(label="陈茶农")
    form.get_by_test_id("save").click()

    # Saved, it is on the customer's page.
    expect(page).to_have_url(f"{page.url.split('/customers/')[0]}/customers/{party.pk}/")
    with scope(org=member.org_id):
        meeting = Activity.objects.select_related("contact").get()
    assert (meeting.kind, meeting.party_id, meeting.contact.name) == ("meeting", party.pk, "陈茶农")


def test_done_in_the_timeline_and_the_bell(page: Page, rep):
    member, party = rep
    task = make_activity(
        member.org,
        member.user,
        subject="寄送新茶样品",
        party=party,
        due_at=timezone.now() + datetime.timedelta(days=1),
    )
    notify(
        org_id=member.org_id,
        user_id=member.user_id,
        kind="reminder",
        title="Reminder: 寄送新茶样品",
        dedupe_key="browser",
        url=f"/activities/{task.pk}/",
    )
    sign_in(page, "rep")

    # The bell shows one unread notification (loaded after the page).
    expect(page.get_by_test_id("notification-badge")).to_have_attribute("data-count", "1")

    # Done, from the timeline, without leaving the page.
    page.goto(f"/activities/customers/{party.pk}/timeline/")
    item = page.locator(f"#activity-{task.pk}")
    item.get_by_test_id("activity-done").click()
    expect(page.locator(f"#activity-{task.pk}")).to_have_attribute("data-status", "done")
    expect(page.locator(f"#activity-{task.pk}").get_by_test_id("activity-done")).to_have_count(0)

    # Reading the notification in the list empties the badge.
    page.get_by_test_id("notification-bell").click()
    expect(page.get_by_test_id("notification-badge")).to_have_attribute("data-count", "1")
    page.get_by_test_id("mark-read").click()
    expect(page.get_by_test_id("notification")).to_have_attribute("data-read", "1")
    expect(page.get_by_test_id("notification-badge")).to_have_attribute("data-count", "0")
