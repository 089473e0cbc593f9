"""The lab manual's customer flow (实验二 客户管理), in Chromium.

Add the first customer filling all four information sections, attach a file, add two
contacts, add a task and a meeting from the timeline tab, then lock the customer and see
its deletion refused.
"""

from __future__ import annotations

import re

from django.urls import NoReverseMatch, reverse
from django_scopes import scope
from playwright.sync_api import Page, expect

from guanxi.parties.models import Contact, Party
from tests.factories import TEST_PASSWORD, make_member, make_org

LOGIN = "/accounts/login/"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def sign_in(page: Page, username: str, password: str) -> None:
    page.goto(LOGIN)
    page.locator("input[name='username']").fill(username)
    page.locator("input[name='password']").fill(password)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("user-menu")).to_be_visible()


def fill(page: Page, values: dict[str, str]) -> None:
    for name, value in values.items():
        page.locator(f"[data-testid='party-form'] [name='{name}']").fill(value)


def open_tab(page: Page, key: str):
    page.get_by_test_id(f"tab-{key}").click()
    pane = page.get_by_test_id(f"pane-{key}")
    expect(pane).to_be_visible()
    return pane


def add_contact(page: Page, name: str, mobile: str, role: str, lunar: bool = False) -> None:
    pane = page.get_by_test_id("pane-contacts")
    pane.get_by_test_id("contact-add").click()
    form = pane.get_by_test_id("contact-form")
    expect(form).to_be_visible()
    form.locator("[name='name']").fill(name)
    form.locator("[name='mobile']").fill(mobile)
    form.locator("[name='role']").fill(role)
    if lunar:
        form.locator("[name='birthday_calendar'][value='lunar']").check()
        form.locator("[name='lunar_birth_month']").select_option("8")
        form.locator("[name='lunar_birth_day']").select_option("15")
        form.locator("[name='birthday_reminder']").check()
    form.get_by_test_id("contact-save").click()
    expect(pane.get_by_test_id("contact-form")).to_have_count(0)
    expect(pane.get_by_test_id("contact-name").filter(has_text=name)).to_be_visible()


def add_activity(page: Page, kind: str, subject: str, extra: dict[str, str]) -> None:
    pane = open_tab(page, "timeline")
    pane.get_by_test_id("timeline-new").click()
    pane.get_by_test_id(f"timeline-new-{kind}").click()
    form = page.get_by_test_id("activity-form")
    expect(form).to_be_visible()
    form.locator("[name='subject']").fill(subject)
    for name, value in extra.items():
        form.locator(f"[name='{name}']").fill(value)
    form.get_by_test_id("save").click()
    expect(page.get_by_test_id("party-name")).to_be_visible()


def _timeline_exists() -> bool:
    try:
        reverse("activities:party_timeline", args=[1])
        reverse("activities:activity_create")
    except NoReverseMatch:
        return False
    return True


def test_first_customer_contacts_timeline_and_lock(page: Page):
    org = make_org("Acme 贸易")
    make_member(org, "admin", username="boss")
    sign_in(page, "boss", TEST_PASSWORD)

    # 1. Add the first customer with the personal, company, family and other sections.
    page.goto("/customers/new/")
    for section in ("personal", "company", "family", "other"):
        expect(page.get_by_test_id(f"section-{section}")).to_be_visible()
    fill(
        page,
        {
            "name": "杭州西湖茶业有限公司",
            "short_name": "西湖茶业",
            # 个人信息
            "mobile": "13800138000",
            "email": "li.na@xihutea.example",
            "wechat": "lina_tea88",
            "birthday": "1985-03-12",
            # 单位信息
            "company_name": "杭州西湖茶业有限公司",
            "department": "采购部",
            "job_title": "采购经理",
            "city": "杭州",
            "address": "龙井路 1 号",
            # 家庭信息
            "home_address": "杭州市西湖区曙光路 88 号",
            "spouse": "张伟",
            "family_notes": "喜欢周末爬山",
            # 其它信息
            "background": "三家门店，计划开第四家",
            "decision_makers": "总经理李娜",
            "budget": "20 万",
            "interests": "茶道、书法",
        },
    )
    page.get_by_test_id("adhoc-add").click()
    row = page.get_by_test_id("adhoc-row").last
    row.locator("[name='adhoc_label']").fill("Favourite tea")
    row.locator("[name='adhoc_value']").fill("龙井")
    page.get_by_test_id("save").click()

    expect(page.get_by_test_id("party-name")).to_have_text("西湖茶业")
    expect(page).to_have_url(re.compile(r"/customers/\d+/$"))
    party_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    profile = page.get_by_test_id("pane-profile")
    expect(profile.get_by_test_id("profile-family")).to_contain_text("喜欢周末爬山")
    expect(profile.get_by_test_id("profile-other")).to_contain_text("总经理李娜")
    expect(open_tab(page, "custom").get_by_test_id("adhoc-values")).to_contain_text("龙井")

    # 2. Attach a file (附件操作).
    attachments = open_tab(page, "attachments")
    attachments.get_by_test_id("attachment-file").set_input_files(
        files=[{"name": "合同.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    attachments.get_by_test_id("attachment-upload").click()
    expect(attachments.get_by_test_id("attachment-row")).to_have_count(1)
    expect(attachments.get_by_test_id("attachment-download")).to_have_text(re.compile("合同.pdf"))

    # 3. Two contacts, one with a lunar birthday and a reminder.
    open_tab(page, "contacts")
    add_contact(page, "王芳", "13912345678", "采购经理")
    add_contact(page, "李强", "13700001111", "财务", lunar=True)
    expect(page.get_by_test_id("pane-contacts").get_by_test_id("contact-row")).to_have_count(2)
    with scope(org=org.pk):
        lunar = Contact.objects.get(name="李强")
    assert (lunar.lunar_birth_month, lunar.lunar_birth_day, lunar.birthday_reminder) == (
        8,
        15,
        True,
    )

    # 4. A task and a meeting from the timeline tab.
    if _timeline_exists():
        add_activity(page, "task", "寄送新茶样品", {"due_at": "2030-04-01T10:00"})
        add_activity(
            page,
            "meeting",
            "春茶采购洽谈",
            {"start_at": "2030-04-02T14:00", "end_at": "2030-04-02T15:00", "location": "杭州"},
        )
        timeline = open_tab(page, "timeline")
        expect(timeline.get_by_test_id("timeline-item")).to_have_count(2)

    # 5. Lock the customer: deletion is refused, and the page says why.
    page.goto(f"/customers/{party_id}/")
    page.get_by_test_id("party-lock").click()
    expect(page.get_by_test_id("locked-badge")).to_be_visible()
    expect(page.get_by_test_id("party-delete")).to_be_disabled()
    expect(page.get_by_test_id("delete-blocked-reason")).to_be_visible()
    page.goto(f"/customers/{party_id}/delete/")
    expect(page.get_by_test_id("delete-blocked-reason")).to_be_visible()
    expect(page.get_by_test_id("confirm")).to_be_disabled()
    with scope(org=org.pk):
        party = Party.objects.get(pk=party_id)
    assert (party.is_locked, party.is_deleted) == (True, False)
