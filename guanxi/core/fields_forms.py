"""Forms of the custom-field pages: definitions, edit schemes (with their editor) and tags."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from guanxi.core.custom_fields import (
    CHOICE_TYPES,
    GROUP_TITLE_MAX_LENGTH,
    HELP_TEXT_MAX_LENGTH,
    KEY_MAX_LENGTH,
    LABEL_MAX_LENGTH,
    LAYOUT_NAME_MAX_LENGTH,
    MAX_GROUPS,
    LayoutGroup,
    arrange_groups,
    clean_layout_groups,
    form_field,
)
from guanxi.core.models import CustomField, FieldLayout
from guanxi.core.tags import NAME_MAX_LENGTH as TAG_NAME_MAX_LENGTH
from guanxi.core.tags import TAG_COLOURS
from guanxi.web.forms import StyledFormMixin, style_widgets

# --- custom field definitions ----------------------------------------------------------


class CustomFieldForm(StyledFormMixin, forms.Form):
    """Add or change a custom field. An existing field's key and type are not offered:
    stored values and imports depend on them."""

    label = forms.CharField(label=_("Label"), max_length=LABEL_MAX_LENGTH)
    key = forms.CharField(
        label=_("Key"),
        max_length=KEY_MAX_LENGTH,
        required=False,
        help_text=_(
            "The name imports, exports and the API use. Lower-case letters, digits and "
            "underscores; leave it empty to make one from the label. It cannot change later."
        ),
    )
    field_type = forms.ChoiceField(label=_("Type"), choices=CustomField.FieldType.choices)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One choice per line; used by the choice and multiple-choice types."),
    )
    required = forms.BooleanField(label=_("Required"), required=False)
    help_text = forms.CharField(
        label=_("Help text"),
        max_length=HELP_TEXT_MAX_LENGTH,
        required=False,
        help_text=_("Shown under the field on the form."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, instance: CustomField | None = None, **kwargs: Any) -> None:
        self.instance = instance
        if instance is not None and "data" not in kwargs and not args:
            kwargs["initial"] = {
                "label": instance.label,
                "choices": "\n".join(instance.choices or []),
                "required": instance.required,
                "help_text": instance.help_text,
                "version": instance.version,
            }
        super().__init__(*args, **kwargs)
        if instance is not None:
            del self.fields["key"]
            del self.fields["field_type"]
            if instance.field_type not in CHOICE_TYPES:
                del self.fields["choices"]

    @property
    def field_type_value(self) -> str:
        if self.instance is not None:
            return self.instance.field_type
        return str(self.cleaned_data.get("field_type", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "choices" in self.fields:
            lines = [line.strip() for line in str(data.get("choices") or "").splitlines()]
            data["choices"] = [line for line in lines if line]
            field_type = self.field_type_value
            if field_type in CHOICE_TYPES and not data["choices"]:
                self.add_error("choices", gettext("List at least one choice."))
        else:
            data["choices"] = []
        return data


# --- tags ------------------------------------------------------------------------------


class TagForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=TAG_NAME_MAX_LENGTH)
    color = forms.ChoiceField(label=_("Colour"), choices=TAG_COLOURS, initial="blue")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


# --- edit schemes ----------------------------------------------------------------------


class LayoutForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=LAYOUT_NAME_MAX_LENGTH)
    is_default = forms.BooleanField(
        label=_("Default scheme"),
        required=False,
        help_text=_("The add and edit forms arrange custom fields by the default scheme."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    @classmethod
    def unbound_from(cls, data: QueryDict) -> LayoutForm:
        """Keep what the user typed without showing errors (while they are still editing)."""
        return cls(
            initial={
                "name": data.get("name", ""),
                "is_default": data.get("is_default") in ("on", "true", "1"),
                "version": data.get("version"),
            }
        )


UNASSIGNED = "u"


@dataclass
class EditorGroup:
    index: int
    title: str
    fields: list[CustomField]

    @property
    def place(self) -> str:
        return f"g{self.index}"


@dataclass
class LayoutEditor:
    """The groups of an edit scheme while an administrator arranges them.

    The state travels with the form, as JSON in the hidden `structure` input, so each
    button (add a group, move a field up …) works without JavaScript: the server applies
    it and shows the result, and nothing is stored until "Save". With JavaScript, drag
    and drop keeps `structure` up to date in the browser and the same buttons still work.
    """

    fields: list[CustomField]
    groups: list[dict[str, Any]]
    errors: list[str] = field(default_factory=list)
    changed: bool = False

    @classmethod
    def for_layout(cls, layout: FieldLayout | None, fields: list[CustomField]) -> LayoutEditor:
        stored = layout.groups if layout is not None else []
        return cls(fields=fields, groups=_normalise(stored, [f.key for f in fields]))

    @classmethod
    def from_post(
        cls, data: QueryDict, layout: FieldLayout | None, fields: list[CustomField]
    ) -> LayoutEditor:
        """Rebuild the editor from a submitted form: the structure, then the titles and
        the "move to" selects typed without JavaScript, then the pressed button."""
        keys = [f.key for f in fields]
        editor = cls.for_layout(layout, fields)
        raw = data.get("structure")
        if raw is not None:
            try:
                parsed = json.loads(raw)
            except ValueError:
                editor.errors.append(
                    gettext("The arrangement could not be read; the saved one is shown.")
                )
            else:
                if isinstance(parsed, list):
                    editor.groups = _normalise(parsed, keys)
        for index, group in enumerate(editor.groups):
            title = data.get(f"title-{index}")
            if title is not None:
                group["title"] = title.strip()[:GROUP_TITLE_MAX_LENGTH]
        for key in keys:
            place = data.get(f"place-{key}")
            if place is not None and place != editor.place_of(key):
                editor.move_to(key, place)
        editor.apply(str(data.get("op") or ""), data)
        editor.changed = clean_layout_groups(editor.groups, keys) != clean_layout_groups(
            layout.groups if layout is not None else [], keys
        )
        return editor

    # --- reading ---------------------------------------------------------------------

    @property
    def by_key(self) -> dict[str, CustomField]:
        return {f.key: f for f in self.fields}

    def place_of(self, key: str) -> str:
        for index, group in enumerate(self.groups):
            if key in group["fields"]:
                return f"g{index}"
        return UNASSIGNED

    def editor_groups(self) -> list[EditorGroup]:
        by_key = self.by_key
        return [
            EditorGroup(
                index=index,
                title=group["title"],
                fields=[by_key[k] for k in group["fields"] if k in by_key],
            )
            for index, group in enumerate(self.groups)
        ]

    def unassigned(self) -> list[CustomField]:
        placed = {k for group in self.groups for k in group["fields"]}
        return [f for f in self.fields if f.key not in placed]

    def place_choices(self) -> list[tuple[str, str]]:
        choices = [
            (f"g{index}", group["title"] or gettext("Group %(n)s") % {"n": index + 1})
            for index, group in enumerate(self.groups)
        ]
        return [*choices, (UNASSIGNED, gettext("Unassigned fields"))]

    def as_json(self) -> str:
        return json.dumps(self.groups, ensure_ascii=False)

    def to_store(self) -> list[dict[str, Any]]:
        return [dict(g) for g in self.groups]

    def preview(self) -> list[LayoutGroup]:
        """The groups as the add and edit forms will show them (active fields only)."""
        return arrange_groups(self.groups, [f for f in self.fields if f.is_active])

    # --- changing ----------------------------------------------------------------------

    def _remove(self, key: str) -> None:
        for group in self.groups:
            if key in group["fields"]:
                group["fields"].remove(key)

    def move_to(self, key: str, place: str) -> None:
        """Move the field `key` to the end of group `gN`, or out of every group."""
        if key not in self.by_key:
            return
        if place == UNASSIGNED:
            self._remove(key)
            return
        index = _index(place.removeprefix("g"), len(self.groups))
        if index is None:
            return
        self._remove(key)
        self.groups[index]["fields"].append(key)

    def apply(self, op: str, data: QueryDict) -> None:
        name, _sep, arg = op.partition(":")
        if name == "add-group":
            if len(self.groups) >= MAX_GROUPS:
                self.errors.append(
                    gettext("A layout has at most %(max)s groups.") % {"max": MAX_GROUPS}
                )
                return
            title = str(data.get("new_group_title") or "").strip()[:GROUP_TITLE_MAX_LENGTH]
            title = title or gettext("Group %(n)s") % {"n": len(self.groups) + 1}
            self.groups.append({"title": title, "fields": []})
        elif name in ("remove-group", "group-up", "group-down"):
            index = _index(arg, len(self.groups))
            if index is None:
                return
            if name == "remove-group":
                # Its fields go back to the unassigned column.
                del self.groups[index]
            else:
                other = index - 1 if name == "group-up" else index + 1
                if 0 <= other < len(self.groups):
                    self.groups[index], self.groups[other] = self.groups[other], self.groups[index]
        elif name in ("field-up", "field-down"):
            for group in self.groups:
                keys = group["fields"]
                if arg in keys:
                    at = keys.index(arg)
                    other = at - 1 if name == "field-up" else at + 1
                    if 0 <= other < len(keys):
                        keys[at], keys[other] = keys[other], keys[at]
                    return


def _index(value: str, length: int) -> int | None:
    try:
        index = int(value)
    except (TypeError, ValueError):
        return None
    return index if 0 <= index < length else None


def _normalise(parsed: list[Any], keys: list[str]) -> list[dict[str, Any]]:
    """Return submitted groups as the editor holds them: every group kept (even an empty
    one, so the titles typed next to it line up), unknown and repeated keys dropped."""
    known = set(keys)
    seen: set[str] = set()
    groups: list[dict[str, Any]] = []
    for group in parsed[:MAX_GROUPS]:
        if not isinstance(group, dict):
            continue
        raw = group.get("fields") or []
        fields = []
        for k in raw if isinstance(raw, list) else []:
            if isinstance(k, str) and k in known and k not in seen:
                seen.add(k)
                fields.append(k)
        title = str(group.get("title") or "").strip()[:GROUP_TITLE_MAX_LENGTH]
        groups.append({"title": title, "fields": fields})
    return groups


class PreviewForm(StyledFormMixin, forms.Form):
    """The custom fields of an edit scheme as the customer form will show them, read-only."""

    def __init__(self, groups: list[LayoutGroup], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.layout_groups = groups
        for group in groups:
            for custom in group.fields:
                form_field_ = form_field(custom)
                form_field_.disabled = True
                self.fields[f"cf_{custom.key}"] = form_field_
        style_widgets(self)

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (group.title, [self[f"cf_{custom.key}"] for custom in group.fields])
            for group in self.layout_groups
        ]
