"""Contacts on the 360° page and their own page (B9): add, edit, delete, lunar birthdays."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_scopes import scope

from guanxi.core.custom_fields import save_custom_field
from guanxi.core.models import CustomField
from guanxi.parties.models import Contact
from guanxi.parties.services import update_contact
from tests.conftest import login
from tests.factories import make_member
from tests.parties.record_helpers import make_contact, make_party

HTMX = {"HX-Request": "true"}


def _contact_form(**overrides):
    data = {
        "name": "王芳",
        "gender": "female",
        "role": "采购经理",
        "department": "采购部",
        "mobile": "139 1234 5678",
        "phone": "021-6234 5678",
        "email": "wangfang@example.test",
        "wechat": "wangfang_sh",
        "qq": "10001",
        "address": "上海市徐汇区漕溪北路 1 号",
        "notes": "周三下午方便",
        "birthday_calendar": "solar",
        "birthday": "1990-05-20",
        "reminder_days_before": "3",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _contacts(org, party):
    with scope(org=org.pk):
        return list(Contact.objects.filter(party=party).order_by("id"))


@pytest.fixture
def party(org, admin_member):
    return make_party(org, admin_member.user, name="上海申达贸易有限公司")


def test_inline_form_adds_two_contacts_and_returns_the_list(admin_client, org, party):
    url = reverse("parties:contact_create", args=[party.pk])

    form = admin_client.get(url, headers=HTMX)
    first = admin_client.post(url, _contact_form(is_primary="on"), headers=HTMX)
    second = admin_client.post(
        url, _contact_form(name="李强", mobile="13700001111", email="", wechat=""), headers=HTMX
    )

    assert 'data-testid="contact-form"' in form.content.decode()
    assert 'data-testid="party-contacts"' not in form.content.decode()
    for response in (first, second):
        assert response.status_code == 200
        assert response["HX-Retarget"] == "#party-contacts"
        assert response["HX-Reswap"] == "outerHTML"
    html = second.content.decode()
    assert html.count('data-testid="contact-row"') == 2
    stored = _contacts(org, party)
    assert [c.name for c in stored] == ["王芳", "李强"]
    assert (stored[0].is_primary, stored[0].wechat, stored[0].role) == (
        True,
        "wangfang_sh",
        "采购经理",
    )


def test_full_page_add_redirects_to_the_contacts_tab(admin_client, org, party):
    response = admin_client.post(
        reverse("parties:contact_create", args=[party.pk]), _contact_form()
    )

    assert response.status_code == 302
    assert (
        response["Location"] == reverse("parties:party_detail", args=[party.pk]) + "?tab=contacts"
    )
    assert len(_contacts(org, party)) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mobile", "12345"),
        ("phone", "电话"),
        ("email", "wang@"),
        ("wechat", "微信号"),
        ("name", ""),
        ("name", "名" * 101),
        ("reminder_days_before", "61"),
    ],
)
def test_bad_contact_input_is_a_field_error_and_saves_nothing(
    admin_client, org, party, field, value
):
    response = admin_client.post(
        reverse("parties:contact_create", args=[party.pk]),
        _contact_form(**{field: value}),
        headers=HTMX,
    )

    assert response.status_code == 200
    assert "HX-Retarget" not in response
    assert field in response.context["form"].errors
    assert _contacts(org, party) == []


def test_lunar_birthday_with_leap_month_and_reminder(admin_client, org, party):
    response = admin_client.post(
        reverse("parties:contact_create", args=[party.pk]),
        _contact_form(
            birthday_calendar="lunar",
            birthday="",
            lunar_birth_month="2",
            lunar_birth_day="5",
            lunar_birth_leap="on",
            lunar_birth_year="1988",
            birthday_reminder="on",
            reminder_days_before="7",
        ),
    )

    assert response.status_code == 302
    contact = _contacts(org, party)[0]
    assert (
        contact.birthday_calendar,
        contact.lunar_birth_month,
        contact.lunar_birth_day,
        contact.lunar_birth_leap,
        contact.lunar_birth_year,
        contact.birthday_reminder,
        contact.reminder_days_before,
    ) == ("lunar", 2, 5, True, 1988, True, 7)
    page = admin_client.get(reverse("parties:contact_detail", args=[contact.pk]))
    html = page.content.decode()
    assert "闰二月初五" in html
    assert 'data-testid="contact-reminder"' in html


def test_lunar_birthday_needs_month_and_day(admin_client, org, party):
    response = admin_client.post(
        reverse("parties:contact_create", args=[party.pk]),
        _contact_form(birthday_calendar="lunar", birthday="", lunar_birth_day="5"),
    )

    assert "lunar_birth_month" in response.context["form"].errors
    assert _contacts(org, party) == []


def test_reminder_without_a_birthday_is_refused(admin_client, org, party):
    response = admin_client.post(
        reverse("parties:contact_create", args=[party.pk]),
        _contact_form(birthday="", birthday_reminder="on"),
    )

    assert "birthday_reminder" in response.context["form"].errors


def test_inline_edit_saves_and_returns_the_list(admin_client, org, party):
    contact = make_contact(party, name="王芳", mobile="13912345678")

    response = admin_client.post(
        reverse("parties:contact_edit", args=[contact.pk]),
        _contact_form(name="王芳芳", version="1"),
        headers=HTMX,
    )

    assert response["HX-Retarget"] == "#party-contacts"
    stored = _contacts(org, party)[0]
    assert (stored.name, stored.version) == ("王芳芳", 2)


def test_full_page_edit_returns_to_the_contact_page(admin_client, org, party):
    contact = make_contact(party)

    response = admin_client.post(
        reverse("parties:contact_edit", args=[contact.pk]),
        _contact_form(role="总经理", version="1"),
    )

    assert response["Location"] == reverse("parties:contact_detail", args=[contact.pk])


def test_stale_contact_edit_is_refused(admin_client, org, party):
    contact = make_contact(party, name="原名")
    update_contact(contact=contact, actor=None, data={"name": "别人改的"}, expected_version=1)

    response = admin_client.post(
        reverse("parties:contact_edit", args=[contact.pk]),
        _contact_form(name="我改的", version="1"),
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert _contacts(org, party)[0].name == "别人改的"


def test_delete_moves_the_contact_to_the_recycle_bin(admin_client, org, party):
    contact = make_contact(party)

    response = admin_client.post(reverse("parties:contact_delete", args=[contact.pk]), headers=HTMX)

    assert response["HX-Retarget"] == "#party-contacts"
    assert 'data-testid="no-contacts"' in response.content.decode()
    with scope(org=org.pk):
        assert Contact.all_objects.get(pk=contact.pk).is_deleted is True
    assert admin_client.get(reverse("parties:contact_detail", args=[contact.pk])).status_code == 404


def test_contact_page_shows_everything_and_custom_fields(admin_client, org, party):
    with scope(org=org.pk):
        hobby = save_custom_field(
            org=org,
            actor=None,
            field=None,
            target=CustomField.Target.CONTACT,
            label="爱好",
            field_type="text",
        )
    admin_client.post(
        reverse("parties:contact_create", args=[party.pk]),
        _contact_form(**{f"cf_{hobby.key}": "围棋"}),
    )
    contact = _contacts(org, party)[0]

    html = admin_client.get(reverse("parties:contact_detail", args=[contact.pk])).content.decode()

    for text in (
        "王芳",
        "采购经理",
        "139 1234 5678",
        "wangfang_sh",
        "漕溪北路",
        "周三下午方便",
        "爱好",
        "围棋",
    ):
        assert text in html
    assert reverse("core:attachment_panel", args=["parties.contact", contact.pk]) in html


def test_service_member_may_add_but_not_delete_contacts(org):
    agent = make_member(org, "service", username="agent")
    client = login(Client(), agent)
    own = make_party(org, agent.user, name="客服负责的客户")

    added = client.post(reverse("parties:contact_create", args=[own.pk]), _contact_form())
    contact = _contacts(org, own)[0]
    deleted = client.post(reverse("parties:contact_delete", args=[contact.pk]))

    assert added.status_code == 302
    assert deleted.status_code == 403
    with scope(org=org.pk):
        assert Contact.objects.filter(pk=contact.pk).exists() is True


def test_readonly_member_sees_contacts_without_buttons(org, admin_member, party, readonly_member):
    make_contact(party)
    client = login(Client(), readonly_member)

    html = client.get(reverse("parties:party_contacts_tab", args=[party.pk])).content.decode()

    assert 'data-testid="contact-row"' in html
    assert 'data-testid="contact-add"' not in html
    assert 'data-testid="contact-delete"' not in html
    assert (
        client.post(reverse("parties:contact_create", args=[party.pk]), _contact_form()).status_code
        == 403
    )
    assert len(_contacts(org, party)) == 1
