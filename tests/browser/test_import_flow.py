"""Importing customers from a CSV with a dry run (B15), in Chromium.

Upload a file with a bad row, see the row reported by the dry run and nothing saved,
upload the corrected file, import it, and find the customers in the list.
"""

from __future__ import annotations

import csv
import io
import re

from django_scopes import scope
from playwright.sync_api import Page, expect

from guanxi.parties.models import Party
from tests.factories import TEST_PASSWORD, make_member, make_org

LOGIN = "/accounts/login/"
HEADER = ["客户名称", "手机", "邮箱", "城市", "级别", "联系人", "联系人手机"]
ROWS = [
    [
        "杭州西湖茶业有限公司",
        "13800138000",
        "info@xihutea.example",
        "杭州",
        "重要",
        "李娜",
        "13900139000",
    ],
    ["苏州园林设计有限公司", "12345", "design@suzhou.example", "苏州", "普通", "", ""],
    ["南京金陵贸易有限公司", "13700137000", "", "南京", "", "王芳", ""],
]


def sign_in(page: Page, username: str) -> None:
    page.goto(LOGIN)
    page.locator("input[name='username']").fill(username)
    page.locator("input[name='password']").fill(TEST_PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("user-menu")).to_be_visible()


def gbk_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("gbk")  # as Chinese Excel saves "CSV (逗号分隔)"


def upload_and_check(page: Page, data: bytes) -> None:
    page.goto("/customers/import/")
    page.locator("input[name='file']").set_input_files(
        files=[{"name": "客户.csv", "mimeType": "text/csv", "buffer": data}]
    )
    page.get_by_test_id("import-upload").click()
    expect(page.get_by_test_id("mapping-table")).to_be_visible()
    expect(page.locator("select[name='col_0']")).to_have_value("name")
    expect(page.locator("select[name='col_1']")).to_have_value("mobile")
    page.get_by_test_id("import-check").click()
    # The dry run runs in the background; the progress page follows it to the report.
    expect(page).to_have_url(re.compile(r"/customers/import/\d+/check/$"), timeout=20_000)


def test_import_a_csv_with_a_dry_run(page: Page):
    org = make_org("Acme 贸易")
    make_member(org, "admin", username="boss")
    sign_in(page, "boss")

    # 1. A file with a bad mobile number in row 3: the dry run reports it, nothing is saved.
    upload_and_check(page, gbk_csv([HEADER, *ROWS]))
    expect(page.get_by_test_id("check-failed")).to_be_visible()
    bad = page.locator("[data-testid='import-error-row']")
    expect(bad).to_have_count(1)
    expect(bad).to_have_attribute("data-row", "3")
    expect(bad).to_contain_text("手机")
    expect(bad).to_contain_text("12345")
    expect(page.get_by_test_id("import-run")).to_have_count(0)
    with scope(org=org.pk):
        assert Party.objects.count() == 0

    # 2. Fix the row, upload again: every row passes, import.
    fixed = [row[:] for row in ROWS]
    fixed[1][1] = "13600136000"
    page.get_by_test_id("import-upload-again").click()
    upload_and_check(page, gbk_csv([HEADER, *fixed]))
    expect(page.get_by_test_id("check-passed")).to_be_visible()
    expect(page.get_by_test_id("count-create")).to_have_text("3")
    page.get_by_test_id("import-run").click()
    expect(page.get_by_test_id("import-done")).to_be_visible(timeout=20_000)

    # 3. The customers are in the list.
    page.get_by_test_id("import-see-list").click()
    rows = page.get_by_test_id("party-row")
    expect(rows).to_have_count(3)
    expect(page.get_by_test_id("party-table")).to_contain_text("苏州园林设计有限公司")
    with scope(org=org.pk):
        assert Party.objects.count() == 3
        assert Party.objects.get(name="杭州西湖茶业有限公司").contacts.get().name == "李娜"
