"""The history tab (A5): who changed what and when, and restoring an earlier version."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from django.utils import translation
from django_scopes import scope

from guanxi.parties.models import Contact, Party
from guanxi.parties.services import set_party_lock, update_contact, update_party
from tests.conftest import login
from tests.factories import make_member
from tests.parties.record_helpers import make_contact, make_party


def _stored(org, pk) -> Party:
    with scope(org=org.pk):
        return Party.objects.get(pk=pk)


def _first_history_id(org, obj) -> int:
    with scope(org=org.pk):
        return obj.history.earliest("history_date").history_id


def test_history_lists_who_changed_what_newest_first(admin_client, org, admin_member):
    party = make_party(org, admin_member.user, name="旧名称", level="normal")
    colleague = make_member(org, "sales", username="zhang")
    update_party(
        party=party,
        actor=admin_member.user,
        data={"name": "新名称", "level": "key", "owner": colleague.user},
        expected_version=1,
    )
    admin_client.cookies["guanxi_language"] = "en"

    response = admin_client.get(reverse("parties:party_history_tab", args=[party.pk]))

    rows = response.context["rows"]
    assert [str(r.title) for r in rows] == ["Changed", "Created"]
    changes = {str(c.label): (c.old, c.new) for c in rows[0].changes}
    assert changes["full name"] == ("旧名称", "新名称")
    with translation.override("en"):
        assert changes["level"] == ("Normal", "Key account")
    assert changes["owner"] == (str(admin_member.user), str(colleague.user))
    assert "search text" not in changes
    assert "version" not in changes
    html = response.content.decode()
    assert html.count('data-testid="history-restore"') == 1  # not on the newest version


def test_restore_brings_back_the_earlier_version(admin_client, org, admin_member):
    party = make_party(org, admin_member.user, name="原始名称", city="上海")
    update_party(party=party, actor=None, data={"name": "被改坏了", "city": ""}, expected_version=1)

    response = admin_client.post(
        reverse("parties:party_history_restore", args=[party.pk, _first_history_id(org, party)]),
        {"version": "2"},
    )

    assert response["Location"] == reverse("parties:party_detail", args=[party.pk]) + "?tab=history"
    stored = _stored(org, party.pk)
    assert (stored.name, stored.city, stored.version) == ("原始名称", "上海", 3)
    assert "yuanshi" in stored.search_text.replace(" ", "")
    with scope(org=org.pk):
        assert stored.history.count() == 3


def test_stale_restore_is_refused_and_changes_nothing(admin_client, org, admin_member):
    party = make_party(org, admin_member.user, name="A")
    update_party(party=party, actor=None, data={"name": "B"}, expected_version=1)

    response = admin_client.post(
        reverse("parties:party_history_restore", args=[party.pk, _first_history_id(org, party)]),
        {"version": "1"},
        follow=True,
    )

    assert len(list(response.context["messages"])) == 1
    stored = _stored(org, party.pk)
    assert (stored.name, stored.version) == ("B", 2)


def test_restore_keeps_the_lock(admin_client, org, admin_member):
    party = make_party(org, admin_member.user, name="A")
    update_party(party=party, actor=None, data={"name": "B"}, expected_version=1)
    set_party_lock(party=party, actor=None, locked=True)

    admin_client.post(
        reverse("parties:party_history_restore", args=[party.pk, _first_history_id(org, party)]),
        {"version": str(_stored(org, party.pk).version)},
    )

    stored = _stored(org, party.pk)
    assert (stored.name, stored.is_locked) == ("A", True)


def test_a_version_of_another_record_is_404(admin_client, org, admin_member):
    party = make_party(org, admin_member.user, name="A")
    other = make_party(org, admin_member.user, name="B")

    response = admin_client.post(
        reverse("parties:party_history_restore", args=[party.pk, _first_history_id(org, other)]),
        {"version": "1"},
    )

    assert response.status_code == 404
    assert _stored(org, party.pk).name == "A"


def test_readonly_member_sees_history_but_may_not_restore(org, admin_member, readonly_member):
    party = make_party(org, admin_member.user, name="A")
    update_party(party=party, actor=None, data={"name": "B"}, expected_version=1)
    client = login(Client(), readonly_member)

    html = client.get(reverse("parties:party_history_tab", args=[party.pk])).content.decode()
    response = client.post(
        reverse("parties:party_history_restore", args=[party.pk, _first_history_id(org, party)]),
        {"version": "2"},
    )

    assert 'data-testid="history-entry"' in html
    assert 'data-testid="history-restore"' not in html
    assert response.status_code == 403
    assert _stored(org, party.pk).name == "B"


def test_contact_history_and_restore(admin_client, org, admin_member):
    party = make_party(org, admin_member.user)
    contact = make_contact(party, name="王芳", mobile="13912345678")
    update_contact(contact=contact, actor=None, data={"mobile": "13800000000"}, expected_version=1)

    tab = admin_client.get(reverse("parties:contact_history_tab", args=[contact.pk]))
    admin_client.post(
        reverse(
            "parties:contact_history_restore", args=[contact.pk, _first_history_id(org, contact)]
        ),
        {"version": "2"},
    )

    assert tab.content.decode().count('data-testid="history-entry"') == 2
    with scope(org=org.pk):
        stored = Contact.objects.get(pk=contact.pk)
    assert (stored.mobile, stored.version, stored.party_id) == ("13912345678", 3, party.pk)
    assert "13912345678" in stored.search_text
