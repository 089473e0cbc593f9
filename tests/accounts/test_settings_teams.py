"""Teams: list, create and edit with a leader, delete to the recycle bin."""

from django.urls import reverse
from django_scopes import scopes_disabled

from guanxi.accounts.models import Team
from tests.accounts.settings_helpers import errors_of, fresh, team_names
from tests.factories import make_member, make_team

LIST = reverse("accounts:team_list")
CREATE = reverse("accounts:team_create")


def test_list_shows_leader_and_active_member_count(admin_client, org, team, sales_member):
    make_member(org, "sales", team=team)
    gone = make_member(org, "sales", team=team)
    with scopes_disabled():
        type(gone).objects.filter(pk=gone.pk).update(is_active=False)
        Team.objects.filter(pk=team.pk).update(leader=sales_member.user)

    response = admin_client.get(LIST)

    rows = {t.name: t for t in response.context["teams"]}
    assert rows["华东销售部"].member_count == 2
    assert rows["华东销售部"].leader == sales_member.user
    assert str(sales_member.user) in response.content.decode()


def test_admin_creates_a_team_led_by_a_member(admin_client, org, sales_member):
    response = admin_client.post(CREATE, {"name": "华北", "leader": sales_member.user.pk})

    assert response.status_code == 302
    with scopes_disabled():
        created = Team.objects.get(org=org, name="华北")
    assert created.leader_id == sales_member.user_id


def test_leader_must_be_a_member_of_this_organisation(admin_client, org, other_org):
    outsider = make_member(other_org, "admin")

    response = admin_client.post(CREATE, {"name": "华北", "leader": outsider.user.pk})

    assert response.status_code == 200
    assert errors_of(response, "leader") != []
    assert team_names(org) == set()


def test_duplicate_or_empty_name_is_a_field_error(admin_client, org, team):
    duplicate = admin_client.post(CREATE, {"name": team.name})
    empty = admin_client.post(CREATE, {"name": "  "})

    assert errors_of(duplicate, "name") != []
    assert errors_of(empty, "name") != []
    assert team_names(org) == {team.name}


def test_admin_renames_a_team(admin_client, team):
    url = reverse("accounts:team_edit", args=[team.pk])

    response = admin_client.post(url, {"name": "华东大区", "leader": "", "version": 1})

    assert response.status_code == 302
    after = fresh(team)
    assert after.name == "华东大区"
    assert after.version == 2


def test_stale_team_edit_is_refused_and_changes_nothing(admin_client, team):
    url = reverse("accounts:team_edit", args=[team.pk])
    assert admin_client.post(url, {"name": "First", "version": 1}).status_code == 302

    response = admin_client.post(url, {"name": "Second", "version": 1})

    assert response.status_code == 200
    assert "Someone else changed this record" in response.content.decode()
    assert fresh(team).name == "First"


def test_team_with_active_members_cannot_be_deleted(admin_client, team, sales_member):
    response = admin_client.post(reverse("accounts:team_delete", args=[team.pk]), follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "Move this team's members to another team first."
    ]
    assert fresh(team).deleted_at is None


def test_deleted_team_goes_to_the_recycle_bin(admin_client, admin_member, org):
    empty = make_team(org, "解散的团队")
    url = reverse("accounts:team_delete", args=[empty.pk])
    assert admin_client.get(url).status_code == 200  # the confirmation

    response = admin_client.post(url)

    assert response.status_code == 302
    after = fresh(empty)
    assert after.deleted_at is not None
    assert after.deleted_by_id == admin_member.user_id
    assert team_names(org) == set()
    # a deleted team has no pages of its own any more
    assert admin_client.get(reverse("accounts:team_edit", args=[empty.pk])).status_code == 404
