"""The audit trail (A5): list what changed, and restore an earlier version of a record."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction

from guanxi.core.versioning import save_versioned

# Bookkeeping columns that a restore must not copy back.
_NOT_RESTORED = {"id", "org", "version", "created_at", "updated_at", "deleted_at", "deleted_by"}


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: Any
    new: Any


@dataclass(frozen=True)
class HistoryEntry:
    record: Any  # the historical row
    changes: list[FieldChange]


def history_entries(obj: models.Model, *, limit: int = 100) -> list[HistoryEntry]:
    """Return the record's versions, newest first, each with the fields it changed."""
    records = list(
        obj.history.select_related("history_user").order_by("-history_date", "-history_id")[  # type: ignore[attr-defined]
            : limit + 1
        ]
    )
    entries: list[HistoryEntry] = []
    for newer, older in zip(records, [*records[1:], None], strict=False):
        if len(entries) == limit:
            break
        changes: list[FieldChange] = []
        if older is not None:
            delta = newer.diff_against(older)
            for change in delta.changes:
                if change.field in {"version", "updated_at"}:
                    continue
                label = str(
                    getattr(obj._meta.get_field(change.field), "verbose_name", change.field)
                )
                changes.append(FieldChange(change.field, label, change.old, change.new))
        entries.append(HistoryEntry(record=newer, changes=changes))
    return entries


@transaction.atomic
def restore_version(
    *,
    obj: models.Model,
    history_id: int,
    actor: Any,
    expected_version: int,
    keep: Iterable[str] = (),
    prepare: Callable[[Any], None] | None = None,
) -> Any:
    """Copy the business fields of an earlier version back onto the live record.

    The restore is itself a new version, so it appears in the history and can be undone.
    Fields named in `keep` keep their current value (e.g. a lock); `prepare(obj)` runs
    just before the save (e.g. to recompute derived fields).
    Raise StaleEdit if the record changed since the user looked at it; DoesNotExist if the
    version is not one of this record's.
    """
    historical = obj.history.get(history_id=history_id)  # type: ignore[attr-defined]
    kept = set(keep)
    for field in obj._meta.concrete_fields:
        if field.name in _NOT_RESTORED or field.name in kept or field.primary_key:
            continue
        setattr(obj, field.attname, getattr(historical, field.attname))
    if prepare is not None:
        prepare(obj)
    return save_versioned(obj, expected_version=expected_version)
