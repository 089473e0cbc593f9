"""Writes of behavioural types: set a customer's types (one transaction)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.analytics.behaviour.catalogue import BY_KEY
from guanxi.analytics.behaviour.models import CustomerBehaviour
from guanxi.core.scoping import org_scope


def clean_type_keys(keys: Iterable[Any]) -> list[str]:
    """The keys in catalogue order, duplicates dropped; an unknown key is a field error."""
    given = [str(k).strip() for k in keys]
    unknown = [k for k in given if k not in BY_KEY]
    if unknown:
        raise ValidationError(
            {
                "types": _("Unknown behavioural type: %(keys)s.")
                % {"keys": ", ".join(sorted(set(unknown)))}
            }
        )
    wanted = set(given)
    return [key for key in BY_KEY if key in wanted]


@transaction.atomic
def set_customer_types(*, org: Any, actor: Any, party: Any, keys: Iterable[Any]) -> list[str]:
    """Make `keys` the customer's behavioural types (an empty list clears them).

    Types the customer keeps keep their original assigner and time; new ones record
    `actor` and now. Returns the customer's keys in catalogue order.
    """
    org_id = getattr(org, "pk", org)
    if party.org_id != org_id:
        raise ValidationError({"party": _("This customer belongs to another organisation.")})
    cleaned = clean_type_keys(keys)
    with org_scope(org_id):
        current = set(
            CustomerBehaviour.objects.filter(org_id=org_id, party=party).values_list(
                "type_key", flat=True
            )
        )
        removed = current - set(cleaned)
        if removed:
            CustomerBehaviour.objects.filter(
                org_id=org_id, party=party, type_key__in=removed
            ).delete()
        CustomerBehaviour.objects.bulk_create(
            [
                CustomerBehaviour(org_id=org_id, party=party, type_key=key, assigned_by=actor)
                for key in cleaned
                if key not in current
            ],
            ignore_conflicts=True,
        )
    return cleaned
