"""Forms of import, merge, the pool settings and handover."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.parties.importing import MATCH_CHOICES, MAX_UPLOAD_BYTES
from guanxi.parties.merging import DUPLICATE, KEEP
from guanxi.parties.models import ImportJob
from guanxi.web.forms import StyledFormMixin


class ImportUploadForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "A .csv (UTF-8 or GBK, as Excel saves it), .xlsx or .xls file, at most %(mb)s MB."
        )
        % {"mb": MAX_UPLOAD_BYTES // 1024 // 1024},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx,.xls"}),
    )


class ImportMappingForm(StyledFormMixin, forms.Form):
    """One select per file column, plus what to do with duplicates."""

    duplicate_policy = forms.ChoiceField(
        label=_("Rows that duplicate a customer"),
        choices=ImportJob.DuplicatePolicy.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Update fills in only the existing customer's empty fields; it never overwrites "
            "what is there and never changes the owner."
        ),
    )
    match_on = forms.MultipleChoiceField(
        label=_("Duplicates are customers with the same"),
        choices=MATCH_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    create_categories = forms.BooleanField(
        label=_("Create categories the file names that do not exist yet"),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        headers: list[str],
        choices: list[tuple[str, str]],
        samples: list[list[str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers
        self.samples = samples or []
        options = [("", _("— do not import —")), *choices]
        for index, header in enumerate(headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header or _("(column %(n)s)") % {"n": index + 1},
                choices=options,
                required=False,
            )

    def column_rows(self) -> list[dict[str, Any]]:
        rows = []
        for index, header in enumerate(self.headers):
            rows.append(
                {
                    "header": header,
                    "field": self[f"col_{index}"],
                    "samples": [s[index] for s in self.samples if index < len(s) and s[index]],
                }
            )
        return rows

    def columns(self) -> list[str]:
        return [self.cleaned_data.get(f"col_{i}") or "" for i in range(len(self.headers))]


class MergeForm(forms.Form):
    """For each field whose values differ, keep the survivor's or take the duplicate's."""

    keep_version = forms.IntegerField(widget=forms.HiddenInput)
    duplicate_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, preview: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.preview = preview
        for row in preview:
            self.fields[f"field_{row['name']}"] = forms.ChoiceField(
                label=row["label"],
                choices=[(KEEP, row["keep"] or "—"), (DUPLICATE, row["duplicate"] or "—")],
                initial=row["choice"],
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                required=False,  # left out: the default choice
            )

    def choices(self) -> dict[str, str]:
        return {
            name.removeprefix("field_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("field_") and value
        }

    def rows(self) -> list[dict[str, Any]]:
        return [{**row, "field": self[f"field_{row['name']}"]} for row in self.preview]


class PoolSettingsForm(StyledFormMixin, forms.Form):
    pool_after_days = forms.IntegerField(
        label=_("Return customers to the pool after this many days without follow-up"),
        min_value=0,
        max_value=3650,
        help_text=_(
            "Counted from the last contact record (or from when the customer was added, "
            "claimed or handed over). 0 switches the automatic return off."
        ),
    )
    pool_claim_limit = forms.IntegerField(
        label=_("Most customers one rep may own when claiming from the pool"),
        min_value=0,
        max_value=1_000_000,
        help_text=_("0 means no limit."),
    )


class HandoverForm(StyledFormMixin, forms.Form):
    from_user = forms.TypedChoiceField(label=_("From (the departing person)"), coerce=int)
    to_user = forms.TypedChoiceField(label=_("Hand over to"), coerce=int)
    steps = forms.MultipleChoiceField(
        label=_("Hand over"), widget=forms.CheckboxSelectMultiple, required=True
    )

    def __init__(
        self,
        *args: Any,
        members: list[tuple[int, str]],
        active: list[tuple[int, str]],
        steps: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        blank = [("", "—")]
        self.fields["from_user"].choices = blank + members
        self.fields["to_user"].choices = blank + active
        self.fields["steps"].choices = steps
        self.fields["steps"].initial = [key for key, _label in steps]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("from_user") and data.get("from_user") == data.get("to_user"):
            self.add_error("to_user", _("Choose two different people."))
        return data
