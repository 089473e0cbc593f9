"""The recycle bin page (A6): what each member sees, restoring, and its query count."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from guanxi.accounts.models import Team
from tests.accounts.settings_helpers import client_for, fresh
from tests.conftest import login
from tests.factories import make_member, make_team
from tests.testapp.factories import make_widget

URL = reverse("core:recycle_bin")


def _deleted_team(org, name, by=None):
    team = make_team(org, name)
    with scopes_disabled():
        Team.all_objects.filter(pk=team.pk).update(deleted_at=timezone.now(), deleted_by=by)
    return fresh(team)


def _deleted_widget(org, owner, name, by=None):
    return make_widget(org, owner, name=name, deleted_at=timezone.now(), deleted_by=by)


def _restore_url(obj):
    key = f"{obj._meta.app_label}.{obj._meta.model_name}"
    return reverse("core:recycle_bin_restore", args=[key, obj.pk])


def _listed(response):
    return {(item.model_key, item.label) for item in response.context["page"]}


def test_lists_deleted_records_with_who_when_and_purge_date(admin_client, org, admin_member):
    team = _deleted_team(org, "旧团队", by=admin_member.user)
    make_team(org, "活着的团队")  # live records are not in the bin

    response = admin_client.get(URL)

    assert response.status_code == 200
    items = list(response.context["page"])
    assert [(i.model_key, i.label) for i in items] == [("accounts.team", "旧团队")]
    assert items[0].deleted_by == str(admin_member.user)
    assert items[0].purge_on == team.deleted_at + timedelta(days=30)
    assert items[0].type_label == "Team"
    body = response.content.decode()
    assert 'data-testid="restore"' in body


def test_team_deleted_from_settings_is_restored_from_the_bin(admin_client, org):
    team = make_team(org, "临时项目组")
    admin_client.post(reverse("accounts:team_delete", args=[team.pk]))
    assert ("accounts.team", "临时项目组") in _listed(admin_client.get(URL))

    response = admin_client.post(_restore_url(team), follow=True)

    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == ["“临时项目组” has been restored."]
    after = fresh(team)
    assert after.deleted_at is None
    assert after.deleted_by is None
    assert _listed(response) == set()
    assert admin_client.get(reverse("accounts:team_edit", args=[team.pk])).status_code == 200


def test_bin_hides_types_the_member_may_not_view(org, admin_member):
    # given: the service role has no rights on widgets, and view-only on teams
    client, _service = client_for(org, "service")
    _deleted_widget(org, admin_member.user, "秘密小部件")
    _deleted_team(org, "旧团队")

    response = client.get(URL)

    assert _listed(response) == {("accounts.team", "旧团队")}
    assert "秘密小部件" not in response.content.decode()
    # seeing a deleted team does not allow restoring it: that needs the delete right
    assert 'data-testid="restore"' not in response.content.decode()


def test_bin_applies_record_visibility(org, admin_member, sales_member):
    # sales sees only their own widgets ("own" visibility)
    _deleted_widget(org, sales_member.user, "我的")
    _deleted_widget(org, admin_member.user, "老板的")
    client, _ = client_for(org, "admin")  # a second admin sees both
    sales_client = login(Client(), sales_member)

    assert {label for _k, label in _listed(sales_client.get(URL))} == {"我的"}
    assert {label for _k, label in _listed(client.get(URL))} == {"我的", "老板的"}


def test_member_restores_own_widget_but_not_a_hidden_one(org, admin_member, sales_member):
    sales_client = login(Client(), sales_member)
    mine = _deleted_widget(org, sales_member.user, "我的")
    theirs = _deleted_widget(org, admin_member.user, "老板的")

    assert sales_client.post(_restore_url(theirs)).status_code == 404
    assert sales_client.post(_restore_url(mine)).status_code == 302
    assert fresh(mine).deleted_at is None
    assert fresh(theirs).deleted_at is not None


def test_restore_without_delete_right_is_forbidden(org, sales_client):
    team = _deleted_team(org, "旧团队")

    response = sales_client.post(_restore_url(team))

    assert response.status_code == 403
    assert fresh(team).deleted_at is not None


def test_restore_of_another_organisations_record_is_not_found(admin_client, other_org):
    foreign_team = _deleted_team(other_org, "别人的")
    foreign_owner = make_member(other_org, "admin").user
    foreign_widget = _deleted_widget(other_org, foreign_owner, "别人的小部件")

    for obj in (foreign_team, foreign_widget):
        assert admin_client.post(_restore_url(obj)).status_code == 404
        assert fresh(obj).deleted_at is not None
    assert _listed(admin_client.get(URL)) == set()


@pytest.mark.parametrize("key", ["accounts.membership", "nope.nothing", "accounts.role"])
def test_unknown_or_non_recyclable_model_is_not_found(admin_client, admin_member, key):
    url = reverse("core:recycle_bin_restore", args=[key, admin_member.pk])

    assert admin_client.post(url).status_code == 404


def test_live_record_cannot_be_restored(admin_client, team):
    assert admin_client.post(_restore_url(team)).status_code == 404


def test_restore_is_post_only(admin_client, org):
    team = _deleted_team(org, "旧团队")

    assert admin_client.get(_restore_url(team)).status_code == 405
    assert fresh(team).deleted_at is not None


def test_restore_refused_when_a_live_record_took_the_name(admin_client, org):
    old = _deleted_team(org, "华东")
    make_team(org, "华东")

    response = admin_client.post(_restore_url(old), follow=True)

    assert response.status_code == 200
    [message] = [str(m) for m in response.context["messages"]]
    assert "cannot be restored" in message
    assert fresh(old).deleted_at is not None


def test_filter_by_kind_of_record(admin_client, org, admin_member):
    _deleted_team(org, "旧团队")
    _deleted_widget(org, admin_member.user, "旧小部件")

    everything = admin_client.get(URL)
    only_teams = admin_client.get(URL, {"type": "accounts.team"})

    assert _listed(everything) == {("accounts.team", "旧团队"), ("testapp.widget", "旧小部件")}
    assert _listed(only_teams) == {("accounts.team", "旧团队")}


def test_query_count_stays_flat_as_the_bin_fills(org, admin_member, sales_member):
    def count_queries(client):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    admin_client = login(Client(), admin_member)
    sales_client = login(Client(), sales_member)
    for i in range(3):
        _deleted_team(org, f"团队 {i}", by=admin_member.user)
        _deleted_widget(org, sales_member.user, f"小部件 {i}", by=sales_member.user)
    few = (count_queries(admin_client), count_queries(sales_client))
    for i in range(3, 20):
        _deleted_team(org, f"团队 {i}", by=admin_member.user)
        _deleted_widget(org, sales_member.user, f"小部件 {i}", by=sales_member.user)
    many = (count_queries(admin_client), count_queries(sales_client))

    assert few == many


def test_everyone_with_an_organisation_has_the_bin_in_the_menu(sales_client, readonly_member):
    keys = [e.key for e in sales_client.get("/").context["nav_settings"]]

    assert "recycle_bin" in keys
