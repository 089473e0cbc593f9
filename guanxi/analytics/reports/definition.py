"""A report definition: its JSON shape (a pydantic schema) and its meaning (checked
against the registry's whitelisted columns, with field-level errors).

    {"object": "sales_lines",
     "columns": ["date", "customer", "net"],
     "filters": [{"field": "date", "op": "between", "value": ["2026-01-01", "2026-03-31"]}],
     "group_by": [{"field": "owner"}, {"field": "date", "period": "month"}],
     "aggregates": [{"field": "net", "func": "sum"}, {"func": "count"}],
     "sort": [{"field": "sum__net", "desc": true}],
     "chart": "bar"}

Errors are keyed by the part of the definition they belong to ("object", "columns",
"filters", "group_by", "aggregates", "sort", "chart") so forms and the API can show them
next to the right input.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import pydantic
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from guanxi.analytics.reports.registry import (
    CHOICE,
    DATE,
    NUMERIC_TYPES,
    TEXT,
    Column,
    ReportObject,
    column_map,
    report_object,
)

OPERATORS = ("eq", "ne", "contains", "gt", "gte", "lt", "lte", "between", "in", "isnull")
OPERATORS_BY_TYPE: dict[str, tuple[str, ...]] = {
    TEXT: ("eq", "ne", "contains", "in", "isnull"),
    CHOICE: ("eq", "ne", "in", "isnull"),
    "number": ("eq", "ne", "gt", "gte", "lt", "lte", "between", "in", "isnull"),
    "money": ("eq", "ne", "gt", "gte", "lt", "lte", "between", "in", "isnull"),
    DATE: ("eq", "gt", "gte", "lt", "lte", "between", "isnull"),
}
FUNCS = ("count", "sum", "avg", "min", "max")
PERIODS = ("", "month", "quarter", "year")
CHARTS = ("none", "bar", "line", "pie")
MAX_COLUMNS = 40
MAX_FILTERS = 20
MAX_IN_VALUES = 200


class FilterIn(pydantic.BaseModel):
    field: str = pydantic.Field(max_length=80)
    op: str = pydantic.Field(max_length=10)
    value: Any = None


class GroupIn(pydantic.BaseModel):
    field: str = pydantic.Field(max_length=80)
    period: str = ""


class AggregateIn(pydantic.BaseModel):
    func: str = pydantic.Field(max_length=10)
    field: str = pydantic.Field(default="", max_length=80)


class SortIn(pydantic.BaseModel):
    field: str = pydantic.Field(max_length=90)
    desc: bool = False


class DefinitionIn(pydantic.BaseModel):
    """The stored JSON shape of a report definition."""

    object: str = pydantic.Field(max_length=40)
    columns: list[str] = pydantic.Field(default_factory=list, max_length=MAX_COLUMNS)
    filters: list[FilterIn] = pydantic.Field(default_factory=list, max_length=MAX_FILTERS)
    group_by: list[GroupIn] = pydantic.Field(default_factory=list, max_length=2)
    aggregates: list[AggregateIn] = pydantic.Field(default_factory=list, max_length=40)
    sort: list[SortIn] = pydantic.Field(default_factory=list, max_length=3)
    chart: str = "none"


@dataclass
class Filter:
    column: Column
    op: str
    value: Any


@dataclass
class Group:
    column: Column
    period: str = ""

    @property
    def key(self) -> str:
        return f"g__{self.column.key}" + (f"__{self.period}" if self.period else "")


@dataclass
class Aggregate:
    func: str
    column: Column | None

    @property
    def key(self) -> str:
        return "count" if self.column is None else f"{self.func}__{self.column.key}"


@dataclass
class Definition:
    """A checked definition: every name resolved to a whitelisted column."""

    obj: ReportObject
    columns: list[Column]
    filters: list[Filter] = field(default_factory=list)
    group_by: list[Group] = field(default_factory=list)
    aggregates: list[Aggregate] = field(default_factory=list)
    sort: list[tuple[str, bool]] = field(default_factory=list)
    chart: str = "none"
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def grouped(self) -> bool:
        return bool(self.group_by)


def _parse_scalar(column: Column, value: Any) -> Any:
    """Return the value in the column's type; raise ValueError with a message."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(_("Enter a value."))
    if column.type in NUMERIC_TYPES:
        try:
            number = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation as exc:
            raise ValueError(_("“%(value)s” is not a number.") % {"value": value}) from exc
        if not number.is_finite():
            raise ValueError(_("“%(value)s” is not a number.") % {"value": value})
        return number
    if column.type == DATE:
        if isinstance(value, datetime.date):
            return value
        try:
            return datetime.date.fromisoformat(str(value).strip())
        except ValueError as exc:
            raise ValueError(
                _("“%(value)s” is not a date (use YYYY-MM-DD).") % {"value": value}
            ) from exc
    text = str(value).strip()
    if len(text) > 200:
        raise ValueError(_("The value is too long (at most 200 characters)."))
    if column.type == CHOICE and column.choices:
        allowed = {str(stored) for stored, _label in column.choices}
        if text not in allowed:
            # Accept the label too (what a person sees in the list).
            for stored, label in column.choices:
                if str(label) == text:
                    return stored
            raise ValueError(_("“%(value)s” is not one of the choices.") % {"value": text})
    return text


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str):
        return [part for part in value.replace("，", ",").split(",") if part.strip()]
    return [value]


def parse_filter_value(column: Column, op: str, value: Any) -> Any:
    """Return the value of a filter row, checked against the column; raise ValueError."""
    if op == "isnull":
        if isinstance(value, str):
            return value.strip().lower() not in {"0", "false", "no", "off", ""}
        return bool(value) if value is not None else True
    if op == "between":
        parts = _as_list(value)
        if len(parts) != 2:
            raise ValueError(_("Enter two values: from and to."))
        low, high = _parse_scalar(column, parts[0]), _parse_scalar(column, parts[1])
        if low > high:
            raise ValueError(_("The first value must not be greater than the second."))
        return [low, high]
    if op == "in":
        parts = _as_list(value)
        if not parts:
            raise ValueError(_("Enter at least one value."))
        if len(parts) > MAX_IN_VALUES:
            raise ValueError(_("Enter at most %(count)d values.") % {"count": MAX_IN_VALUES})
        return [_parse_scalar(column, part) for part in parts]
    return _parse_scalar(column, value)


def _add(errors: dict[str, list[str]], key: str, message: str) -> None:
    errors.setdefault(key, []).append(message)


def check_definition(data: Any, org_id: int) -> Definition:
    """Return the checked definition; raise ValidationError with field-level messages.

    Only names in the registry are accepted: an unknown column is an error, never a path.
    """
    try:
        raw = DefinitionIn.model_validate(data)
    except pydantic.ValidationError as error:
        errors: dict[str, list[str]] = {}
        for item in error.errors():
            where = str(item["loc"][0]) if item["loc"] else "object"
            _add(
                errors,
                where,
                _("This part of the report is not valid: %(msg)s") % {"msg": item["msg"]},
            )
        raise ValidationError(errors) from error
    errors = {}
    obj = report_object(raw.object)
    if obj is None:
        raise ValidationError({"object": [_("Choose what the report is about.")]})
    columns = column_map(obj, org_id)

    def resolve(name: str, where: str) -> Column | None:
        column = columns.get(name)
        if column is None:
            _add(errors, where, _("There is no column “%(name)s” on this object.") % {"name": name})
        return column

    chosen: list[Column] = []
    for name in raw.columns:
        column = resolve(name, "columns")
        if column is not None and column not in chosen:
            chosen.append(column)

    filters: list[Filter] = []
    for number, row in enumerate(raw.filters, start=1):
        column = resolve(row.field, "filters")
        if column is None:
            continue
        if row.op not in OPERATORS_BY_TYPE[column.type]:
            _add(
                errors,
                "filters",
                _("Filter %(n)d: “%(op)s” cannot be used on %(column)s.")
                % {"n": number, "op": row.op, "column": column.label},
            )
            continue
        try:
            value = parse_filter_value(column, row.op, row.value)
        except ValueError as exc:
            _add(
                errors,
                "filters",
                _("Filter %(n)d (%(column)s): %(message)s")
                % {"n": number, "column": column.label, "message": exc},
            )
            continue
        filters.append(Filter(column, row.op, value))

    groups: list[Group] = []
    for grow in raw.group_by:
        column = resolve(grow.field, "group_by")
        if column is None:
            continue
        if grow.period not in PERIODS or (grow.period and column.type != DATE):
            _add(errors, "group_by", _("Dates can be grouped by month, quarter or year only."))
            continue
        group = Group(column, grow.period)
        if any(g.key == group.key for g in groups):
            _add(errors, "group_by", _("Group by two different columns."))
            continue
        groups.append(group)

    aggregates: list[Aggregate] = []
    for arow in raw.aggregates:
        if arow.func not in FUNCS:
            _add(errors, "aggregates", _("“%(func)s” is not a total.") % {"func": arow.func})
            continue
        if arow.func == "count":
            aggregate = Aggregate("count", None)
        else:
            column = resolve(arow.field, "aggregates")
            if column is None:
                continue
            if not column.numeric:
                _add(
                    errors,
                    "aggregates",
                    _("%(column)s is not a number: it cannot be summed or averaged.")
                    % {"column": column.label},
                )
                continue
            aggregate = Aggregate(arow.func, column)
        if all(a.key != aggregate.key for a in aggregates):
            aggregates.append(aggregate)
    if groups and not aggregates:
        aggregates.append(Aggregate("count", None))

    if not groups and not chosen:
        _add(errors, "columns", _("Choose at least one column."))

    sortable = (
        {g.key for g in groups} | {a.key for a in aggregates} if groups else {c.key for c in chosen}
    )
    sort: list[tuple[str, bool]] = []
    for srow in raw.sort:
        name = srow.field
        if groups and name in columns:  # a group's column name stands for the group
            name = next((g.key for g in groups if g.column.key == name), name)
        if name not in sortable:
            _add(errors, "sort", _("Sort by a column the report shows."))
            continue
        sort.append((name, srow.desc))

    if raw.chart not in CHARTS:
        _add(errors, "chart", _("Choose a chart type."))
    elif raw.chart != "none" and not groups:
        _add(errors, "chart", _("A chart needs a group-by: group the rows first."))

    if errors:
        raise ValidationError(errors)
    return Definition(
        obj=obj,
        columns=chosen,
        filters=filters,
        group_by=groups,
        aggregates=aggregates,
        sort=sort,
        chart=raw.chart,
        raw=raw.model_dump(),
    )
