"""The custom-fields API: field definitions, edit schemes (layouts) and tags.

Changes need the "customfield" object type (administrators by default). Reading is also
open to members who may view the kind of record concerned (customers, contacts …):
they need the field keys to fill in `custom_data`, and the tags to tag records.

No `from __future__ import annotations` here: Ninja reads the annotations of the list
operations through the pagination decorator's wrapper, where string annotations such
as `Query[CustomFieldFilter]` cannot be resolved.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import field_validator

from guanxi.api.errors import AUTH_ERRORS, error_responses
from guanxi.api.pagination import paginate_keyset
from guanxi.core.custom_fields import (
    CHOICE_MAX_LENGTH,
    GROUP_TITLE_MAX_LENGTH,
    HELP_TEXT_MAX_LENGTH,
    KEY_MAX_LENGTH,
    LABEL_MAX_LENGTH,
    LAYOUT_NAME_MAX_LENGTH,
    MAX_CHOICES,
    MAX_GROUPS,
    delete_layout,
    field_target,
    field_targets,
    save_custom_field,
    save_layout,
    set_custom_field_active,
)
from guanxi.core.models import CustomField, FieldLayout, Tag
from guanxi.core.permissions import (
    ADD,
    CHANGE,
    DELETE,
    VIEW,
    has_perm,
    require_perm,
)
from guanxi.core.tags import NAME_MAX_LENGTH as TAG_NAME_MAX_LENGTH
from guanxi.core.tags import TAG_COLOURS, delete_tag, save_tag, tag_usage, tags_with_usage

router = Router(tags=["custom-fields"])

OBJECT_TYPE = "customfield"
READ_ERRORS = error_responses(*AUTH_ERRORS, 404, 422)
LIST_ERRORS = error_responses(*AUTH_ERRORS, 400, 422)
WRITE_ERRORS = error_responses(*AUTH_ERRORS, 404, 409, 422)
CREATE_ERRORS = error_responses(*AUTH_ERRORS, 422)

TargetKey = CustomField.Target
FieldTypeKey = CustomField.FieldType
TagColour = str


# --- schemas ---------------------------------------------------------------------------


class CustomFieldOut(Schema):
    id: int
    target: str = Field(description="The kind of record: party, contact, …")
    key: str = Field(description="The key of the field's value in a record's `custom_data`.")
    label: str
    field_type: str = Field(description="text, number, date, choice, multichoice or boolean.")
    choices: list[str]
    required: bool
    help_text: str
    position: int = Field(description="Order on forms and lists, smallest first.")
    is_active: bool = Field(description="False: hidden from forms; stored values are kept.")
    version: int = Field(description="Send back with an edit (optimistic locking).")


def _strip_required(value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise ValueError(_("This field is required."))
    return value.strip() if value is not None else None


def _check_choices(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    for choice in value:
        if len(choice.strip()) > CHOICE_MAX_LENGTH:
            raise ValueError(
                _("A choice has at most %(max)s characters.") % {"max": CHOICE_MAX_LENGTH}
            )
    return value


class CustomFieldIn(Schema):
    target: TargetKey
    label: str = Field(min_length=1, max_length=LABEL_MAX_LENGTH)
    field_type: FieldTypeKey
    key: str = Field(
        "",
        max_length=KEY_MAX_LENGTH,
        description="Lower-case letters, digits and underscores, starting with a letter; "
        "made from the label when left out. It cannot change later.",
    )
    choices: list[str] = Field(
        default_factory=list,
        max_length=MAX_CHOICES,
        description="The choices of a choice or multichoice field.",
    )
    required: bool = False
    help_text: str = Field("", max_length=HELP_TEXT_MAX_LENGTH)

    @field_validator("label")
    @classmethod
    def _label(cls, value: str | None) -> str | None:
        return _strip_required(value)

    @field_validator("choices")
    @classmethod
    def _choices(cls, value: list[str] | None) -> list[str] | None:
        return _check_choices(value)


class CustomFieldPatch(Schema):
    """Fields left out keep their value. The type and key of a field cannot change."""

    version: int = Field(ge=1)
    label: str | None = Field(None, min_length=1, max_length=LABEL_MAX_LENGTH)
    field_type: FieldTypeKey | None = Field(
        None, description="Accepted only when it is the field's current type."
    )
    choices: list[str] | None = Field(None, max_length=MAX_CHOICES)
    required: bool | None = None
    help_text: str | None = Field(None, max_length=HELP_TEXT_MAX_LENGTH)
    position: int | None = Field(None, ge=0)
    is_active: bool | None = None

    @field_validator("label")
    @classmethod
    def _label(cls, value: str | None) -> str | None:
        return _strip_required(value)

    @field_validator("choices")
    @classmethod
    def _choices(cls, value: list[str] | None) -> list[str] | None:
        return _check_choices(value)


class VersionIn(Schema):
    version: int = Field(ge=1, description="The version the change starts from.")


class CustomFieldFilter(Schema):
    target: TargetKey | None = Field(None, description="Only fields of this kind of record.")
    is_active: bool | None = Field(None, description="Only active (true) or inactive (false).")


class LayoutGroupSchema(Schema):
    title: str = Field("", max_length=GROUP_TITLE_MAX_LENGTH)
    fields: list[str] = Field(
        default_factory=list, description="Custom field keys, in order; unknown keys are dropped."
    )


class LayoutOut(Schema):
    id: int
    target: str
    name: str
    is_default: bool = Field(description="The add and edit forms use the default scheme.")
    groups: list[LayoutGroupSchema]
    version: int


class LayoutIn(Schema):
    target: TargetKey
    name: str = Field(min_length=1, max_length=LAYOUT_NAME_MAX_LENGTH)
    is_default: bool = Field(False, description="Makes the other schemes of the type non-default.")
    groups: list[LayoutGroupSchema] = Field(default_factory=list, max_length=MAX_GROUPS)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return _strip_required(value)


class LayoutPatch(Schema):
    """Fields left out keep their value."""

    version: int = Field(ge=1)
    name: str | None = Field(None, min_length=1, max_length=LAYOUT_NAME_MAX_LENGTH)
    is_default: bool | None = None
    groups: list[LayoutGroupSchema] | None = Field(None, max_length=MAX_GROUPS)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return _strip_required(value)


class LayoutFilter(Schema):
    target: TargetKey | None = Field(None, description="Only schemes of this kind of record.")


class TagOut(Schema):
    id: int
    name: str
    color: str = Field(description="A Tabler colour name.")
    records: int = Field(description="How many records carry the tag.")
    version: int

    @staticmethod
    def resolve_records(obj: Tag) -> int:
        return tag_usage(obj)


_COLOUR_DESCRIPTION = "One of: " + ", ".join(name for name, _label in TAG_COLOURS) + "."


class TagIn(Schema):
    name: str = Field(min_length=1, max_length=TAG_NAME_MAX_LENGTH)
    color: TagColour = Field("blue", description=_COLOUR_DESCRIPTION)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return _strip_required(value)


class TagPatch(Schema):
    """Fields left out keep their value."""

    version: int = Field(ge=1)
    name: str | None = Field(None, min_length=1, max_length=TAG_NAME_MAX_LENGTH)
    color: TagColour | None = Field(None, description=_COLOUR_DESCRIPTION)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return _strip_required(value)


# --- access ----------------------------------------------------------------------------


def _membership(request: HttpRequest) -> Any:
    # The caller's Membership (guanxi.api.auth); typed loosely, core does not import accounts.
    return request.auth  # type: ignore[attr-defined]


def readable_targets(membership: Any) -> list[str]:
    """Return the record types whose definitions the member may read."""
    if has_perm(membership, VIEW, OBJECT_TYPE):
        return [t.key for t in field_targets()]
    return [t.key for t in field_targets() if has_perm(membership, VIEW, t.object_type)]


def _require_read(membership: Any, target: str | None = None) -> list[str]:
    targets = readable_targets(membership)
    if not targets or (target is not None and target not in targets):
        require_perm(membership, VIEW, OBJECT_TYPE)
    return targets


def _field(membership: Any, id: int) -> CustomField:
    """Return a readable field; 404 for ids of another organisation or type."""
    targets = readable_targets(membership)
    field = CustomField.objects.filter(target__in=targets, pk=id).first()
    if field is None:
        raise Http404
    return field


def _layout(membership: Any, id: int) -> FieldLayout:
    targets = readable_targets(membership)
    layout = FieldLayout.objects.filter(target__in=targets, pk=id).first()
    if layout is None:
        raise Http404
    return layout


def _registered(target: str) -> str:
    if field_target(target) is None:
        raise ValidationError({"target": [_("This kind of record has no custom fields here.")]})
    return target


def _tag(id: int) -> Tag:
    tag = tags_with_usage().filter(pk=id).first()
    if tag is None:
        raise Http404
    return tag


# --- custom fields ---------------------------------------------------------------------


@router.get("/custom-fields", response={200: list[CustomFieldOut], **LIST_ERRORS})
@paginate_keyset("target", "position", "id")
def list_custom_fields(
    request: HttpRequest, filters: Query[CustomFieldFilter]
) -> QuerySet[CustomField]:
    """Custom field definitions, by record type and position."""
    membership = _membership(request)
    target = str(filters.target) if filters.target else None
    targets = _require_read(membership, target)
    queryset = CustomField.objects.filter(target__in=targets)
    if target:
        queryset = queryset.filter(target=target)
    if filters.is_active is not None:
        queryset = queryset.filter(is_active=filters.is_active)
    return queryset


@router.get("/custom-fields/{id}", response={200: CustomFieldOut, **READ_ERRORS})
def get_custom_field(request: HttpRequest, id: int) -> CustomField:
    return _field(_membership(request), id)


@router.post("/custom-fields", response={201: CustomFieldOut, **CREATE_ERRORS})
def create_custom_field(request: HttpRequest, payload: CustomFieldIn) -> Status[CustomField]:
    """Add a custom field to a kind of record; it goes last."""
    membership = _membership(request)
    require_perm(membership, ADD, OBJECT_TYPE)
    field = save_custom_field(
        org=membership.org,
        actor=request.user,
        field=None,
        target=_registered(str(payload.target)),
        label=payload.label,
        field_type=str(payload.field_type),
        choices=payload.choices,
        required=payload.required,
        help_text=payload.help_text,
        key=payload.key,
    )
    return Status(201, field)


@router.patch("/custom-fields/{id}", response={200: CustomFieldOut, **WRITE_ERRORS})
def update_custom_field(request: HttpRequest, id: int, payload: CustomFieldPatch) -> CustomField:
    """Change a custom field. Answers 409 `stale_edit`, changing nothing, when `version`
    is not the stored one, and 422 for a change of type."""
    membership = _membership(request)
    require_perm(membership, CHANGE, OBJECT_TYPE)
    field = _field(membership, id)
    changes = payload.model_dump(exclude_unset=True)
    return save_custom_field(
        org=membership.org,
        actor=request.user,
        field=field,
        target=field.target,
        label=changes.get("label") or field.label,
        field_type=str(changes.get("field_type") or field.field_type),
        choices=changes["choices"] if changes.get("choices") is not None else field.choices,
        required=_keep(changes, "required", field.required),
        help_text=_keep(changes, "help_text", field.help_text),
        position=changes.get("position"),
        is_active=_keep(changes, "is_active", field.is_active),
        expected_version=payload.version,
    )


def _keep(changes: dict[str, Any], name: str, current: Any) -> Any:
    value = changes.get(name)
    return current if value is None else value


def _set_active(request: HttpRequest, id: int, payload: VersionIn, active: bool) -> CustomField:
    membership = _membership(request)
    require_perm(membership, CHANGE, OBJECT_TYPE)
    return set_custom_field_active(
        field=_field(membership, id),
        actor=request.user,
        active=active,
        expected_version=payload.version,
    )


@router.post("/custom-fields/{id}/deactivate", response={200: CustomFieldOut, **WRITE_ERRORS})
def deactivate_custom_field(request: HttpRequest, id: int, payload: VersionIn) -> CustomField:
    """Hide a field from forms, lists, imports and exports; its stored values are kept."""
    return _set_active(request, id, payload, active=False)


@router.post("/custom-fields/{id}/reactivate", response={200: CustomFieldOut, **WRITE_ERRORS})
def reactivate_custom_field(request: HttpRequest, id: int, payload: VersionIn) -> CustomField:
    """Show a deactivated field again, with the values stored before."""
    return _set_active(request, id, payload, active=True)


# --- edit schemes (layouts) ------------------------------------------------------------


@router.get("/field-layouts", response={200: list[LayoutOut], **LIST_ERRORS})
@paginate_keyset("target", "name", "id")
def list_layouts(request: HttpRequest, filters: Query[LayoutFilter]) -> QuerySet[FieldLayout]:
    """Edit schemes (编辑方案): named groups of custom fields, by record type and name."""
    membership = _membership(request)
    target = str(filters.target) if filters.target else None
    targets = _require_read(membership, target)
    queryset = FieldLayout.objects.filter(target__in=targets)
    if target:
        queryset = queryset.filter(target=target)
    return queryset


@router.get("/field-layouts/{id}", response={200: LayoutOut, **READ_ERRORS})
def get_layout(request: HttpRequest, id: int) -> FieldLayout:
    return _layout(_membership(request), id)


@router.post("/field-layouts", response={201: LayoutOut, **CREATE_ERRORS})
def create_layout(request: HttpRequest, payload: LayoutIn) -> Status[FieldLayout]:
    """Add an edit scheme. Unknown field keys in `groups` are dropped."""
    membership = _membership(request)
    require_perm(membership, ADD, OBJECT_TYPE)
    layout = save_layout(
        org=membership.org,
        actor=request.user,
        layout=None,
        target=_registered(str(payload.target)),
        name=payload.name,
        groups=[g.model_dump() for g in payload.groups],
        is_default=payload.is_default,
    )
    return Status(201, layout)


@router.patch("/field-layouts/{id}", response={200: LayoutOut, **WRITE_ERRORS})
def update_layout(request: HttpRequest, id: int, payload: LayoutPatch) -> FieldLayout:
    """Rename an edit scheme, rearrange its groups or make it the default.

    Answers 409 `stale_edit`, changing nothing, when `version` is not the stored one.
    """
    membership = _membership(request)
    require_perm(membership, CHANGE, OBJECT_TYPE)
    layout = _layout(membership, id)
    groups = (
        [g.model_dump() for g in payload.groups] if payload.groups is not None else layout.groups
    )
    return save_layout(
        org=membership.org,
        actor=request.user,
        layout=layout,
        target=layout.target,
        name=payload.name or layout.name,
        groups=groups,
        is_default=layout.is_default if payload.is_default is None else payload.is_default,
        expected_version=payload.version,
    )


@router.delete("/field-layouts/{id}", response={204: None, **WRITE_ERRORS})
def remove_layout(request: HttpRequest, id: int) -> Status[None]:
    """Delete an edit scheme. The default scheme cannot be deleted (409)."""
    membership = _membership(request)
    require_perm(membership, DELETE, OBJECT_TYPE)
    delete_layout(layout=_layout(membership, id), actor=request.user)
    return Status(204, None)


# --- tags ------------------------------------------------------------------------------


def _require_tag_read(membership: Any) -> None:
    if not readable_targets(membership):
        require_perm(membership, VIEW, OBJECT_TYPE)


@router.get("/tags", response={200: list[TagOut], **LIST_ERRORS}, tags=["tags"])
@paginate_keyset("name", "id")
def list_tags(request: HttpRequest) -> QuerySet[Tag]:
    """The organisation's tags by name, with how many records carry each."""
    _require_tag_read(_membership(request))
    return tags_with_usage()


@router.get("/tags/{id}", response={200: TagOut, **READ_ERRORS}, tags=["tags"])
def get_tag(request: HttpRequest, id: int) -> Tag:
    _require_tag_read(_membership(request))
    return _tag(id)


@router.post("/tags", response={201: TagOut, **CREATE_ERRORS}, tags=["tags"])
def create_tag(request: HttpRequest, payload: TagIn) -> Status[Tag]:
    """Add a tag. Names are unique whatever their case."""
    membership = _membership(request)
    require_perm(membership, ADD, OBJECT_TYPE)
    tag = save_tag(
        org=membership.org, actor=request.user, tag=None, name=payload.name, color=payload.color
    )
    return Status(201, _tag(tag.pk))


@router.patch("/tags/{id}", response={200: TagOut, **WRITE_ERRORS}, tags=["tags"])
def update_tag(request: HttpRequest, id: int, payload: TagPatch) -> Tag:
    """Rename or recolour a tag. Answers 409 `stale_edit` when `version` is not the stored one."""
    membership = _membership(request)
    require_perm(membership, CHANGE, OBJECT_TYPE)
    tag = _tag(id)
    save_tag(
        org=membership.org,
        actor=request.user,
        tag=tag,
        name=payload.name or tag.name,
        color=payload.color or tag.color,
        expected_version=payload.version,
    )
    return _tag(id)


@router.delete("/tags/{id}", response={204: None, **WRITE_ERRORS}, tags=["tags"])
def remove_tag(request: HttpRequest, id: int) -> Status[None]:
    """Delete a tag and take it off every record that carries it."""
    membership = _membership(request)
    require_perm(membership, DELETE, OBJECT_TYPE)
    delete_tag(tag=_tag(id), actor=request.user)
    return Status(204, None)
