import pytest
from django_scopes import ScopeError, scope

from guanxi.accounts.models import Role
from tests.testapp.factories import make_widget
from tests.testapp.models import Widget


def test_query_without_organisation_scope_fails_loudly(org):
    with pytest.raises(ScopeError):
        list(Widget.objects.all())
    with pytest.raises(ScopeError):
        Role.objects.count()


def test_scope_shows_only_that_organisation(org, other_org, admin_member):
    make_widget(org, admin_member.user, name="mine")
    make_widget(other_org, admin_member.user, name="theirs")
    with scope(org=org.pk):
        assert list(Widget.objects.values_list("name", flat=True)) == ["mine"]
    with scope(org=other_org.pk):
        assert list(Widget.objects.values_list("name", flat=True)) == ["theirs"]
