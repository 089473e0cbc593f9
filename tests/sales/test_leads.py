"""Leads (线索, C1): capture, qualify, disqualify and convert into customer + contact +
opportunity without duplicating an existing customer; their pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scopes_disabled

from guanxi.core.exceptions import StaleEdit
from guanxi.parties.models import Contact, Party
from guanxi.sales.models import Lead, Opportunity
from guanxi.sales.pipeline_services import (
    DuplicateCustomer,
    PipelineError,
    convert_lead,
    disqualify_lead,
    qualify_lead,
    update_lead,
)
from tests.conftest import login
from tests.factories import make_member
from tests.sales.pipeline_factories import make_contact, make_customer, make_lead, stage

pytestmark = pytest.mark.django_db


def _reload(lead):
    with scopes_disabled():
        return Lead.objects.get(pk=lead.pk)


def test_capture_defaults_owner_and_validates(org, sales_member):
    lead = make_lead(org, sales_member.user, source="exhibition", estimated_amount="50000")
    assert (lead.status, lead.owner_id, lead.estimated_amount) == (
        "new",
        sales_member.user_id,
        Decimal("50000"),
    )
    with pytest.raises(ValidationError) as caught:
        make_lead(
            org,
            sales_member.user,
            title="",
            phone="12",
            source="tv",
            email="x@",
            estimated_amount="-1",
        )
    assert {"title", "phone", "source", "email", "estimated_amount"} <= set(
        caught.value.message_dict
    )


def test_qualify_disqualify_and_requalify(org, sales_member):
    lead = make_lead(org, sales_member.user)
    lead = qualify_lead(lead=lead, actor=sales_member.user)
    assert lead.status == "qualified"
    with pytest.raises(ValidationError):
        disqualify_lead(lead=lead, actor=sales_member.user, reason=" ")
    lead = disqualify_lead(lead=lead, actor=sales_member.user, reason="预算不足")
    assert (lead.status, lead.disqualify_reason) == ("disqualified", "预算不足")
    with pytest.raises(PipelineError):
        convert_lead(
            lead=lead,
            membership=sales_member,
            actor=sales_member.user,
            expected_version=lead.version,
        )
    lead = qualify_lead(lead=lead, actor=sales_member.user)
    assert (lead.status, lead.disqualify_reason) == ("qualified", "")
    with pytest.raises(StaleEdit):
        update_lead(lead=lead, actor=sales_member.user, data={"title": "x"}, expected_version=1)


def test_convert_creates_customer_contact_and_opportunity_in_one_step(org, sales_member):
    lead = make_lead(
        org,
        sales_member.user,
        email="zhou@boyuan.example",
        source="website",
        estimated_amount="80000",
    )
    result = convert_lead(
        lead=lead,
        membership=sales_member,
        actor=sales_member.user,
        expected_version=1,
        opportunity={"stage": stage(org, "open", 1), "close_date": None},
    )
    with scopes_disabled():
        party = Party.objects.get(pk=result.party.pk)
        contact = Contact.objects.get(pk=result.contact.pk)
        opp = Opportunity.objects.get(pk=result.opportunity.pk)
    assert (party.name, party.mobile, party.source, party.owner_id) == (
        "苏州博远机电有限公司",
        "13912345678",
        "website",
        sales_member.user_id,
    )
    assert "suzhou" in party.search_text  # made by the parties service: pinyin search works
    assert (contact.name, contact.party_id, contact.is_primary) == ("周敏", party.pk, True)
    assert (opp.party_id, opp.contact_id, opp.amount, opp.probability) == (
        party.pk,
        contact.pk,
        Decimal("80000.00"),
        25,
    )
    lead = _reload(lead)
    assert (lead.status, lead.party_id, lead.contact_id, lead.opportunity_id) == (
        "converted",
        party.pk,
        contact.pk,
        opp.pk,
    )
    with pytest.raises(PipelineError):
        update_lead(lead=lead, actor=sales_member.user, data={"title": "x"}, expected_version=2)


def test_an_existing_customer_is_offered_instead_of_a_duplicate(org, sales_member):
    existing = make_customer(org, sales_member.user, name="苏州博远机电", mobile="13800000001")
    make_contact(existing, "周敏")
    lead = make_lead(org, sales_member.user)
    with pytest.raises(DuplicateCustomer) as caught:
        convert_lead(
            lead=lead, membership=sales_member, actor=sales_member.user, expected_version=1
        )
    assert [(m.party_id, m.kind, m.visible) for m in caught.value.matches] == [
        (existing.pk, "name", True)
    ]
    with scopes_disabled():
        assert Party.objects.filter(org=org).count() == 1
        assert not Opportunity.objects.exists()
    result = convert_lead(
        lead=lead,
        membership=sales_member,
        actor=sales_member.user,
        expected_version=1,
        party=existing,
    )
    assert result.party.pk == existing.pk
    with scopes_disabled():
        assert Contact.objects.filter(party=existing).count() == 1  # the same person is reused
        assert Party.objects.filter(org=org).count() == 1


def test_a_phone_match_finds_the_customer_too(org, sales_member):
    colleague = make_member(org, "sales", username="colleague")
    theirs = make_customer(org, colleague.user, name="完全不同的名字", mobile="139 1234 5678")
    lead = make_lead(org, sales_member.user)
    with pytest.raises(DuplicateCustomer) as caught:
        convert_lead(
            lead=lead, membership=sales_member, actor=sales_member.user, expected_version=1
        )
    assert [(m.party_id, m.kind, m.visible) for m in caught.value.matches] == [
        (theirs.pk, "phone", False)
    ]
    result = convert_lead(
        lead=lead,
        membership=sales_member,
        actor=sales_member.user,
        expected_version=1,
        create_new=True,
    )
    assert result.created_party


def test_a_failed_conversion_writes_nothing(org, sales_member):
    lead = make_lead(org, sales_member.user, company="", person_name="x" * 100, phone="")
    with pytest.raises(ValidationError):
        convert_lead(
            lead=lead,
            membership=sales_member,
            actor=sales_member.user,
            expected_version=1,
            opportunity={"amount": "-5"},
        )
    with scopes_disabled():
        assert not Party.objects.filter(org=org).exists()
        assert not Contact.objects.exists()
    assert _reload(lead).status == "new"


def test_a_stale_conversion_is_refused(org, sales_member):
    lead = make_lead(org, sales_member.user)
    qualify_lead(lead=lead, actor=sales_member.user)
    with pytest.raises(StaleEdit):
        convert_lead(
            lead=lead, membership=sales_member, actor=sales_member.user, expected_version=1
        )


# --- pages ---------------------------------------------------------------------------------


def test_capture_on_the_page_and_search_the_list(sales_client, org, sales_member):
    response = sales_client.post(
        "/sales/leads/new/",
        {
            "title": "展会名片：有采购意向",
            "company": "宁波海通贸易有限公司",
            "person_name": "吴强",
            "phone": "13700001111",
            "source": "exhibition",
            "owner": sales_member.user_id,
        },
    )
    assert response.status_code == 302
    page = sales_client.get("/sales/leads/?q=海通").content.decode()
    assert "展会名片：有采购意向" in page
    assert "Exhibition" in page
    assert "展会名片" not in sales_client.get("/sales/leads/?status=qualified").content.decode()


def test_capture_needs_a_company_or_a_person(sales_client, sales_member):
    response = sales_client.post(
        "/sales/leads/new/", {"title": "无名", "owner": sales_member.user_id, "phone": "123"}
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "Give the company or the contact person" in content


def test_qualify_disqualify_pages(sales_client, org, sales_member):
    lead = make_lead(org, sales_member.user)
    sales_client.post(f"/sales/leads/{lead.pk}/qualify/", {"version": 1})
    assert _reload(lead).status == "qualified"
    response = sales_client.post(f"/sales/leads/{lead.pk}/disqualify/", {"reason": ""})
    assert response.status_code == 200
    sales_client.post(f"/sales/leads/{lead.pk}/disqualify/", {"reason": "联系不上", "version": 2})
    assert _reload(lead).disqualify_reason == "联系不上"
    assert "联系不上" in sales_client.get(f"/sales/leads/{lead.pk}/").content.decode()


def test_convert_page_offers_the_existing_customer(sales_client, org, sales_member):
    existing = make_customer(org, sales_member.user, name="苏州博远机电有限公司")
    lead = make_lead(org, sales_member.user)
    page = sales_client.get(f"/sales/leads/{lead.pk}/convert/").content.decode()
    assert 'data-testid="convert-matches"' in page
    assert f'value="{existing.pk}"' in page
    response = sales_client.post(
        f"/sales/leads/{lead.pk}/convert/",
        {
            "customer": str(existing.pk),
            "opportunity_name": "批量采购",
            "stage": stage(org).pk,
            "amount": "12000",
            "add_contact": "on",
            "version": "1",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        opp = Opportunity.objects.get(name="批量采购")
    assert opp.party_id == existing.pk
    assert response["Location"] == f"/sales/opportunities/{opp.pk}/"


def test_leads_of_others_are_hidden(client, org, other_org, sales_member):
    lead = make_lead(org, sales_member.user, title="秘密线索")
    colleague = make_member(org, "sales", username="colleague")
    login(client, colleague)
    assert client.get(f"/sales/leads/{lead.pk}/").status_code == 404
    assert client.post(f"/sales/leads/{lead.pk}/convert/").status_code == 404
    assert "秘密线索" not in client.get("/sales/leads/").content.decode()
    manager = make_member(org, "manager", username="mgr")
    login(client, manager)
    assert client.get(f"/sales/leads/{lead.pk}/").status_code == 200


def test_lead_list_query_count(sales_client, org, sales_member, django_assert_max_num_queries):
    for index in range(15):
        make_lead(org, sales_member.user, title=f"线索{index}")
    with django_assert_max_num_queries(15):
        assert sales_client.get("/sales/leads/").status_code == 200


def test_delete_moves_to_the_recycle_bin(sales_client, org, sales_member):
    lead = make_lead(org, sales_member.user)
    assert sales_client.post(f"/sales/leads/{lead.pk}/delete/").status_code == 302
    with scopes_disabled():
        assert Lead.all_objects.get(pk=lead.pk).deleted_at is not None
