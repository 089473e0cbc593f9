from datetime import date

import pytest
from django_scopes import scope

from guanxi.core.custom_fields import (
    InvalidCustomField,
    clean_values,
    layout_groups,
    save_custom_field,
    save_layout,
)
from guanxi.core.models import CustomField


def make(org, label, field_type, **kw):
    return save_custom_field(
        org=org, actor=None, field=None, target="party", label=label, field_type=field_type, **kw
    )


def test_values_are_validated_and_stored_as_json(org):
    fields = [
        make(org, "Employees", "number", key="employees"),
        make(org, "Founded", "date", key="founded"),
        make(org, "Tier", "choice", choices=["Gold", "Silver"], key="tier"),
        make(org, "Channels", "multichoice", choices=["WeChat", "Phone", "Mail"], key="channels"),
        make(org, "VAT payer", "boolean", key="vat"),
        make(org, "Note", "text", key="note", required=True),
    ]
    values, errors = clean_values(
        fields,
        {
            "employees": "120",
            "founded": "2001-05-04",
            "tier": "Gold",
            "channels": "WeChat;Phone",
            "vat": "是",
            "note": "ok",
        },
    )
    assert errors == {}
    assert values == {
        "employees": "120",
        "founded": "2001-05-04",
        "tier": "Gold",
        "channels": ["WeChat", "Phone"],
        "vat": True,
        "note": "ok",
    }
    assert date.fromisoformat(values["founded"]) == date(2001, 5, 4)


def test_bad_values_get_field_errors(org):
    fields = [
        make(org, "Employees", "number", key="employees"),
        make(org, "Tier", "choice", choices=["Gold"], key="tier"),
        make(org, "Note", "text", key="note", required=True),
    ]
    _values, errors = clean_values(fields, {"employees": "many", "tier": "Bronze", "typo": "x"})
    assert set(errors) == {"employees", "tier", "note", "typo"}


def test_choice_field_needs_choices_and_keys_are_unique(org):
    with pytest.raises(InvalidCustomField):
        make(org, "Tier", "choice", choices=[])
    first = make(org, "Tier", "text")
    second = make(org, "Tier", "text")
    assert (first.key, second.key) == ("tier", "tier_2")


def test_layout_groups_place_fields_and_keep_the_rest_visible(org):
    a = make(org, "Alpha", "text", key="alpha")
    b = make(org, "Beta", "text", key="beta")
    make(org, "Gamma", "text", key="gamma")
    save_layout(
        org=org,
        actor=None,
        layout=None,
        target="party",
        name="标准方案",
        groups=[{"title": "Profile", "fields": ["beta", "alpha", "nope"]}],
        is_default=True,
    )
    groups = layout_groups(org, "party")
    assert [(g.title, [f.key for f in g.fields]) for g in groups] == [
        ("Profile", ["beta", "alpha"]),
        ("Other fields", ["gamma"]),
    ]
    assert {a.key, b.key} == {"alpha", "beta"}


def test_only_one_default_layout(org):
    save_layout(
        org=org, actor=None, layout=None, target="party", name="A", groups=[], is_default=True
    )
    save_layout(
        org=org, actor=None, layout=None, target="party", name="B", groups=[], is_default=True
    )
    with scope(org=org.pk):
        from guanxi.core.models import FieldLayout

        assert list(FieldLayout.objects.filter(is_default=True).values_list("name", flat=True)) == [
            "B"
        ]
        assert CustomField.objects.count() == 0
