"""Groups (static lists) and segments (saved filters) of parties (B18)."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django_scopes import scope

from guanxi.core.exceptions import StaleEdit
from guanxi.parties import group_services
from guanxi.parties.group_services import InvalidGroup
from guanxi.parties.models import PartyGroup, PartyGroupMember, Segment
from tests.conftest import login
from tests.parties.list_helpers import make_party


def member_names(group, membership):
    with scope(org=group.org_id):
        return sorted(
            group_services.group_parties(group, membership).values_list("short_name", flat=True)
        )


@pytest.fixture
def group(org, admin_member):
    return group_services.create_group(
        org=org, actor=admin_member.user, name="2026 展会", description="Trade fair"
    )


# --- group services --------------------------------------------------------------------


def test_add_and_remove_members(org, admin_member, group):
    a = make_party(org, admin_member.user, name="A")
    b = make_party(org, admin_member.user, name="B")

    assert group_services.add_to_group(group=group, parties=[a, b, a], actor=None) == 2
    assert group_services.add_to_group(group=group, parties=[a], actor=None) == 0
    assert member_names(group, admin_member) == ["A", "B"]

    assert group_services.remove_from_group(group=group, parties=[a], actor=None) == 1
    assert member_names(group, admin_member) == ["B"]


def test_another_organisations_party_cannot_join(org, other_org, group):
    theirs = make_party(other_org, None, name="Theirs")

    with pytest.raises(InvalidGroup):
        group_services.add_to_group(group=group, parties=[theirs], actor=None)

    with scope(org=org.pk):
        assert PartyGroupMember.objects.exists() is False


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "2026 展会"])
def test_group_names_are_required_short_and_unique(org, group, name):
    with pytest.raises(InvalidGroup) as excinfo:
        group_services.create_group(org=org, actor=None, name=name)

    assert excinfo.value.field == "name"
    with scope(org=org.pk):
        assert PartyGroup.objects.count() == 1


def test_the_same_name_is_fine_in_another_organisation(other_org, group):
    theirs = group_services.create_group(org=other_org, actor=None, name=group.name)

    assert theirs.pk != group.pk


def test_stale_group_edit_is_refused(group):
    group_services.update_group(
        group=group, actor=None, name="New", description="", expected_version=1
    )

    with pytest.raises(StaleEdit):
        group_services.update_group(
            group=group, actor=None, name="Newer", description="", expected_version=1
        )
    with scope(org=group.org_id):
        assert PartyGroup.objects.get(pk=group.pk).name == "New"


def test_deleting_a_group_keeps_its_parties(org, admin_member, group):
    party = make_party(org, admin_member.user, name="Kept")
    group_services.add_to_group(group=group, parties=[party], actor=None)

    group_services.delete_group(group=group, actor=None)

    with scope(org=org.pk):
        assert PartyGroup.objects.exists() is False
        assert PartyGroupMember.objects.exists() is False
        assert party.__class__.objects.filter(pk=party.pk).exists() is True


def test_group_members_respect_visibility(org, admin_member, sales_member, group):
    make_party(org, sales_member.user, name="Rep's")
    boss = make_party(org, admin_member.user, name="Boss's")
    with scope(org=org.pk):
        rep_party = boss.__class__.objects.get(short_name="Rep's")
    group_services.add_to_group(group=group, parties=[rep_party, boss], actor=None)

    assert member_names(group, admin_member) == ["Boss's", "Rep's"]
    assert member_names(group, sales_member) == ["Rep's"]


# --- group pages -----------------------------------------------------------------------


def test_create_group_page(admin_client, org):
    response = admin_client.post(
        reverse("parties:group_list"), {"name": "VIP 客户", "description": ""}
    )

    with scope(org=org.pk):
        group = PartyGroup.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("parties:group_detail", args=[group.pk])
    assert group.name == "VIP 客户"


def test_create_group_page_shows_field_errors(admin_client, org, group):
    response = admin_client.post(reverse("parties:group_list"), {"name": group.name})

    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    with scope(org=org.pk):
        assert PartyGroup.objects.count() == 1


def test_group_page_lists_members_and_adds_and_removes(admin_client, org, admin_member, group):
    a = make_party(org, admin_member.user, name="Alpha")
    b = make_party(org, admin_member.user, name="Bravo")
    add = reverse("parties:group_members_add", args=[group.pk])
    remove = reverse("parties:group_members_remove", args=[group.pk])

    admin_client.post(add, {"ids": [a.pk, b.pk]})
    page = admin_client.get(reverse("parties:group_detail", args=[group.pk]))
    assert [r.short_name for r in page.context["rows"]] == ["Alpha", "Bravo"]

    admin_client.post(remove, {"ids": [a.pk]})
    page = admin_client.get(reverse("parties:group_detail", args=[group.pk]))
    assert [r.short_name for r in page.context["rows"]] == ["Bravo"]


def test_group_candidates_search(admin_client, org, admin_member, group):
    make_party(org, admin_member.user, name="东方明珠")
    make_party(org, admin_member.user, name="西湖龙井")

    response = admin_client.get(
        reverse("parties:group_candidates", args=[group.pk]), {"q": "dfmz"}, HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert "东方明珠" in html
    assert "西湖龙井" not in html


def test_bulk_action_adds_to_group_from_the_list(admin_client, org, admin_member, group):
    a = make_party(org, admin_member.user, name="Alpha")

    admin_client.post(
        reverse("parties:party_bulk"), {"action": "add_to_group", "ids": a.pk, "group": group.pk}
    )

    assert member_names(group, admin_member) == ["Alpha"]


def test_bulk_action_removes_from_group_from_the_list(admin_client, org, admin_member, group):
    a = make_party(org, admin_member.user, name="Alpha")
    b = make_party(org, admin_member.user, name="Bravo")
    group_services.add_to_group(group=group, parties=[a, b], actor=None)

    admin_client.post(
        reverse("parties:party_bulk"),
        {"action": "remove_from_group", "ids": a.pk, "group": group.pk},
    )

    assert member_names(group, admin_member) == ["Bravo"]


def test_edit_and_delete_group_pages(admin_client, org, group):
    admin_client.post(
        reverse("parties:group_edit", args=[group.pk]),
        {"name": "Renamed", "description": "d", "version": group.version},
    )
    stale = admin_client.post(
        reverse("parties:group_edit", args=[group.pk]),
        {"name": "Again", "description": "d", "version": group.version},
    )
    with scope(org=org.pk):
        assert PartyGroup.objects.get(pk=group.pk).name == "Renamed"
    assert any("changed" in str(m) or "他人" in str(m) for m in get_messages(stale.wsgi_request))

    admin_client.post(reverse("parties:group_delete", args=[group.pk]))
    with scope(org=org.pk):
        assert PartyGroup.objects.exists() is False


@pytest.mark.parametrize(
    ("method", "url_name"),
    [
        ("get", "group_detail"),
        ("post", "group_edit"),
        ("post", "group_delete"),
        ("post", "group_members_add"),
        ("post", "group_members_remove"),
        ("get", "group_candidates"),
    ],
)
def test_another_organisations_group_is_404(admin_client, other_org, method, url_name):
    theirs = group_services.create_group(org=other_org, actor=None, name="Theirs")

    response = getattr(admin_client, method)(
        reverse(f"parties:{url_name}", args=[theirs.pk]), {"name": "x", "ids": "1", "q": "x"}
    )

    assert response.status_code == 404
    with scope(org=other_org.pk):
        assert PartyGroup.objects.get(pk=theirs.pk).name == "Theirs"


def test_adding_another_organisations_party_to_a_group_is_404(admin_client, other_org, group):
    theirs = make_party(other_org, None, name="Theirs")

    response = admin_client.post(
        reverse("parties:group_members_add", args=[group.pk]), {"ids": theirs.pk}
    )

    assert response.status_code == 404
    with scope(org=group.org_id):
        assert PartyGroupMember.objects.exists() is False


def test_readonly_member_sees_groups_but_cannot_change_them(org, readonly_member, group):
    client = login(Client(), readonly_member)

    assert client.get(reverse("parties:group_detail", args=[group.pk])).status_code == 200
    assert client.post(reverse("parties:group_delete", args=[group.pk])).status_code == 403
    with scope(org=org.pk):
        assert PartyGroup.objects.count() == 1


# --- segments --------------------------------------------------------------------------


def test_save_current_filter_as_segment_and_see_live_members(admin_client, org, admin_member):
    make_party(org, admin_member.user, name="Key One", level="key")
    make_party(org, admin_member.user, name="Plain", level="normal")

    response = admin_client.post(
        reverse("parties:segment_save"),
        {"name": "Key accounts", "filters": "level=key&sort=-name&cursor=x&q=", "is_shared": "on"},
    )

    with scope(org=org.pk):
        segment = Segment.objects.get()
    assert response["Location"] == reverse("parties:segment_detail", args=[segment.pk])
    assert segment.filters == {"level": "key"}
    assert segment.is_shared is True
    page = admin_client.get(response["Location"])
    assert [r.short_name for r in page.context["rows"]] == ["Key One"]

    # Live: a new key account appears without touching the segment.
    make_party(org, admin_member.user, name="Key Two", level="key")
    page = admin_client.get(response["Location"])
    assert [r.short_name for r in page.context["rows"]] == ["Key One", "Key Two"]
    assert page.context["list_url"] == "/customers/?level=key"


def test_supplier_segment_keeps_its_role(admin_member, org):
    make_party(org, None, name="Steel", is_customer=False, is_supplier=True, level="key")
    make_party(org, None, name="Buyer", level="key")
    segment = group_services.create_segment(
        org=org,
        actor=admin_member.user,
        name="Key suppliers",
        filters={"level": "key", "role": "supplier"},
    )

    with scope(org=org.pk):
        members = group_services.segment_parties(segment, admin_member)
        assert list(members.values_list("short_name", flat=True)) == ["Steel"]


def test_segment_members_respect_visibility(org, admin_member, sales_member):
    make_party(org, sales_member.user, name="Rep's", level="key")
    make_party(org, admin_member.user, name="Boss's", level="key")
    segment = group_services.create_segment(
        org=org, actor=admin_member.user, name="Keys", filters={"level": "key"}, is_shared=True
    )

    with scope(org=org.pk):
        assert group_services.segment_parties(segment, sales_member).count() == 1


def test_private_segments_are_their_owners(org, admin_member, sales_member):
    private = group_services.create_segment(
        org=org, actor=admin_member.user, name="Mine", filters={}
    )
    shared = group_services.create_segment(
        org=org, actor=admin_member.user, name="Ours", filters={}, is_shared=True
    )
    client = login(Client(), sales_member)

    assert client.get(reverse("parties:segment_detail", args=[private.pk])).status_code == 404
    assert client.get(reverse("parties:segment_detail", args=[shared.pk])).status_code == 200
    assert [s.name for s in client.get(reverse("parties:segment_list")).context["segments"]] == [
        "Ours"
    ]
    # Shared is not editable by others.
    response = client.post(reverse("parties:segment_delete", args=[shared.pk]))
    assert response.status_code == 403
    with scope(org=org.pk):
        assert Segment.objects.count() == 2


def test_edit_and_delete_segment(admin_client, org, admin_member):
    segment = group_services.create_segment(
        org=org, actor=admin_member.user, name="Old", filters={"level": "key"}
    )

    admin_client.post(
        reverse("parties:segment_edit", args=[segment.pk]),
        {"name": "New", "description": "", "is_shared": "on", "version": segment.version},
    )
    with scope(org=org.pk):
        segment.refresh_from_db()
    assert (segment.name, segment.is_shared, segment.filters) == ("New", True, {"level": "key"})

    admin_client.post(reverse("parties:segment_delete", args=[segment.pk]))
    with scope(org=org.pk):
        assert Segment.objects.exists() is False


def test_segment_with_an_empty_name_is_refused(admin_client, org):
    response = admin_client.post(reverse("parties:segment_save"), {"name": "", "filters": ""})

    assert response.status_code == 302
    with scope(org=org.pk):
        assert Segment.objects.exists() is False


def test_another_organisations_segment_is_404(admin_client, other_org):
    theirs = group_services.create_segment(org=other_org, actor=None, name="T", filters={})

    for url_name, method in (
        ("segment_detail", "get"),
        ("segment_edit", "post"),
        ("segment_delete", "post"),
    ):
        response = getattr(admin_client, method)(reverse(f"parties:{url_name}", args=[theirs.pk]))
        assert response.status_code == 404
    with scope(org=other_org.pk):
        assert Segment.objects.filter(pk=theirs.pk).exists() is True


def test_segment_filters_drop_unknown_keys_and_roles(org):
    segment = group_services.create_segment(
        org=org,
        actor=None,
        name="S",
        filters={"level": "key", "role": "enemy", "evil": "1", "cf_size": "3", "sort": "name"},
    )

    assert segment.filters == {"level": "key", "cf_size": "3"}
