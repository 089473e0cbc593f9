import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope

from guanxi.core.exceptions import DeletionRefused, StaleEdit
from guanxi.parties.models import Contact, Party
from guanxi.parties.services import (
    create_contact,
    create_party,
    delete_party,
    set_party_lock,
    update_party,
)


def test_create_party_fills_short_name_index_letter_and_search_text(org, admin_member):
    party = create_party(
        org=org,
        actor=admin_member.user,
        data={"name": "上海单氏贸易有限公司", "mobile": "138 0013 8000"},
    )
    assert party.short_name == "上海单氏贸易有限公司"
    assert party.index_letter == "S"
    assert "shanghai" in party.search_text
    assert "13800138000" in party.search_text
    assert party.owner == admin_member.user


def test_person_short_name_uses_surname_reading(org, admin_member):
    party = create_party(
        org=org, actor=admin_member.user, data={"name": "单雄信", "kind": "person"}
    )
    assert party.index_letter == "S"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mobile", "12345"),
        ("phone", "abc"),
        ("email", "not-an-email"),
        ("wechat", "a!"),
        ("name", ""),
        ("name", "x" * 201),
    ],
)
def test_bad_input_gets_a_field_error_and_saves_nothing(org, admin_member, field, value):
    data = {"name": "Acme", field: value}
    with pytest.raises(ValidationError) as excinfo:
        create_party(org=org, actor=admin_member.user, data=data)
    assert field in excinfo.value.message_dict
    with scope(org=org.pk):
        assert Party.objects.count() == 0


def test_credit_customer_needs_a_limit(org, admin_member):
    with pytest.raises(ValidationError) as excinfo:
        create_party(
            org=org, actor=admin_member.user, data={"name": "Acme", "settlement_type": "credit"}
        )
    assert "credit_limit" in excinfo.value.message_dict


def test_stale_update_refused(org, admin_member):
    party = create_party(org=org, actor=admin_member.user, data={"name": "A"})
    update_party(party=party, actor=None, data={"name": "B"}, expected_version=1)
    with pytest.raises(StaleEdit):
        update_party(party=party, actor=None, data={"name": "C"}, expected_version=1)
    with scope(org=org.pk):
        assert Party.objects.get(pk=party.pk).name == "B"


def test_locked_party_cannot_be_deleted(org, admin_member):
    party = create_party(org=org, actor=admin_member.user, data={"name": "Locked Co"})
    set_party_lock(party=party, actor=None, locked=True)
    with pytest.raises(DeletionRefused, match="locked"):
        delete_party(party=party, actor=admin_member.user)
    with scope(org=org.pk):
        assert Party.objects.filter(pk=party.pk).exists() is True


def test_contact_names_and_phones_find_the_party(org, admin_member):
    party = create_party(org=org, actor=admin_member.user, data={"name": "Acme"})
    create_contact(party=party, actor=None, data={"name": "曾小贤", "mobile": "13912345678"})
    with scope(org=org.pk):
        text = Party.objects.get(pk=party.pk).search_text
        assert Contact.objects.get().search_text.startswith("曾小贤")
    assert "zengxiaoxian" in text
    assert "13912345678" in text


def test_lunar_birthday_needs_month_and_day(org, admin_member):
    party = create_party(org=org, actor=admin_member.user, data={"name": "Acme"})
    with pytest.raises(ValidationError) as excinfo:
        create_contact(
            party=party,
            actor=None,
            data={
                "name": "王",
                "birthday_calendar": "lunar",
                "lunar_birth_month": 13,
                "lunar_birth_day": 1,
            },
        )
    assert "lunar_birth_day" in excinfo.value.message_dict
