"""Forms of the party lists: bulk actions, groups, segments."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import Tag
from guanxi.parties.models import PartyCategory, PartyGroup
from guanxi.web.forms import StyledFormMixin

MAX_BULK = 1000


class BulkAction:
    ASSIGN_OWNER = "assign_owner"
    MOVE_CATEGORY = "move_category"
    ADD_TO_GROUP = "add_to_group"
    REMOVE_FROM_GROUP = "remove_from_group"
    ADD_TAG = "add_tag"
    DELETE = "delete"
    CHOICES = (
        (ASSIGN_OWNER, _("Assign owner")),
        (MOVE_CATEGORY, _("Move to category")),
        (ADD_TO_GROUP, _("Add to group")),
        (REMOVE_FROM_GROUP, _("Remove from group")),
        (ADD_TAG, _("Add tag")),
        (DELETE, _("Delete (to the recycle bin)")),
    )


def parse_ids(values: list[str]) -> list[int] | None:
    """Return the ids in `values` (each an id or a comma-separated list), None if malformed."""
    ids: list[int] = []
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit() or len(part) > 18:
                return None
            ids.append(int(part))
    return list(dict.fromkeys(ids))


class IdsField(forms.Field):
    """The selected rows: `ids` repeated, or one comma-separated value."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "invalid": _("The selection is not valid."),
        "required": _("Select at least one row."),
        "too_many": _("Select at most %(max)s rows at a time."),
    }

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        ids = parse_ids([str(v) for v in values])
        if ids is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if len(ids) > MAX_BULK:
            raise forms.ValidationError(
                self.error_messages["too_many"], code="too_many", params={"max": MAX_BULK}
            )
        return ids

    def validate(self, value: list[int]) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")


class IdsWidgetMixin:
    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        getter = getattr(data, "getlist", None)
        return getter(name) if getter else data.get(name)


class _IdsInput(IdsWidgetMixin, forms.MultipleHiddenInput):
    pass


class BulkActionForm(StyledFormMixin, forms.Form):
    action = forms.ChoiceField(label=_("Action"), choices=BulkAction.CHOICES)
    ids = IdsField(widget=_IdsInput)
    owner = forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int, empty_value=None)
    category = forms.ChoiceField(label=_("Category"), required=False)
    group: forms.ModelChoiceField[PartyGroup] = forms.ModelChoiceField(
        label=_("Group"), queryset=PartyGroup.objects.none(), required=False
    )
    tag: forms.ModelChoiceField[Tag] = forms.ModelChoiceField(
        label=_("Tag"), queryset=Tag.objects.none(), required=False
    )

    def __init__(
        self,
        *args: Any,
        owners: list[tuple[int, str]],
        categories: QuerySet[PartyCategory],
        groups: QuerySet[PartyGroup],
        tags: QuerySet[Tag],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["owner"].choices = [("", "—"), *owners]
        fields["category"].choices = [
            ("", "—"),
            ("none", _("Uncategorised")),
            *((str(c.pk), "\u2003" * (c.depth - 1) + c.name) for c in categories),
        ]
        self._categories = {str(c.pk): c for c in categories}
        fields["group"].queryset = groups
        fields["tag"].queryset = tags

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        needs = {
            BulkAction.ASSIGN_OWNER: "owner",
            BulkAction.MOVE_CATEGORY: "category",
            BulkAction.ADD_TO_GROUP: "group",
            BulkAction.REMOVE_FROM_GROUP: "group",
            BulkAction.ADD_TAG: "tag",
        }
        field = needs.get(action or "")
        if field and data.get(field) in (None, ""):
            self.add_error(field, _("Choose one for this action."))
        if action == BulkAction.MOVE_CATEGORY and data.get("category") not in (None, "", "none"):
            data["category_obj"] = self._categories.get(data["category"])
        return data


class GroupForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), max_length=255, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class GroupMembersForm(StyledFormMixin, forms.Form):
    ids = IdsField(widget=_IdsInput)


class SegmentForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), max_length=255, required=False)
    is_shared = forms.BooleanField(label=_("Share with the organisation"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class SaveSegmentForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Segment name"), max_length=100)
    is_shared = forms.BooleanField(label=_("Share with the organisation"), required=False)
    filters = forms.CharField(widget=forms.HiddenInput, required=False, max_length=4000)
