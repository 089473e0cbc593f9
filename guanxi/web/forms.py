"""Tabler (Bootstrap 5) styling for every Django form, in one place."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.renderers import DjangoTemplates


class TablerFormRenderer(DjangoTemplates):
    form_template_name = "web/components/form.html"
    field_template_name = "web/components/field.html"


def style_widgets(form: forms.BaseForm) -> None:
    """Give each widget the Tabler class it needs, and mark invalid fields."""
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(
            widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect
        ):
            css = "form-check-input"
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            css = "form-select"
        else:
            css = "form-control"
        classes = widget.attrs.get("class", "").split()
        wanted = [css, "is-invalid"] if form.is_bound and name in form.errors else [css]
        # Runs on every field access, so add each class once.
        widget.attrs["class"] = " ".join([*classes, *(c for c in wanted if c not in classes)])


class StyledFormMixin:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        style_widgets(self)  # type: ignore[arg-type]

    def __getitem__(self, name: str) -> Any:
        style_widgets(self)  # type: ignore[arg-type]
        return super().__getitem__(name)  # type: ignore[misc]
