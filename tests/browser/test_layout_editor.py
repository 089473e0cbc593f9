"""Custom fields in Chromium: arrange an edit scheme by drag and drop, and see it used on
the add-customer form; reorder custom fields by dragging rows."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from tests.browser.test_auth_flows import sign_in
from tests.core.fields_helpers import fields_of, layouts_of, make_field, make_layout
from tests.factories import TEST_PASSWORD, make_member, make_org


def drag(page: Page, source: Locator, target: Locator) -> None:
    """Drag with the mouse in small steps, as a person does: SortableJS (in its mouse
    mode) starts a drag only after the pointer has moved a little while pressed."""
    start, end = source.bounding_box(), target.bounding_box()
    assert start is not None
    assert end is not None
    x0, y0 = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    x1, y1 = end["x"] + end["width"] / 2, end["y"] + min(end["height"] / 2, 12)
    page.mouse.move(x0, y0)
    page.mouse.down()
    for step in range(1, 13):
        page.mouse.move(x0 + (x1 - x0) * step / 12, y0 + (y1 - y0) * step / 12)
        page.wait_for_timeout(40)
    # Rest on the target so SortableJS (which swaps on its animation frame) settles.
    page.mouse.move(x1, y1 - 1)
    page.wait_for_timeout(200)
    page.mouse.up()


def test_dragged_field_lands_in_its_group_on_the_add_customer_form(page: Page):
    org = make_org("Acme 贸易")
    make_member(org, "admin", username="boss")
    make_field(org, "客户级别", "choice", choices=["金牌", "银牌"])
    make_field(org, "年采购额", "number")
    layout = make_layout(org, "标准方案", [{"title": "合作信息", "fields": []}], is_default=True)
    sign_in(page, "boss", TEST_PASSWORD)

    # given: the editor of the standard scheme, both fields unassigned
    page.goto(f"/core/edit-schemes/party/{layout.pk}/")
    unassigned = page.get_by_test_id("unassigned-fields")
    group = page.get_by_test_id("group-fields").first
    expect(unassigned.get_by_test_id("layout-field")).to_have_count(2)
    # The deferred script has wired the drag lists (a slow machine may take a moment).
    expect(page.locator("[data-layout-editor][data-editor-ready]")).to_have_count(1)

    # when: one field is dragged into the group by its handle
    handle = (
        unassigned.get_by_test_id("layout-field")
        .filter(has_text="年采购额")
        .locator("[data-drag-handle]")
    )
    drag(page, handle, group)

    # then: the preview follows at once, and Save stores it
    expect(group.get_by_test_id("layout-field")).to_contain_text("年采购额")
    preview = page.get_by_test_id("layout-preview")
    expect(preview.get_by_test_id("preview-group-title").first).to_have_text("合作信息")
    expect(preview.get_by_test_id("preview-group").first).to_contain_text("年采购额")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("unassigned-fields").get_by_test_id("layout-field")).to_have_count(1)
    assert layouts_of(org) == [
        ("标准方案", True, [{"title": "合作信息", "fields": ["niancaigoue"]}])
    ]

    # and the add-customer form shows the group with the field
    page.goto("/customers/new/")
    sections = page.get_by_test_id("section-custom")
    expect(sections.first).to_contain_text("合作信息")
    expect(sections.first).to_contain_text("年采购额")
    expect(sections.first).not_to_contain_text("客户级别")


def test_dragging_a_row_reorders_the_custom_fields(page: Page):
    org = make_org("Acme 贸易")
    make_member(org, "admin", username="boss")
    for name in ("Alpha", "Beta", "Gamma"):
        make_field(org, name)
    sign_in(page, "boss", TEST_PASSWORD)

    page.goto("/core/fields/party/")
    rows = page.get_by_test_id("field-row")
    expect(rows).to_have_count(3)
    expect(page.locator("[data-sortable-rows][data-sortable-ready]")).to_have_count(1)
    # The drop posts the new order through htmx; wait for that answer before reloading,
    # or the reload can abort the request in flight.
    with page.expect_response(
        lambda response: response.request.method == "POST" and "/reorder" in response.url
    ) as saved:
        drag(page, rows.nth(2).locator(".drag-handle"), rows.nth(0).locator(".drag-handle"))
    assert saved.value.ok

    expect(page.get_by_test_id("field-row").first).to_contain_text("Gamma")
    page.reload()
    expect(page.get_by_test_id("field-row").first).to_contain_text("Gamma")
    assert [key for key, _pos, _active in fields_of(org)] == ["gamma", "alpha", "beta"]
