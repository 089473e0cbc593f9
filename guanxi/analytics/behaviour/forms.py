"""The form that sets a customer's behavioural types."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.analytics.behaviour.catalogue import TYPES


class CustomerTypesForm(forms.Form):
    """Tick the customer's types; none ticked clears them. An unknown key is a field
    error (MultipleChoiceField's "Select a valid choice")."""

    types = forms.MultipleChoiceField(
        label=_("Behavioural types"),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built per request so the names follow the interface language.
        self.fields["types"].choices = [(t.key, t.name) for t in TYPES]  # type: ignore[attr-defined]
