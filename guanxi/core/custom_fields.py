"""Custom fields (B4): definitions, form fields, validation and layouts.

Values are stored as JSON on the record (`custom_data`), keyed by the field's `key`,
in JSON-friendly types: text → str, number → str of a Decimal, date → ISO date,
choice → str, multichoice → list[str], boolean → bool.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.text import slugify
from django.utils.translation import gettext as _

from guanxi.core.exceptions import DomainError
from guanxi.core.models import CustomField, FieldLayout, Organisation
from guanxi.core.pinyin import full_pinyin, has_han
from guanxi.core.scoping import org_scope
from guanxi.core.versioning import save_versioned

FieldType = CustomField.FieldType

# Limits of a definition; the model's column sizes, and bounds that keep forms usable.
LABEL_MAX_LENGTH = CustomField._meta.get_field("label").max_length or 60
HELP_TEXT_MAX_LENGTH = CustomField._meta.get_field("help_text").max_length or 200
KEY_MAX_LENGTH = CustomField._meta.get_field("key").max_length or 40
CHOICE_MAX_LENGTH = 100
MAX_CHOICES = 200
LAYOUT_NAME_MAX_LENGTH = FieldLayout._meta.get_field("name").max_length or 60
GROUP_TITLE_MAX_LENGTH = 60
MAX_GROUPS = 50
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
CHOICE_TYPES = (FieldType.CHOICE, FieldType.MULTI_CHOICE)


# --- record types that take custom fields ------------------------------------------


@dataclass(frozen=True)
class FieldTarget:
    """A kind of record that has custom fields, shown as a tab on the settings pages.

    `object_type` is the permission object type of the records themselves: members who
    may view those records may also read their field definitions through the API (they
    need the keys to fill in `custom_data`).
    """

    key: str
    label: str | Promise
    object_type: str
    order: int = 100


_TARGETS: dict[str, FieldTarget] = {}


def register_field_target(
    key: str, label: str | Promise, *, object_type: str, order: int = 100
) -> FieldTarget:
    """Declare that records of `key` (a CustomField.Target value) take custom fields.

    Apps call this from their registrations module once their records exist, so the
    settings pages only offer record types the installation has.
    """
    if key not in CustomField.Target.values:
        raise ValueError(f"{key!r} is not a CustomField.Target value")
    target = FieldTarget(key=key, label=label, object_type=object_type, order=order)
    _TARGETS[key] = target
    return target


def field_targets() -> list[FieldTarget]:
    return sorted(_TARGETS.values(), key=lambda t: (t.order, t.key))


def field_target(key: str) -> FieldTarget | None:
    return _TARGETS.get(key)


def active_fields(org: Organisation | int, target: str) -> list[CustomField]:
    with org_scope(org):
        return list(
            CustomField.objects.filter(target=target, is_active=True).order_by("position", "id")
        )


def form_field(field: CustomField) -> forms.Field:
    """Return the Django form field that edits `field`."""
    common: dict[str, Any] = {
        "label": field.label,
        "required": field.required,
        # Form templates print help text as HTML (Django's convention); this one is the
        # organisation's own text, so it is escaped here.
        "help_text": escape(field.help_text),
    }
    choices = [(c, c) for c in field.choices or []]
    if field.field_type == FieldType.NUMBER:
        return forms.DecimalField(max_digits=18, decimal_places=4, **common)
    if field.field_type == FieldType.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if field.field_type == FieldType.CHOICE:
        return forms.ChoiceField(choices=[("", "---------"), *choices], **common)
    if field.field_type == FieldType.MULTI_CHOICE:
        return forms.MultipleChoiceField(
            choices=choices, widget=forms.CheckboxSelectMultiple, **common
        )
    if field.field_type == FieldType.BOOLEAN:
        common["required"] = False
        return forms.BooleanField(**common)
    return forms.CharField(max_length=500, **common)


def to_json(field: CustomField, value: Any) -> Any:
    """Turn a cleaned form value into what is stored in `custom_data`."""
    if value in (None, "", []):
        return False if field.field_type == FieldType.BOOLEAN else None
    if field.field_type == FieldType.NUMBER:
        return str(value)
    if field.field_type == FieldType.DATE:
        return value.isoformat()
    if field.field_type == FieldType.MULTI_CHOICE:
        return list(value)
    return value


def from_json(field: CustomField, value: Any) -> Any:
    """Turn a stored value back into a form initial value."""
    if value is None:
        return None
    if field.field_type == FieldType.DATE and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    if field.field_type == FieldType.NUMBER:
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None
    return value


def clean_values(
    fields: list[CustomField], raw: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Validate raw values (from an API body or an import row) against the definitions.

    Return (clean JSON values, errors by key). Unknown keys are errors too, so a typo
    never silently drops data.
    """
    by_key = {f.key: f for f in fields}
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key in raw:
        if key not in by_key:
            errors[key] = [_("There is no custom field “%(key)s”.") % {"key": key}]
    for key, field in by_key.items():
        raw_value = raw.get(key)
        if field.field_type == FieldType.MULTI_CHOICE and isinstance(raw_value, str):
            raw_value = [v.strip() for v in raw_value.replace("；", ";").split(";") if v.strip()]
        if field.field_type == FieldType.BOOLEAN and isinstance(raw_value, str):
            raw_value = raw_value.strip().lower() in {"1", "true", "yes", "y", "是", "对", "√"}
        try:
            cleaned = form_field(field).clean(raw_value)
        except ValidationError as error:
            errors[key] = list(error.messages)
            continue
        values[key] = to_json(field, cleaned)
    return values, errors


def display_value(field: CustomField, value: Any) -> str:
    if value is None or value == "" or value == []:
        return ""
    if field.field_type == FieldType.BOOLEAN:
        return _("Yes") if value else _("No")
    if field.field_type == FieldType.MULTI_CHOICE and isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


# --- definitions ------------------------------------------------------------------


class InvalidCustomField(DomainError):
    status_code = 422
    code = "invalid_custom_field"


def _derived_key(label: str) -> str:
    """Return a key made from a label: ASCII words as they are, Chinese as pinyin."""
    words = []
    for part in re.split(r"([\u3400-\u9fff]+)", label):
        words.append(full_pinyin(part) if has_han(part) else part)
    key = slugify(" ".join(words), allow_unicode=False).replace("-", "_").strip("_")
    if key and not key[0].isalpha():
        key = f"f_{key}"
    return key[:KEY_MAX_LENGTH] or "field"


def _clean_choices(field_type: str, choices: Iterable[str] | None) -> list[str]:
    """Return the choices without blanks and repeats; raise InvalidCustomField if unusable."""
    if field_type not in CHOICE_TYPES:
        return []
    clean = list(dict.fromkeys(str(c).strip() for c in (choices or []) if str(c).strip()))
    if not clean:
        raise InvalidCustomField(_("List at least one choice."), field="choices")
    if len(clean) > MAX_CHOICES:
        raise InvalidCustomField(
            _("List at most %(max)s choices.") % {"max": MAX_CHOICES}, field="choices"
        )
    too_long = [c for c in clean if len(c) > CHOICE_MAX_LENGTH]
    if too_long:
        raise InvalidCustomField(
            _("The choice “%(choice)s” is longer than %(max)s characters.")
            % {"choice": too_long[0][:20] + "…", "max": CHOICE_MAX_LENGTH},
            field="choices",
        )
    return clean


def _check_definition(*, target: str, label: str, field_type: str, help_text: str) -> None:
    if target not in CustomField.Target.values:
        raise InvalidCustomField(_("Choose a kind of record."), field="target")
    if not label:
        raise InvalidCustomField(_("A custom field needs a label."), field="label")
    if len(label) > LABEL_MAX_LENGTH:
        raise InvalidCustomField(
            _("A label has at most %(max)s characters.") % {"max": LABEL_MAX_LENGTH},
            field="label",
        )
    if field_type not in FieldType.values:
        raise InvalidCustomField(_("Choose one of the field types."), field="field_type")
    if len(help_text) > HELP_TEXT_MAX_LENGTH:
        raise InvalidCustomField(
            _("Help text has at most %(max)s characters.") % {"max": HELP_TEXT_MAX_LENGTH},
            field="help_text",
        )


@transaction.atomic
def save_custom_field(
    *,
    org: Organisation,
    actor: Any,
    field: CustomField | None,
    target: str,
    label: str,
    field_type: str,
    choices: list[str] | None = None,
    required: bool = False,
    help_text: str = "",
    position: int | None = None,
    is_active: bool = True,
    key: str = "",
    expected_version: int | None = None,
) -> CustomField:
    """Create or change a custom field definition.

    A new field gets `key` (or one derived from the label, Chinese as pinyin, made
    unique with a suffix) and goes last unless `position` is given; an edited field keeps
    its key, its type and, unless given, its position. With `expected_version` the edit
    is refused if someone saved the field in between.

    Raise InvalidCustomField for an empty or over-long label, an unknown type or record
    type, a choice field without choices, a badly formed or taken key, or a change of
    type; StaleEdit for a stale edit.
    """
    label = (label or "").strip()
    help_text = (help_text or "").strip()
    if field is not None:
        target = field.target
    _check_definition(target=target, label=label, field_type=field_type, help_text=help_text)
    clean_choices = _clean_choices(field_type, choices)
    with org_scope(org):
        if field is None:
            explicit = (key or "").strip()
            if explicit:
                if len(explicit) > KEY_MAX_LENGTH or not KEY_PATTERN.match(explicit):
                    raise InvalidCustomField(
                        _(
                            "A key starts with a letter and has only lower-case letters, "
                            "digits and underscores (at most %(max)s)."
                        )
                        % {"max": KEY_MAX_LENGTH},
                        field="key",
                    )
                if CustomField.objects.filter(target=target, key=explicit).exists():
                    raise InvalidCustomField(
                        _("Another field of this kind of record already has the key “%(key)s”.")
                        % {"key": explicit},
                        field="key",
                    )
                key = explicit
            else:
                key = base = _derived_key(label)
                n = 2
                while CustomField.objects.filter(target=target, key=key).exists():
                    suffix = f"_{n}"
                    key = f"{base[: KEY_MAX_LENGTH - len(suffix)]}{suffix}"
                    n += 1
            if position is None:
                last = CustomField.objects.filter(target=target).aggregate(m=Max("position"))
                position = (last["m"] or 0) + 1
            return CustomField.objects.create(
                org=org,
                target=target,
                key=key,
                label=label,
                field_type=field_type,
                choices=clean_choices,
                required=required,
                help_text=help_text,
                position=position,
                is_active=is_active,
            )
        # The type of an existing field stays: stored values were written for it.
        if field_type != field.field_type:
            raise InvalidCustomField(
                _(
                    "The type of a field cannot change once it is created: values already "
                    "stored were written for the old type. Add a new field instead."
                ),
                field="field_type",
            )
        field.label, field.choices, field.required = label, clean_choices, required
        field.help_text, field.is_active = help_text, is_active
        if position is not None:
            field.position = position
        if expected_version is not None:
            return save_versioned(field, expected_version=expected_version)
        field.version += 1
        field.save()
        return field


@transaction.atomic
def set_custom_field_active(
    *, field: CustomField, actor: Any, active: bool, expected_version: int | None = None
) -> CustomField:
    """Deactivate a field (hidden from forms, lists and imports; stored values are kept)
    or make it active again.

    Raise StaleEdit if `expected_version` is given and someone saved the field meanwhile.
    """
    field.is_active = active
    if expected_version is not None:
        return save_versioned(field, expected_version=expected_version)
    field.version += 1
    field.save()
    return field


@transaction.atomic
def reorder_custom_fields(
    *, org: Organisation, actor: Any, target: str, order: Iterable[int]
) -> list[CustomField]:
    """Put the fields of `target` in the order of the ids in `order`.

    Ids of other record types or organisations are ignored; fields left out keep their
    relative order after the listed ones. Positions are not part of the optimistic lock:
    moving a field does not make someone's open edit of its label stale.
    """
    with org_scope(org):
        fields = list(CustomField.objects.filter(target=target).order_by("position", "id"))
        by_id = {f.pk: f for f in fields}
        wanted: list[CustomField] = []
        for pk in order:
            item = by_id.pop(pk, None) if isinstance(pk, int) else None
            if item is not None:
                wanted.append(item)
        ordered = [*wanted, *(f for f in fields if f.pk in by_id)]
        changed = []
        for position, item in enumerate(ordered, start=1):
            if item.position != position:
                item.position = position
                changed.append(item)
        if changed:
            CustomField.objects.bulk_update(changed, ["position"])
        return ordered


@dataclass(frozen=True)
class LayoutGroup:
    title: str
    fields: list[CustomField]


def arrange_groups(
    groups: Iterable[dict[str, Any]], fields: Iterable[CustomField]
) -> list[LayoutGroup]:
    """Place `fields` into the layout `groups` ({"title", "fields": [keys]}), in order.

    Keys of fields not given are skipped, a field placed twice stays in its first group,
    empty groups are left out, and the fields no group places come last in an "Other
    fields" group, so a new field is never invisible.
    """
    fields = list(fields)
    by_key = {f.key: f for f in fields}
    arranged: list[LayoutGroup] = []
    placed: set[str] = set()
    for group in groups or []:
        if not isinstance(group, dict):
            continue
        members = []
        for k in group.get("fields", []) or []:
            if isinstance(k, str) and k in by_key and k not in placed:
                placed.add(k)
                members.append(by_key[k])
        if members:
            arranged.append(LayoutGroup(title=str(group.get("title", "")), fields=members))
    rest = [f for f in fields if f.key not in placed]
    if rest:
        arranged.append(LayoutGroup(title=_("Other fields"), fields=rest))
    return arranged


def layout_groups(
    org: Organisation | int, target: str, *, layout: FieldLayout | None = None
) -> list[LayoutGroup]:
    """Return the active custom fields of `target` grouped by a layout.

    The layout is `layout` when given, else the record type's default one. Fields the
    layout does not place are shown in a final "Other fields" group, so a new field is
    never invisible.
    """
    fields = active_fields(org, target)
    if layout is None:
        with org_scope(org):
            layout = FieldLayout.objects.filter(target=target, is_default=True).first()
    return arrange_groups((layout.groups if layout else []) or [], fields)


def clean_layout_groups(groups: Iterable[Any], known: Iterable[str]) -> list[dict[str, Any]]:
    """Return `groups` as stored: titles stripped and cut to size, unknown and repeated
    keys dropped, groups with neither a title nor fields left out."""
    known_keys = set(known)
    placed: set[str] = set()
    clean: list[dict[str, Any]] = []
    for group in groups or []:
        if not isinstance(group, dict):
            continue
        title = str(group.get("title") or "").strip()[:GROUP_TITLE_MAX_LENGTH]
        keys = []
        raw_keys = group.get("fields") or []
        for k in raw_keys if isinstance(raw_keys, list) else []:
            if isinstance(k, str) and k in known_keys and k not in placed:
                placed.add(k)
                keys.append(k)
        if title or keys:
            clean.append({"title": title, "fields": keys})
    return clean


@transaction.atomic
def save_layout(
    *,
    org: Organisation,
    actor: Any,
    layout: FieldLayout | None,
    target: str,
    name: str,
    groups: list[dict[str, Any]],
    is_default: bool,
    expected_version: int | None = None,
) -> FieldLayout:
    """Create or change a layout; making one the default un-defaults the others.

    Unknown field keys are dropped (as are repeats: a field sits in one group). With
    `expected_version` the edit is refused if someone saved the layout in between.

    Raise InvalidCustomField for an empty, over-long or taken name, an unknown record
    type or too many groups; StaleEdit for a stale edit.
    """
    name = (name or "").strip()
    if layout is not None:
        target = layout.target
    if target not in CustomField.Target.values:
        raise InvalidCustomField(_("Choose a kind of record."), field="target")
    if not name:
        raise InvalidCustomField(_("A layout needs a name."), field="name")
    if len(name) > LAYOUT_NAME_MAX_LENGTH:
        raise InvalidCustomField(
            _("A name has at most %(max)s characters.") % {"max": LAYOUT_NAME_MAX_LENGTH},
            field="name",
        )
    with org_scope(org):
        taken = FieldLayout.objects.filter(target=target, name=name)
        if layout is not None:
            taken = taken.exclude(pk=layout.pk)
        if taken.exists():
            raise InvalidCustomField(
                _("Another edit scheme is already called “%(name)s”.") % {"name": name},
                field="name",
            )
        known = CustomField.objects.filter(target=target).values_list("key", flat=True)
        clean_groups = clean_layout_groups(groups, known)
        if len(clean_groups) > MAX_GROUPS:
            raise InvalidCustomField(
                _("A layout has at most %(max)s groups.") % {"max": MAX_GROUPS}, field="groups"
            )
        if is_default:
            others = FieldLayout.objects.filter(target=target, is_default=True)
            if layout is not None:
                others = others.exclude(pk=layout.pk)
            others.update(is_default=False)
        if layout is None:
            return FieldLayout.objects.create(
                org=org, target=target, name=name, groups=clean_groups, is_default=is_default
            )
        layout.name, layout.groups, layout.is_default = name, clean_groups, is_default
        if expected_version is not None:
            return save_versioned(layout, expected_version=expected_version)
        layout.version += 1
        layout.save()
        return layout


class LayoutInUse(DomainError):
    status_code = 409
    code = "default_layout"


@transaction.atomic
def delete_layout(*, layout: FieldLayout, actor: Any) -> None:
    """Delete an edit scheme; its history keeps what it held.

    Raise LayoutInUse for the default scheme: the add and edit forms use it.
    """
    if layout.is_default:
        raise LayoutInUse(
            _(
                "“%(name)s” is the default edit scheme. Make another scheme the default "
                "before deleting this one."
            )
            % {"name": layout.name}
        )
    layout.delete()
