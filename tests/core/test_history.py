import pytest
from django_scopes import scope

from guanxi.core.exceptions import StaleEdit
from guanxi.core.history import history_entries, restore_version
from guanxi.core.versioning import save_versioned
from tests.testapp.factories import make_widget
from tests.testapp.models import Widget


def test_history_lists_changes_newest_first(org, admin_member):
    widget = make_widget(org, admin_member.user, name="v1")
    with scope(org=org.pk):
        widget.name = "v2"
        save_versioned(widget, expected_version=1)
        entries = history_entries(widget)
    assert [e.record.name for e in entries] == ["v2", "v1"]
    assert [(c.field, c.old, c.new) for c in entries[0].changes] == [("name", "v1", "v2")]
    assert entries[1].changes == []


def test_restore_brings_back_an_earlier_version_as_a_new_version(org, admin_member):
    widget = make_widget(org, admin_member.user, name="original")
    with scope(org=org.pk):
        first = widget.history.earliest("history_date")
        widget.name = "vandalised"
        save_versioned(widget, expected_version=1)

        restore_version(
            obj=widget, history_id=first.history_id, actor=admin_member.user, expected_version=2
        )

        stored = Widget.objects.get(pk=widget.pk)
        assert (stored.name, stored.version) == ("original", 3)
        assert widget.history.count() == 3


def test_restore_from_a_stale_page_is_refused(org, admin_member):
    widget = make_widget(org, admin_member.user, name="a")
    with scope(org=org.pk):
        first = widget.history.earliest("history_date")
        widget.name = "b"
        save_versioned(widget, expected_version=1)
        with pytest.raises(StaleEdit):
            restore_version(obj=widget, history_id=first.history_id, actor=None, expected_version=1)
        assert Widget.objects.get(pk=widget.pk).name == "b"
