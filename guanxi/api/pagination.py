"""Keyset (cursor) pagination for every API list (ARCHITECTURE rule 7).

A list declares its sort order; a page is "the next `limit` rows after this row", found
with a WHERE on the sort values of the previous page's last row, so the database walks
an index instead of counting and skipping rows (no OFFSET, no COUNT).

    @router.get("/users", response={200: list[UserOut], **error_responses(*AUTH_ERRORS)})
    @paginate_keyset("user__username", "id")
    def list_users(request): ...

The answer is `{"items": [...], "next_cursor": "…" | null}`. A cursor is base64url JSON
of the last row's sort values: opaque to clients, and checked on the way back in.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import decimal
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.db.models import F, Field, Model, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field as SchemaField
from ninja import Schema
from ninja.pagination import PaginationBase, paginate

from guanxi.core.exceptions import DomainError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Sort values are short; a longer cursor was not made here.
MAX_CURSOR_LENGTH = 2048
_ANNOTATION_PREFIX = "_keyset_"


class InvalidCursor(DomainError):
    status_code = 400
    code = "invalid_cursor"
    default_message = _("This cursor is not valid. Start again from the first page.")


@dataclass(frozen=True)
class SortKey:
    """One column of a keyset ordering, resolved against the queryset's model."""

    path: str
    alias: str  # the annotation that carries the value out of the query
    descending: bool
    field: Field[Any, Any] | None  # None for an annotation: values are compared as sent
    nullable: bool

    def decode(self, value: Any) -> Any:
        if value is None:
            if not self.nullable:
                raise InvalidCursor(field="cursor")
            return None
        if isinstance(value, list | dict):
            raise InvalidCursor(field="cursor")
        if self.field is None:
            return value
        try:
            return self.field.to_python(value)
        except (ValidationError, TypeError, ValueError, decimal.InvalidOperation) as exc:
            raise InvalidCursor(field="cursor") from exc


def _resolve(model: type[Model], path: str) -> tuple[Field[Any, Any] | None, bool]:
    """Return the model field at the end of `path` (`user__username`) and whether the
    column can be NULL; the field is None for a name that is no field (an annotation).
    """
    field: Any = None
    nullable = False
    for part in path.split("__"):
        if field is not None:
            if not field.is_relation:
                return None, True
            model = field.related_model
        try:
            field = model._meta.pk if part == "pk" else model._meta.get_field(part)
        except FieldDoesNotExist:
            return None, True
        # A nullable or reverse relation on the way makes the joined column NULL-able.
        nullable = nullable or bool(getattr(field, "null", False)) or not field.concrete
    if field is not None and field.is_relation and path.split("__")[-1] != field.attname:
        # Ordering by a relation orders by the related model's Meta.ordering, which the
        # cursor cannot reproduce; order by `team__name` or `team_id` instead.
        raise ImproperlyConfigured(f"keyset ordering {path!r} is a relation; name a column")
    return field, nullable


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


class KeysetPageIn(Schema):
    cursor: str | None = SchemaField(
        None, description="`next_cursor` from the previous page; omit for the first page."
    )
    limit: int = SchemaField(
        DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="How many items to return."
    )


class KeysetPageOut(Schema):
    items: list[Any]
    next_cursor: str | None = SchemaField(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


class KeysetPagination(PaginationBase):
    """Pages a queryset by a declared ordering; see the module docstring."""

    # Named classes, so OpenAPI does not get a component called just "Input".
    Input = KeysetPageIn  # type: ignore[assignment]
    Output = KeysetPageOut  # type: ignore[assignment]

    items_attribute = "items"

    def __init__(self, *, ordering: Sequence[str], **kwargs: Any) -> None:
        if not ordering:
            raise ImproperlyConfigured("KeysetPagination needs an ordering")
        self.ordering = tuple(ordering)
        super().__init__(**kwargs)

    # --- ordering -----------------------------------------------------------------

    def sort_keys(self, model: type[Model]) -> list[SortKey]:
        """Resolve the ordering; end with the primary key so the order is total."""
        keys = []
        for index, item in enumerate(self.ordering):
            path = item.removeprefix("-")
            field, nullable = _resolve(model, path)
            keys.append(
                SortKey(
                    path=path,
                    alias=f"{_ANNOTATION_PREFIX}{index}",
                    descending=item.startswith("-"),
                    field=field,
                    nullable=nullable,
                )
            )
        if not any(key.field is not None and key.field.primary_key for key in keys):
            pk = model._meta.pk
            if pk is None:  # pragma: no cover (only abstract models lack one)
                raise ImproperlyConfigured(f"{model.__name__} has no primary key")
            keys.append(
                SortKey(
                    path="pk",
                    alias=f"{_ANNOTATION_PREFIX}{len(keys)}",
                    descending=keys[-1].descending,
                    field=pk,
                    nullable=False,
                )
            )
        return keys

    @staticmethod
    def order_by(keys: Sequence[SortKey]) -> list[Any]:
        # NULLs sort last in both directions on every database, so the WHERE below is the
        # same on SQLite (NULLs first by default) and PostgreSQL (NULLs last). Columns that
        # cannot be NULL keep a plain ORDER BY, which any index on them can serve.
        order = []
        for key in keys:
            nulls_last = True if key.nullable else None
            expression = F(key.path)
            order.append(
                expression.desc(nulls_last=nulls_last)
                if key.descending
                else expression.asc(nulls_last=nulls_last)
            )
        return order

    @staticmethod
    def after(keys: Sequence[SortKey], values: Sequence[Any]) -> Q:
        """Return the rows that sort strictly after the row whose sort values are `values`.

        The row-value comparison (a, b, c) > (x, y, z), spelled out so that it works with
        mixed directions and NULLs: a > x OR (a = x AND b > y) OR (a = x AND b = y AND c > z).
        """
        branches = []
        equal_so_far = Q()
        for key, value in zip(keys, values, strict=True):
            if value is None:
                # NULLs come last, so within this column nothing comes after a NULL.
                equal_so_far &= Q(**{f"{key.path}__isnull": True})
                continue
            lookup = "lt" if key.descending else "gt"
            beyond = Q(**{f"{key.path}__{lookup}": value})
            if key.nullable:
                beyond |= Q(**{f"{key.path}__isnull": True})
            branches.append(equal_so_far & beyond)
            equal_so_far &= Q(**{key.path: value})
        if not branches:
            return Q(pk__in=[])  # matches nothing: the row was the very last one
        condition = branches[0]
        for branch in branches[1:]:
            condition |= branch
        first, first_value = keys[0], values[0]
        if first_value is not None and not first.nullable:
            # A plain range on the leading column lets the database seek with its index.
            lookup = "lte" if first.descending else "gte"
            condition &= Q(**{f"{first.path}__{lookup}": first_value})
        return condition

    # --- cursors ------------------------------------------------------------------

    @staticmethod
    def encode_cursor(values: Sequence[Any]) -> str:
        raw = json.dumps([_encode_value(v) for v in values], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @staticmethod
    def decode_cursor(cursor: str, keys: Sequence[SortKey]) -> list[Any]:
        """Return the sort values in `cursor`; raise InvalidCursor for anything else."""
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise InvalidCursor(field="cursor")
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            values = json.loads(raw)
        except (binascii.Error, ValueError, RecursionError) as exc:
            raise InvalidCursor(field="cursor") from exc
        if not isinstance(values, list) or len(values) != len(keys):
            raise InvalidCursor(field="cursor")
        return [key.decode(value) for key, value in zip(keys, values, strict=True)]

    # --- the page -----------------------------------------------------------------

    def paginate_queryset(
        self,
        queryset: QuerySet[Any],
        pagination: KeysetPageIn,
        request: HttpRequest,
        **params: Any,
    ) -> dict[str, Any]:
        if not isinstance(queryset, QuerySet):
            raise TypeError("keyset pagination needs a QuerySet")
        keys = self.sort_keys(queryset.model)
        queryset = queryset.annotate(**{key.alias: F(key.path) for key in keys}).order_by(
            *self.order_by(keys)
        )
        if pagination.cursor:
            queryset = queryset.filter(
                self.after(keys, self.decode_cursor(pagination.cursor, keys))
            )
        # One row more than asked tells whether another page exists, without a COUNT.
        rows = list(queryset[: pagination.limit + 1])
        items, more = rows[: pagination.limit], len(rows) > pagination.limit
        next_cursor = None
        if more:
            last = items[-1]
            next_cursor = self.encode_cursor([getattr(last, key.alias) for key in keys])
        return {self.items_attribute: items, "next_cursor": next_cursor}


def paginate_keyset(*ordering: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a list operation returning a QuerySet: page it by `ordering`."""
    return paginate(KeysetPagination, ordering=ordering)  # type: ignore[no-any-return]
