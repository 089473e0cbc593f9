"""The pipeline pages: overview, opportunities (list, form, detail, move, close), the
kanban, stage settings, the customer page's tab; visibility and query counts."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from guanxi.activities.models import Activity
from guanxi.sales.models import Opportunity, OpportunityLine, PipelineStage
from tests.conftest import login
from tests.factories import make_member
from tests.sales.pipeline_factories import (
    make_contact,
    make_customer,
    make_opportunity,
    make_product,
    stage,
)

pytestmark = pytest.mark.django_db


def _reload(opp):
    with scopes_disabled():
        return Opportunity.objects.get(pk=opp.pk)


@pytest.fixture
def opp(org, sales_member):
    return make_opportunity(org, sales_member.user, name="新办公楼设备采购")


def test_every_page_answers(sales_client, admin_client, opp, org):
    for url in (
        "/sales/",
        "/sales/pipeline/",
        "/sales/opportunities/",
        "/sales/opportunities/new/",
        f"/sales/opportunities/{opp.pk}/",
        f"/sales/opportunities/{opp.pk}/edit/",
        f"/sales/opportunities/{opp.pk}/delete/",
        f"/sales/opportunities/{opp.pk}/activities/new/",
        f"/sales/customers/{opp.party_id}/opportunities/",
        "/sales/targets/",
        "/sales/leads/",
        "/sales/leads/new/",
    ):
        response = sales_client.get(url)
        assert response.status_code == 200, url
    for url in ("/sales/settings/stages/", f"/sales/settings/stages/{opp.stage_id}/"):
        assert admin_client.get(url).status_code == 200, url
        assert sales_client.get(url).status_code == 403, url


def test_other_organisations_and_colleagues_records_are_404(org, other_org, opp, client):
    stranger = make_member(other_org, "admin", username="stranger")
    login(client, stranger)
    assert client.get(f"/sales/opportunities/{opp.pk}/").status_code == 404
    assert client.post(f"/sales/opportunities/{opp.pk}/move/", {}).status_code == 404
    colleague = make_member(org, "sales", username="colleague")
    other = Client()
    login(other, colleague)
    assert other.get(f"/sales/opportunities/{opp.pk}/").status_code == 404
    assert "新办公楼设备采购" not in other.get("/sales/opportunities/").content.decode()
    assert "新办公楼设备采购" not in other.get("/sales/pipeline/").content.decode()


def test_create_with_lines_and_edit(sales_client, org, sales_member):
    party = make_customer(org, sales_member.user)
    contact = make_contact(party)
    chair = make_product(org, price="500", tax_rate="0")
    data = {
        "name": "门店扩张配套",
        "party": party.pk,
        "contact": contact.pk,
        "stage": stage(org, "open", 1).pk,
        "owner": sales_member.user_id,
        "close_date": "2030-06-30",
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": chair.pk,
        "lines-0-quantity": "4",
        "lines-0-discount_percent": "25",
    }
    response = sales_client.post("/sales/opportunities/new/", data)
    assert response.status_code == 302
    with scopes_disabled():
        created = Opportunity.objects.get(name="门店扩张配套")
        assert OpportunityLine.objects.filter(opportunity=created).count() == 1
    assert (created.amount, created.probability, created.contact_id) == (
        Decimal("1500.00"),
        25,
        contact.pk,
    )
    data.update({"name": "门店扩张配套（二期）", "version": "1", "amount": "9000"})
    data["lines-0-DELETE"] = "on"
    response = sales_client.post(f"/sales/opportunities/{created.pk}/edit/", data)
    assert response.status_code == 302
    updated = _reload(created)
    assert (updated.name, updated.amount, updated.version) == (
        "门店扩张配套（二期）",
        Decimal("9000"),
        2,
    )
    with scopes_disabled():
        assert not OpportunityLine.objects.filter(opportunity=created).exists()


def test_bad_input_shows_field_errors_and_writes_nothing(sales_client, org, sales_member):
    party = make_customer(org, sales_member.user)
    chair = make_product(org)
    response = sales_client.post(
        "/sales/opportunities/new/",
        {
            "name": "",
            "party": party.pk,
            "stage": stage(org).pk,
            "owner": sales_member.user_id,
            "amount": "-3",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product": chair.pk,
            "lines-0-quantity": "",
        },
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "This field is required." in content
    assert "Enter the quantity." in content
    with scopes_disabled():
        assert not Opportunity.objects.filter(org=org).exists()


def test_a_stale_edit_is_refused(sales_client, opp, org, sales_member):
    data = {
        "name": "改名",
        "party": opp.party_id,
        "stage": opp.stage_id,
        "owner": sales_member.user_id,
        "version": "7",
        "lines-TOTAL_FORMS": "0",
        "lines-INITIAL_FORMS": "0",
    }
    response = sales_client.post(f"/sales/opportunities/{opp.pk}/edit/", data)
    assert response.status_code == 200
    assert "Someone else changed this record" in response.content.decode()
    assert _reload(opp).name == "新办公楼设备采购"


def test_drag_move_answers_json_with_card_and_totals(sales_client, opp, org):
    target = stage(org, "open", 2)
    response = sales_client.post(
        f"/sales/opportunities/{opp.pk}/move/",
        {"stage": target.pk, "version": 1},
        HTTP_ACCEPT="application/json",
    )
    body = response.json()
    assert response.status_code == 200
    assert body["ok"] is True
    assert body["version"] == 2
    assert 'data-version="2"' in body["card"]
    assert body["columns"][str(target.pk)] == {
        "count": 1,
        "amount": "10000.00",
        "weighted": "5000.00",
    }
    assert _reload(opp).stage_id == target.pk


def test_a_stale_drag_is_refused_with_409(sales_client, opp, org):
    sales_client.post(
        f"/sales/opportunities/{opp.pk}/move/", {"stage": stage(org, "open", 1).pk, "version": 1}
    )
    response = sales_client.post(
        f"/sales/opportunities/{opp.pk}/move/",
        {"stage": stage(org, "open", 3).pk, "version": 1},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "stale_edit"
    assert "Someone else changed this opportunity" in response.json()["message"]
    assert _reload(opp).stage_id == stage(org, "open", 1).pk


def test_drag_to_lost_without_reason_is_refused(sales_client, opp, org):
    response = sales_client.post(
        f"/sales/opportunities/{opp.pk}/move/",
        {"stage": stage(org, "lost").pk, "version": 1},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 422
    assert _reload(opp).status == "open"


def test_close_form_on_the_detail_page(sales_client, opp):
    response = sales_client.post(
        f"/sales/opportunities/{opp.pk}/close/",
        {"outcome": "lost", "reason": "选择了竞争对手", "version": 1},
    )
    assert response.status_code == 302
    closed = _reload(opp)
    assert (closed.status, closed.close_reason) == ("lost", "选择了竞争对手")
    page = sales_client.get(f"/sales/opportunities/{opp.pk}/").content.decode()
    assert "选择了竞争对手" in page


def test_readonly_member_sees_but_may_not_move(client, org, opp, readonly_member):
    login(client, readonly_member)
    assert client.get(f"/sales/opportunities/{opp.pk}/").status_code == 200
    response = client.post(
        f"/sales/opportunities/{opp.pk}/move/", {"stage": stage(org, "open", 1).pk, "version": 1}
    )
    assert response.status_code == 403


def test_kanban_shows_columns_totals_and_drop_zones(sales_client, org, sales_member):
    party = make_customer(org, sales_member.user)
    make_opportunity(org, sales_member.user, party=party, name="甲", amount=Decimal("1000"))
    make_opportunity(org, sales_member.user, party=party, name="乙", amount=Decimal("3000"))
    page = sales_client.get("/sales/pipeline/").content.decode()
    assert page.count('data-testid="pipeline-column"') == 4
    assert 'data-testid="won-zone"' in page
    assert 'data-testid="lost-zone"' in page
    assert "4,000.00" in page  # Σ of the first column
    assert "400.00" in page  # weighted: 10 %


def test_list_filters_sorts_and_pages(sales_client, org, sales_member, settings):
    settings.GUANXI_PAGE_SIZE = 2
    party = make_customer(org, sales_member.user)
    for index, amount in enumerate(("100", "300", "200")):
        make_opportunity(
            org, sales_member.user, party=party, name=f"机会{index}", amount=Decimal(amount)
        )
    won = make_opportunity(
        org, sales_member.user, party=party, name="赢了的", stage=stage(org, "won")
    )
    page = sales_client.get("/sales/opportunities/?sort=-amount&status=open").content.decode()
    assert page.index("机会1") < page.index("机会2")
    assert "机会0" not in page
    assert "赢了的" not in page
    assert 'data-testid="more"' in page
    second = sales_client.get(
        "/sales/opportunities/?sort=-amount&status=open&cursor=bad", HTTP_HX_REQUEST="true"
    )
    assert second.status_code == 200
    closed = sales_client.get(f"/sales/opportunities/?stage={won.stage_id}").content.decode()
    assert "赢了的" in closed
    assert "机会1" not in closed


def test_list_and_kanban_query_counts_do_not_grow(
    sales_client, org, sales_member, django_assert_max_num_queries
):
    party = make_customer(org, sales_member.user)
    for index in range(12):
        make_opportunity(org, sales_member.user, party=party, name=f"机会{index}")
    with django_assert_max_num_queries(20):
        assert sales_client.get("/sales/opportunities/").status_code == 200
    with django_assert_max_num_queries(25):
        assert sales_client.get("/sales/pipeline/").status_code == 200


def test_activity_form_links_the_activity(sales_client, opp):
    response = sales_client.post(
        f"/sales/opportunities/{opp.pk}/activities/new/",
        {"kind": "meeting", "subject": "方案演示", "when": "2030-01-02T10:00"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        activity = Activity.objects.get(subject="方案演示")
    assert (activity.opportunity_id, activity.party_id) == (opp.pk, opp.party_id)
    page = sales_client.get(f"/sales/opportunities/{opp.pk}/?tab=timeline").content.decode()
    assert "方案演示" in page
    response = sales_client.post(
        f"/sales/opportunities/{opp.pk}/activities/new/", {"kind": "meeting", "subject": "无时间"}
    )
    assert response.status_code == 200
    assert "A meeting needs its start time." in response.content.decode()


def test_customer_page_has_the_opportunities_tab(sales_client, opp):
    page = sales_client.get(f"/customers/{opp.party_id}/").content.decode()
    assert 'data-testid="tab-opportunities"' in page
    tab = sales_client.get(f"/sales/customers/{opp.party_id}/opportunities/").content.decode()
    assert "新办公楼设备采购" in tab
    assert f"/sales/opportunities/new/?party={opp.party_id}" in tab


def test_admin_manages_stages_on_the_settings_page(admin_client, org):
    response = admin_client.post(
        "/sales/settings/stages/",
        {"name": "样品测试", "probability": "40", "outcome": "open", "is_active": "on"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        added = PipelineStage.objects.get(org=org, name="样品测试")
    admin_client.post(f"/sales/settings/stages/{added.pk}/move/", {"direction": "up"})
    response = admin_client.post(
        f"/sales/settings/stages/{added.pk}/",
        {"name": "样品验证", "probability": "45", "outcome": "open", "version": "2"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        added.refresh_from_db()
    assert (added.name, added.probability, added.is_active) == ("样品验证", 45, False)
    response = admin_client.post(
        "/sales/settings/stages/", {"name": "", "probability": "400", "outcome": "open"}
    )
    assert response.status_code == 200


def test_overview_shows_pipeline_and_targets(client, org, sales_member, opp):
    manager = make_member(org, "manager", username="mgr")
    login(client, manager)
    page = client.get("/sales/").content.decode()
    assert 'data-testid="people-overview"' in page
    assert str(sales_member.user) in page
    assert "10,000.00" in page


def test_move_via_plain_form_redirects_with_a_message(sales_client, opp, org):
    response = sales_client.post(
        f"/sales/opportunities/{opp.pk}/move/", {"stage": stage(org, "open", 1).pk, "version": 1}
    )
    assert response.status_code == 302
    follow = sales_client.get(response["Location"]).content.decode()
    assert "is now in" in follow
    stale = sales_client.post(
        f"/sales/opportunities/{opp.pk}/move/", {"stage": stage(org, "open", 2).pk, "version": 1}
    )
    assert stale.status_code == 302
    assert "Someone else changed" in sales_client.get(stale["Location"]).content.decode()


def test_json_error_bodies_are_json(sales_client, opp):
    response = sales_client.post(
        f"/sales/opportunities/{opp.pk}/move/", {"stage": "x"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 422
    assert json.loads(response.content)["ok"] is False


def test_global_search_finds_visible_opportunities_and_leads(sales_client, org, sales_member, opp):
    from tests.sales.pipeline_factories import make_lead

    make_lead(org, sales_member.user, title="展会线索", company="海通贸易")
    colleague = make_member(org, "sales", username="colleague")
    make_opportunity(org, colleague.user, name="新办公楼别人的")
    page = sales_client.get("/search/?q=新办公楼").content.decode()
    assert "新办公楼设备采购" in page
    assert "新办公楼别人的" not in page
    assert "展会线索" in sales_client.get("/search/?q=海通").content.decode()


def test_opportunity_page_makes_quotes_and_orders_and_lists_them(sales_client, org, opp):
    with scopes_disabled():
        OpportunityLine.objects.create(
            org=org,
            opportunity=opp,
            product=make_product(org, code="P-OPP"),
            quantity=Decimal("2"),
            unit_price=Decimal("100"),
        )
    page = sales_client.get(f"/sales/opportunities/{opp.pk}/").content.decode()
    assert 'data-testid="opp-new-quote"' in page
    assert f"/sales/orders/new/?opportunity={opp.pk}" in page
    assert "No quote or order has been made from this opportunity yet." in page

    response = sales_client.post(f"/sales/quotes/from-opportunity/{opp.pk}/")
    assert response.status_code == 302
    with scopes_disabled():
        quote = opp.quotes.get()
    page = sales_client.get(f"/sales/opportunities/{opp.pk}/").content.decode()
    assert quote.number in page
    assert quote.get_absolute_url() in page

    order_form = sales_client.get(f"/sales/orders/new/?opportunity={opp.pk}").content.decode()
    assert "P-OPP" in order_form


def test_readonly_member_gets_no_quote_or_order_buttons(client, opp, readonly_member):
    login(client, readonly_member)
    page = client.get(f"/sales/opportunities/{opp.pk}/").content.decode()
    assert 'data-testid="opp-new-quote"' not in page
    assert 'data-testid="opp-new-order"' not in page
