"""The recycle bin (A6): deleted records stay restorable for GUANXI_RECYCLE_BIN_DAYS days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.exceptions import DeletionRefused, DomainError, NotInRecycleBin
from guanxi.core.models import SoftDeleteModel


def recyclable_models() -> list[type[SoftDeleteModel]]:
    """Return every concrete model that goes to the recycle bin instead of being deleted."""
    return [
        model
        for model in apps.get_models()
        if issubclass(model, SoftDeleteModel) and not model._meta.abstract
    ]


def model_key(model: type[Any]) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def recyclable_model(key: str) -> type[SoftDeleteModel] | None:
    for model in recyclable_models():
        if model_key(model) == key:
            return model
    return None


class RestoreConflict(DomainError):
    status_code = 409
    code = "restore_conflict"


@dataclass(frozen=True)
class RecycledItem:
    model_key: str
    type_label: str
    pk: int
    label: str
    deleted_at: datetime
    deleted_by: str
    purge_on: datetime


@transaction.atomic
def move_to_recycle_bin(*, obj: SoftDeleteModel, actor: Any) -> SoftDeleteModel:
    """Move `obj` to the recycle bin.

    Raise DeletionRefused if the record says it may not be deleted (e.g. it is locked).
    """
    reason = obj.deletion_blocker()
    if reason:
        raise DeletionRefused(reason)
    obj.deleted_at = timezone.now()
    obj.deleted_by = actor if getattr(actor, "pk", None) else None
    if hasattr(obj, "version"):
        obj.version += 1
    obj.save()
    return obj


@transaction.atomic
def restore_from_recycle_bin(*, obj: SoftDeleteModel, actor: Any) -> SoftDeleteModel:
    """Bring `obj` back from the recycle bin.

    Raise NotInRecycleBin if it is not deleted, RestoreConflict if a live record has
    taken its unique name or code meanwhile.
    """
    if obj.deleted_at is None:
        raise NotInRecycleBin()
    obj.deleted_at = None
    obj.deleted_by = None
    if hasattr(obj, "version"):
        obj.version += 1
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise RestoreConflict(
            _(
                "“%(label)s” cannot be restored because another record now has the same "
                "name or code. Rename or delete that one first."
            )
            % {"label": obj.recycle_bin_label()}
        ) from exc
    return obj


def purge_deadline(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.GUANXI_RECYCLE_BIN_DAYS)


def purge_expired(*, now: datetime | None = None) -> int:
    """Delete for good every record that has been in the recycle bin longer than allowed.

    Runs across all organisations (called by the scheduler outside any request).
    """
    from django_scopes import scopes_disabled

    deadline = purge_deadline(now)
    removed = 0
    with scopes_disabled():
        for model in recyclable_models():
            stale = model.all_objects.filter(deleted_at__lt=deadline)  # type: ignore[attr-defined]
            for obj in stale.iterator():
                obj.delete()
                removed += 1
    return removed
