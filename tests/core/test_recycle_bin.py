from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from guanxi.core.exceptions import DeletionRefused, NotInRecycleBin
from guanxi.core.recycle_bin import (
    move_to_recycle_bin,
    purge_expired,
    recyclable_models,
    restore_from_recycle_bin,
)
from tests.testapp.factories import make_widget
from tests.testapp.models import Widget


def test_deleted_record_is_hidden_then_restored(org, admin_member):
    widget = make_widget(org, admin_member.user)
    with scope(org=org.pk):
        move_to_recycle_bin(obj=widget, actor=admin_member.user)
        assert Widget.objects.filter(pk=widget.pk).exists() is False
        assert Widget.all_objects.get(pk=widget.pk).deleted_by == admin_member.user

        restore_from_recycle_bin(obj=Widget.all_objects.get(pk=widget.pk), actor=admin_member.user)
        restored = Widget.objects.get(pk=widget.pk)
    assert restored.deleted_at is None
    assert restored.deleted_by is None


def test_locked_record_cannot_be_deleted(org, admin_member):
    widget = make_widget(org, admin_member.user, is_locked=True)
    with scope(org=org.pk):
        with pytest.raises(DeletionRefused, match="locked"):
            move_to_recycle_bin(obj=widget, actor=admin_member.user)
        assert Widget.objects.get(pk=widget.pk).deleted_at is None


def test_restoring_a_live_record_is_refused(org, admin_member):
    widget = make_widget(org, admin_member.user)
    with pytest.raises(NotInRecycleBin):
        restore_from_recycle_bin(obj=widget, actor=admin_member.user)


def test_purge_removes_only_expired_items_in_every_organisation(org, other_org, admin_member):
    now = timezone.now()
    old = make_widget(org, admin_member.user, name="old", deleted_at=now - timedelta(days=31))
    other_old = make_widget(
        other_org, admin_member.user, name="o", deleted_at=now - timedelta(days=40)
    )
    recent = make_widget(org, admin_member.user, name="recent", deleted_at=now - timedelta(days=29))
    live = make_widget(org, admin_member.user, name="live")

    assert purge_expired(now=now) == 2

    with scopes_disabled():
        remaining = set(Widget.all_objects.values_list("pk", flat=True))
    assert remaining == {recent.pk, live.pk}
    assert old.pk not in remaining
    assert other_old.pk not in remaining


def test_registry_lists_soft_delete_models():
    labels = {m._meta.label for m in recyclable_models()}
    assert {"accounts.Team", "testapp.Widget"} <= labels
