"""Rows for the custom-field, edit-scheme and tag tests, made through the services."""

from __future__ import annotations

from django_scopes import scopes_disabled

from guanxi.core.custom_fields import save_custom_field, save_layout
from guanxi.core.models import CustomField, FieldLayout, Organisation, Tag
from guanxi.core.tags import save_tag


def make_field(
    org: Organisation, label: str, field_type: str = "text", *, target: str = "party", **kwargs
) -> CustomField:
    if field_type in ("choice", "multichoice"):
        kwargs.setdefault("choices", ["A", "B"])
    return save_custom_field(
        org=org,
        actor=None,
        field=None,
        target=target,
        label=label,
        field_type=field_type,
        **kwargs,
    )


def make_layout(
    org: Organisation,
    name: str,
    groups: list[dict] | None = None,
    *,
    target: str = "party",
    is_default: bool = False,
) -> FieldLayout:
    return save_layout(
        org=org,
        actor=None,
        layout=None,
        target=target,
        name=name,
        groups=groups or [],
        is_default=is_default,
    )


def make_tag(org: Organisation, name: str, color: str = "blue") -> Tag:
    return save_tag(org=org, actor=None, tag=None, name=name, color=color)


def fresh(obj):
    with scopes_disabled():
        return type(obj)._base_manager.get(pk=obj.pk)


def exists(obj) -> bool:
    with scopes_disabled():
        return type(obj)._base_manager.filter(pk=obj.pk).exists()


def fields_of(org: Organisation, target: str = "party") -> list[tuple[str, int, bool]]:
    """(key, position, active) of every field of `target`, in form order."""
    with scopes_disabled():
        return list(
            CustomField.objects.filter(org=org, target=target)
            .order_by("position", "id")
            .values_list("key", "position", "is_active")
        )


def layouts_of(org: Organisation, target: str = "party") -> list[tuple[str, bool, list]]:
    with scopes_disabled():
        return list(
            FieldLayout.objects.filter(org=org, target=target)
            .order_by("name")
            .values_list("name", "is_default", "groups")
        )


def tag_names(org: Organisation) -> list[str]:
    with scopes_disabled():
        return list(Tag.objects.filter(org=org).order_by("name").values_list("name", flat=True))
