"""The sales pipeline in Chromium: convert a lead into customer + opportunity; drag an
opportunity to "won" on the kanban and see it persisted; a stale drag refused and the
card snapped back."""

from __future__ import annotations

from django_scopes import scope, scopes_disabled
from playwright.sync_api import Locator, Page, expect

from guanxi.parties.models import Party
from guanxi.sales.models import Lead, Opportunity
from guanxi.sales.pipeline_services import move_opportunity
from tests.browser.test_customer_flow import sign_in
from tests.factories import TEST_PASSWORD, make_member, make_org
from tests.sales.pipeline_factories import make_opportunity, stage


def drag(page: Page, source: Locator, target: Locator) -> None:
    """Drag with the mouse in small steps, as a person does (SortableJS's mouse mode
    starts a drag only after the pointer has moved a little while pressed)."""
    start, end = source.bounding_box(), target.bounding_box()
    assert start is not None
    assert end is not None
    x0, y0 = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    x1, y1 = end["x"] + end["width"] / 2, end["y"] + min(end["height"] / 2, 20)
    page.mouse.move(x0, y0)
    page.mouse.down()
    for step in range(1, 15):
        page.mouse.move(x0 + (x1 - x0) * step / 14, y0 + (y1 - y0) * step / 14)
        page.wait_for_timeout(40)
    page.mouse.move(x1, y1 - 1)
    page.wait_for_timeout(200)
    page.mouse.up()


def _board(page: Page) -> Locator:
    page.goto("/sales/pipeline/")
    board = page.get_by_test_id("pipeline-board")
    # The deferred script has wired the drag lists.
    expect(page.locator("[data-pipeline-board][data-board-wired]")).to_have_count(1)
    return board


def test_a_lead_is_converted_into_customer_contact_and_opportunity(page: Page):
    org = make_org("Acme 贸易")
    rep = make_member(org, "sales", username="rep")
    sign_in(page, "rep", TEST_PASSWORD)

    # given: a lead captured on the form
    page.goto("/sales/leads/new/")
    form = page.get_by_test_id("lead-form")
    form.locator("[name='title']").fill("展会名片：采购办公家具")
    form.locator("[name='company']").fill("宁波海通贸易有限公司")
    form.locator("[name='person_name']").fill("吴强")
    form.locator("[name='phone']").fill("13700001111")
    form.locator("[name='estimated_amount']").fill("68000")
    form.locator("[name='source']").select_option("exhibition")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("lead-title")).to_have_text("展会名片：采购办公家具")

    # when: it is qualified and converted, creating a new customer
    page.get_by_test_id("lead-qualify").click()
    expect(page.get_by_test_id("lead-qualify")).to_have_count(0)
    page.get_by_test_id("lead-convert").click()
    convert = page.get_by_test_id("convert-form")
    expect(convert.locator("[name='opportunity_name']")).to_have_value("展会名片：采购办公家具")
    convert.locator("[name='close_date']").fill("2030-06-30")
    page.get_by_test_id("convert").click()

    # then: the opportunity's page shows the new customer
    expect(page.get_by_test_id("opp-name")).to_have_text("展会名片：采购办公家具")
    expect(page.get_by_test_id("opp-party")).to_have_text("宁波海通贸易有限公司")
    with scope(org=org.pk):
        party = Party.objects.get()
        opp = Opportunity.objects.get()
        lead = Lead.objects.get()
        contacts = [c.name for c in party.contacts.all()]
    assert (party.mobile, party.owner_id, contacts) == ("13700001111", rep.user_id, ["吴强"])
    assert (opp.party_id, str(opp.amount), opp.owner_id) == (party.pk, "68000.00", rep.user_id)
    assert (lead.status, lead.opportunity_id) == ("converted", opp.pk)

    # and converting another lead of the same company offers the existing customer
    with scopes_disabled():
        from tests.sales.pipeline_factories import make_lead

        second = make_lead(org, rep.user, title="二期项目", company="宁波海通贸易", phone="")
    page.goto(f"/sales/leads/{second.pk}/convert/")
    expect(page.get_by_test_id("convert-matches")).to_be_visible()
    expect(page.locator(f"input[name='customer'][value='{party.pk}']")).to_be_checked()
    page.get_by_test_id("convert").click()
    expect(page.get_by_test_id("opp-party")).to_have_text("宁波海通贸易有限公司")
    with scope(org=org.pk):
        assert Party.objects.count() == 1


def test_dragging_a_card_to_won_closes_the_deal(page: Page):
    org = make_org("Acme 贸易")
    rep = make_member(org, "sales", username="rep")
    opp = make_opportunity(org, rep.user, name="年度采购框架协议")
    sign_in(page, "rep", TEST_PASSWORD)

    board = _board(page)
    card = board.get_by_test_id("pipeline-card").filter(has_text="年度采购框架协议")
    won = board.get_by_test_id("won-zone").locator("[data-drop-list]")
    drag(page, card.locator("[data-drag-handle]"), won)

    # the dialog asks what won the deal
    dialog = page.get_by_test_id("close-dialog")
    expect(dialog).to_be_visible()
    page.get_by_test_id("close-reason").fill("价格有优势")
    page.get_by_test_id("close-confirm").click()
    expect(page.get_by_test_id("board-notice")).to_be_visible()
    expect(won.get_by_test_id("pipeline-card")).to_have_count(1)

    # saved at once: a reload shows it in the won zone, and the record is won
    page.reload()
    expect(page.locator("[data-pipeline-board][data-board-wired]")).to_have_count(1)
    won = page.get_by_test_id("won-zone")
    expect(won.get_by_test_id("pipeline-card").filter(has_text="年度采购框架协议")).to_have_count(1)
    with scope(org=org.pk):
        stored = Opportunity.objects.get(pk=opp.pk)
    assert (stored.status, stored.probability, stored.close_reason) == ("won", 100, "价格有优势")


def test_a_stale_drag_is_refused_and_the_card_snaps_back(page: Page):
    org = make_org("Acme 贸易")
    rep = make_member(org, "sales", username="rep")
    opp = make_opportunity(org, rep.user, name="生产线升级改造")
    sign_in(page, "rep", TEST_PASSWORD)

    board = _board(page)
    first_column = board.get_by_test_id("pipeline-column").nth(0)
    card = first_column.get_by_test_id("pipeline-card").filter(has_text="生产线升级改造")
    expect(card).to_have_count(1)

    # meanwhile a colleague (here: the service) moves it, so the page's version is old
    with scopes_disabled():
        move_opportunity(rep, opp, stage(org, "open", 1), 1)

    third_column = board.get_by_test_id("pipeline-column").nth(2)
    drag(page, card.locator("[data-drag-handle]"), third_column.locator("[data-drop-list]"))

    message = page.get_by_test_id("board-message")
    expect(message).to_be_visible()
    expect(message).not_to_be_empty()
    # the card is back where it was, and nothing changed
    expect(
        first_column.get_by_test_id("pipeline-card").filter(has_text="生产线升级改造")
    ).to_have_count(1)
    expect(third_column.get_by_test_id("pipeline-card")).to_have_count(0)
    with scope(org=org.pk):
        stored = Opportunity.objects.get(pk=opp.pk)
    assert (stored.stage_id, stored.version) == (stage(org, "open", 1).pk, 2)
