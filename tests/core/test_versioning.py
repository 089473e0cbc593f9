import pytest
from django_scopes import scope

from guanxi.core.exceptions import StaleEdit
from guanxi.core.versioning import save_versioned
from tests.testapp.factories import make_widget
from tests.testapp.models import Widget


def test_save_with_current_version_bumps_it(org, admin_member):
    widget = make_widget(org, admin_member.user, name="Old")
    with scope(org=org.pk):
        widget.name = "New"
        save_versioned(widget, expected_version=1)
        stored = Widget.objects.get(pk=widget.pk)
    assert (stored.name, stored.version) == ("New", 2)


def test_stale_edit_is_refused_and_changes_nothing(org, admin_member):
    # given: two people open the same record at version 1
    widget = make_widget(org, admin_member.user, name="Original")
    with scope(org=org.pk):
        first = Widget.objects.get(pk=widget.pk)
        second = Widget.objects.get(pk=widget.pk)
        first.name = "First wins"
        save_versioned(first, expected_version=1)

        # when: the second saves from the version they started with
        second.name = "Second loses"
        with pytest.raises(StaleEdit) as excinfo:
            save_versioned(second, expected_version=1)

        stored = Widget.objects.get(pk=widget.pk)
    # then
    assert excinfo.value.status_code == 409
    assert (stored.name, stored.version) == ("First wins", 2)


def test_history_records_each_versioned_save(org, admin_member):
    widget = make_widget(org, admin_member.user, name="v1")
    with scope(org=org.pk):
        widget.name = "v2"
        save_versioned(widget, expected_version=1)
        assert [h.name for h in widget.history.order_by("history_date")] == ["v1", "v2"]
