"""Settings pages in Chromium: the live member filter and a team's trip through the bin."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.test_auth_flows import sign_in
from tests.factories import TEST_PASSWORD, make_member, make_org, make_team


def test_member_search_narrows_the_list_as_you_type(page: Page):
    org = make_org("Acme 贸易")
    make_member(org, "admin", username="boss")
    for name in ("li.lei", "han.meimei", "wang.wu"):
        make_member(org, "sales", username=name)
    sign_in(page, "boss", TEST_PASSWORD)

    page.goto("/accounts/settings/members/")
    expect(page.get_by_test_id("member-row")).to_have_count(4)
    page.locator("#id_q").fill("meimei")

    expect(page.get_by_test_id("member-row")).to_have_count(1)
    expect(page.get_by_test_id("member-row")).to_contain_text("han.meimei")
    expect(page).to_have_url(re.compile(r"[?&]q=meimei"))


def test_deleted_team_is_restored_from_the_recycle_bin(page: Page):
    org = make_org("Acme 贸易")
    make_member(org, "admin", username="boss")
    team = make_team(org, "临时项目组")
    sign_in(page, "boss", TEST_PASSWORD)

    page.goto(f"/accounts/settings/teams/{team.pk}/")
    page.get_by_test_id("team-delete").click()
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("team-row")).to_have_count(0)

    page.goto("/core/recycle-bin/")
    row = page.get_by_test_id("recycle-bin-row")
    expect(row).to_contain_text("临时项目组")
    row.get_by_test_id("restore").click()

    expect(page.get_by_test_id("recycle-bin-row")).to_have_count(0)
    page.goto("/accounts/settings/teams/")
    expect(page.get_by_test_id("team-row")).to_contain_text("临时项目组")
