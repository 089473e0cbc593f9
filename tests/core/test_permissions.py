import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django_scopes import scope

from guanxi.accounts.models import Role
from guanxi.core.permissions import (
    allowed_actions,
    get_for_action_or_404,
    get_visible_or_404,
    has_perm,
    visible,
)
from tests.factories import make_member, make_team
from tests.testapp.factories import make_widget
from tests.testapp.models import Widget


@pytest.fixture
def people(org):
    east = make_team(org, "East")
    west = make_team(org, "West")
    return {
        "admin": make_member(org, "admin"),
        "manager": make_member(org, "manager"),
        "sales_a": make_member(org, "sales", team=east),
        "sales_b": make_member(org, "sales", team=east),
        "sales_c": make_member(org, "sales", team=west),
        "viewer": make_member(org, "readonly"),
    }


@pytest.fixture
def widgets(org, people):
    return {
        name: make_widget(org, m.user, name=f"of {name}")
        for name, m in people.items()
        if name.startswith("sales")
    }


def visible_names(member):
    with scope(org=member.org_id):
        return sorted(
            visible(Widget.objects.all(), member, "widget").values_list("name", flat=True)
        )


def test_own_visibility_shows_only_own_records(people, widgets):
    assert visible_names(people["sales_a"]) == ["of sales_a"]


def test_team_visibility_shows_the_team(people, widgets, org):
    with scope(org=org.pk):
        Role.objects.filter(code="sales").update(visibility="team")
    people["sales_a"].role.refresh_from_db()
    assert visible_names(people["sales_a"]) == ["of sales_a", "of sales_b"]


def test_organisation_visibility_and_admin_see_everything(people, widgets):
    everything = ["of sales_a", "of sales_b", "of sales_c"]
    assert visible_names(people["admin"]) == everything
    assert visible_names(people["viewer"]) == everything


def test_no_view_permission_means_no_rows(people, widgets):
    # the manager role has no default actions on the test object type
    assert has_perm(people["manager"], "view", "widget") is False
    assert visible_names(people["manager"]) == []


def test_explicit_role_permissions_override_defaults(people, org):
    role = people["viewer"].role
    assert allowed_actions(people["viewer"], "widget") == frozenset({"view"})
    role.permissions = {"widget": ["view", "export", "bogus"]}
    assert allowed_actions(people["viewer"], "widget") == frozenset({"view", "export"})


def test_hidden_record_is_404_not_403(people, widgets):
    other = widgets["sales_c"]
    with scope(org=other.org_id), pytest.raises(Http404):
        get_visible_or_404(Widget.objects.all(), people["sales_a"], "widget", pk=other.pk)


def test_visible_but_forbidden_action_is_403(people, widgets):
    target = widgets["sales_a"]
    with scope(org=target.org_id), pytest.raises(PermissionDenied):
        get_for_action_or_404(
            Widget.objects.all(), people["viewer"], "widget", "delete", pk=target.pk
        )


def test_other_organisation_record_is_404_even_for_admin(people, other_org):
    foreign_admin = make_member(other_org, "admin")
    foreign = make_widget(other_org, foreign_admin.user)
    admin = people["admin"]
    with scope(org=admin.org_id), pytest.raises(Http404):
        get_visible_or_404(Widget.objects.all(), admin, "widget", pk=foreign.pk)


def test_inactive_membership_has_no_rights(people):
    member = people["sales_a"]
    member.is_active = False
    assert has_perm(member, "view", "widget") is False
