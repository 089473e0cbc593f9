"""Reads for the core pages: the recycle bin (A6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.text import capfirst

from guanxi.core.models import SoftDeleteModel
from guanxi.core.permissions import (
    DELETE,
    VIEW,
    MembershipLike,
    has_perm,
    is_org_admin,
    object_types,
    visible,
)
from guanxi.core.recycle_bin import RecycledItem, model_key, recyclable_models


def permission_type_of(model: type[Any]) -> str | None:
    """Return the registered object type whose permissions govern `model`.

    A model names it in its `permission_type` attribute. None when it names none (or an
    unregistered one): such records are left to administrators.
    """
    type_key = getattr(model, "permission_type", None)
    if type_key in {t.key for t in object_types()}:
        return str(type_key)
    return None


def _may_view(model: type[Any], membership: MembershipLike | None) -> bool:
    type_key = permission_type_of(model)
    if type_key is None:
        return is_org_admin(membership)
    return has_perm(membership, VIEW, type_key)


def may_restore(model: type[Any], membership: MembershipLike | None) -> bool:
    """Restoring undoes a deletion, so it needs the right to delete records of the type."""
    type_key = permission_type_of(model)
    if type_key is None:
        return is_org_admin(membership)
    return has_perm(membership, DELETE, type_key)


def recycled(model: type[SoftDeleteModel], membership: MembershipLike | None) -> QuerySet[Any]:
    """The member's visible records of `model` that are in the recycle bin."""
    qs = model.all_objects.deleted()  # type: ignore[attr-defined]
    type_key = permission_type_of(model)
    if type_key is None:
        if membership is None or not is_org_admin(membership):
            return qs.none()  # type: ignore[no-any-return]
        return qs.filter(org_id=membership.org_id)  # type: ignore[no-any-return]
    return visible(qs, membership, type_key)


@dataclass(frozen=True)
class RecycleBinType:
    model_key: str
    label: str
    may_restore: bool


@dataclass(frozen=True)
class RecycleBinListing:
    items: list[RecycledItem]
    types: list[RecycleBinType]  # every kind of record the member may see in the bin

    @property
    def restorable(self) -> frozenset[str]:
        return frozenset(t.model_key for t in self.types if t.may_restore)


def recycle_bin_listing(
    membership: MembershipLike | None, *, only: str | None = None
) -> RecycleBinListing:
    """Return the recycle bin as the member sees it, newest deletion first.

    One query per kind of record (plus the team look-up of team visibility), whatever
    the number of rows. `only` narrows the listing to one model key.
    """
    keep_for = timedelta(days=settings.GUANXI_RECYCLE_BIN_DAYS)
    types: list[RecycleBinType] = []
    items: list[RecycledItem] = []
    for model in recyclable_models():
        if not _may_view(model, membership):
            continue
        key = model_key(model)
        label = str(capfirst(model._meta.verbose_name))
        types.append(RecycleBinType(key, label, may_restore(model, membership)))
        if only and key != only:
            continue
        rows = recycled(model, membership).select_related("deleted_by").order_by("-deleted_at")
        items.extend(
            RecycledItem(
                model_key=key,
                type_label=label,
                pk=obj.pk,
                label=obj.recycle_bin_label(),
                deleted_at=obj.deleted_at,
                deleted_by=str(obj.deleted_by) if obj.deleted_by_id else "",
                purge_on=obj.deleted_at + keep_for,
            )
            for obj in rows
        )
    items.sort(key=lambda item: item.deleted_at, reverse=True)
    types.sort(key=lambda t: t.label)
    return RecycleBinListing(items=items, types=types)


def get_recycled_for_restore(
    model: type[SoftDeleteModel], membership: MembershipLike | None, pk: Any
) -> SoftDeleteModel:
    """Return a record in the bin the member may restore.

    Raise Http404 when it is not in the bin or not visible to the member, PermissionDenied
    when it is visible but the member may not restore records of its type.
    """
    try:
        obj = recycled(model, membership).get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if not may_restore(model, membership):
        raise PermissionDenied
    return obj  # type: ignore[no-any-return]
