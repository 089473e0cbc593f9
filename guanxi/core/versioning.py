"""Optimistic locking (ARCHITECTURE rule 3): a stale edit is refused, never applied."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.db import models, transaction
from django.db.models import F

from guanxi.core.exceptions import StaleEdit

# Any model with an integer `version` column (VersionedModel, Organisation).
M = TypeVar("M", bound=models.Model)


def save_versioned(
    instance: M,
    *,
    expected_version: int,
    update_fields: Iterable[str] | None = None,
) -> M:
    """Save `instance` only if the stored row still has `expected_version`, and bump it.

    The conditional UPDATE both checks and claims the row inside one transaction, so of
    two concurrent edits started from the same version exactly one wins.

    Raise StaleEdit if the row changed (or vanished) since the edit began.
    """
    model = type(instance)
    with transaction.atomic():
        claimed = model._base_manager.filter(pk=instance.pk, version=expected_version).update(
            version=F("version") + 1
        )
        if claimed != 1:
            raise StaleEdit()
        instance.version = expected_version + 1  # type: ignore[attr-defined]
        if update_fields is not None:
            fields = {*update_fields, "version"}
            if hasattr(instance, "updated_at"):
                fields.add("updated_at")
            instance.save(update_fields=fields)
        else:
            instance.save()
    return instance
