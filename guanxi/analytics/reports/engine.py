"""Running a report: one ORM query for the rows and one for the totals, in SQL.

The rows start from the object's visible rows for the member (rule 2), then the
definition's filters; grouped reports use `values()` + `annotate()` so grouping,
aggregates and totals happen in the database; detail reports read `values()` of the
chosen columns, a page at a time (limit/offset, at most MAX_PAGE rows a page).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncMonth, TruncQuarter, TruncYear
from django.utils import timezone

from guanxi.analytics.reports.definition import Aggregate, Definition, Filter, Group
from guanxi.analytics.reports.registry import DATE, Column
from guanxi.core.permissions import MembershipLike

PAGE_SIZE = 100
MAX_PAGE = 1000
# Exports and mails read the whole result, in chunks, up to this many rows.
EXPORT_LIMIT = 100_000
FUNCS = {"sum": Sum, "avg": Avg, "min": Min, "max": Max}
TRUNC = {"month": TruncMonth, "quarter": TruncQuarter, "year": TruncYear}


@dataclass
class Header:
    key: str
    label: str
    type: str
    numeric: bool


@dataclass
class Row:
    cells: list[Any]  # display values (str / Decimal / int / None)
    raw: dict[str, Any] = field(default_factory=dict)  # group values, for drill-down


@dataclass
class Result:
    headers: list[Header]
    rows: list[Row]
    totals: list[Any] | None
    grouped: bool
    offset: int = 0
    limit: int = PAGE_SIZE
    has_more: bool = False
    total_count: int = 0

    @property
    def next_offset(self) -> int | None:
        return self.offset + len(self.rows) if self.has_more else None


def _ref(column: Column) -> str:
    """The name a query uses for the column (its path, or its annotation alias)."""
    return column.alias if column.expression is not None else column.path


def _annotated(qs: QuerySet[Any], columns: list[Column]) -> QuerySet[Any]:
    extra = {c.alias: c.expression() for c in columns if c.expression is not None}
    return qs.annotate(**extra) if extra else qs


def _lookup(column: Column) -> str:
    ref = _ref(column)
    return f"{ref}__date" if column.is_datetime else ref


def filter_q(flt: Filter) -> Q:
    """The Q of one checked filter row."""
    name = _lookup(flt.column)
    op, value = flt.op, flt.value
    if op == "isnull":
        if flt.column.type in ("text", "choice") and flt.column.expression is None:
            empty = Q(**{f"{name}__isnull": True}) | Q(**{name: ""})
            return empty if value else ~empty
        return Q(**{f"{name}__isnull": bool(value)})
    if op == "eq":
        return Q(**{name: value})
    if op == "ne":
        return ~Q(**{name: value}) | Q(**{f"{name}__isnull": True})
    if op == "contains":
        return Q(**{f"{name}__icontains": value})
    if op == "between":
        return Q(**{f"{name}__gte": value[0], f"{name}__lte": value[1]})
    return Q(**{f"{name}__{op}": value})


def base_queryset(definition: Definition, membership: MembershipLike | None) -> QuerySet[Any]:
    """The visible rows of the report's object with the definition's filters applied."""
    used = [
        *definition.columns,
        *(f.column for f in definition.filters),
        *(g.column for g in definition.group_by),
        *(a.column for a in definition.aggregates if a.column is not None),
    ]
    qs = _annotated(definition.obj.rows(membership).order_by(), used)
    for flt in definition.filters:
        qs = qs.filter(filter_q(flt))
    return qs


def _group_expression(group: Group) -> Any:
    """The grouping expression of a date group (None: group by the column itself)."""
    ref = _ref(group.column)
    kwargs: dict[str, Any] = (
        {"tzinfo": timezone.get_current_timezone()} if group.column.is_datetime else {}
    )
    if group.period:
        return TRUNC[group.period](ref, **kwargs)
    if group.column.is_datetime:
        return TruncDate(ref, **kwargs)
    return None


def _aggregate_expression(aggregate: Aggregate) -> Any:
    if aggregate.column is None:
        return Count("pk")
    return FUNCS[aggregate.func](_ref(aggregate.column))


def period_label(value: Any, period: str) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if period == "month":
        return f"{value.year}-{value.month:02d}"
    if period == "quarter":
        return f"{value.year}-Q{(value.month - 1) // 3 + 1}"
    return f"{value.year}"


def period_bounds(value: datetime.date, period: str) -> tuple[datetime.date, datetime.date]:
    if isinstance(value, datetime.datetime):
        value = value.date()
    if period == "year":
        return datetime.date(value.year, 1, 1), datetime.date(value.year, 12, 31)
    months = 3 if period == "quarter" else 1
    start = datetime.date(value.year, value.month, 1)
    end_month = value.month + months
    end_year = value.year + (end_month - 1) // 12
    end = datetime.date(end_year, (end_month - 1) % 12 + 1, 1) - datetime.timedelta(days=1)
    return start, end


def display(column: Column | None, value: Any, period: str = "") -> Any:
    """A cell as people read it: choice labels, ISO dates, rounded money."""
    if value is None:
        return None
    if period:
        return period_label(value, period)
    if column is not None and column.type == "choice":
        return column.choice_label(value)
    if isinstance(value, datetime.datetime):
        return (
            timezone.localtime(value).date().isoformat()
            if timezone.is_aware(value)
            else value.date().isoformat()
        )
    if isinstance(value, datetime.date):
        return value.isoformat()
    if column is not None and column.type == "money" and isinstance(value, (Decimal, float, int)):
        return Decimal(value).quantize(Decimal("0.01"))
    if isinstance(value, float):
        return Decimal(str(round(value, 4)))
    return value


def _aggregate_display(aggregate: Aggregate, value: Any) -> Any:
    if value is None:
        return None
    if aggregate.column is None:
        return value
    if aggregate.func == "avg" or aggregate.column.type == "money":
        return Decimal(str(value)).quantize(Decimal("0.01"))
    return display(aggregate.column, value)


def aggregate_label(aggregate: Aggregate) -> str:
    from django.utils.translation import gettext as _

    if aggregate.column is None:
        return _("Count")
    names = {
        "sum": _("Sum of %(column)s"),
        "avg": _("Average of %(column)s"),
        "min": _("Minimum of %(column)s"),
        "max": _("Maximum of %(column)s"),
    }
    return names[aggregate.func] % {"column": aggregate.column.label}


def headers(definition: Definition) -> list[Header]:
    if definition.grouped:
        out = []
        for group in definition.group_by:
            out.append(
                Header(
                    group.key,
                    str(group.column.label),
                    group.column.type if not group.period else "text",
                    False,
                )
            )
        for aggregate in definition.aggregates:
            out.append(
                Header(
                    aggregate.key,
                    aggregate_label(aggregate),
                    "money"
                    if aggregate.column is not None and aggregate.column.type == "money"
                    else "number",
                    True,
                )
            )
        return out
    return [Header(c.key, str(c.label), c.type, c.numeric) for c in definition.columns]


def _ordering(definition: Definition, refs: dict[str, str]) -> list[str]:
    order = [("-" if desc else "") + refs[name] for name, desc in definition.sort if name in refs]
    if definition.grouped:
        order += [refs[g.key] for g in definition.group_by]
    else:
        order.append("pk")
    return order


def grouped_queryset(definition: Definition, membership: MembershipLike | None) -> QuerySet[Any]:
    qs = base_queryset(definition, membership)
    group_refs: dict[str, str] = {}
    annotations: dict[str, Any] = {}
    for group in definition.group_by:
        expression = _group_expression(group)
        if expression is not None:
            annotations[group.key] = expression
            group_refs[group.key] = group.key
        else:
            group_refs[group.key] = _ref(group.column)
    if annotations:
        qs = qs.annotate(**annotations)
    aggregates = {f"a__{a.key}": _aggregate_expression(a) for a in definition.aggregates}
    qs = qs.values(*group_refs.values()).annotate(**aggregates)
    refs = {**group_refs, **{a.key: f"a__{a.key}" for a in definition.aggregates}}
    return qs.order_by(*_ordering(definition, refs))


def detail_queryset(definition: Definition, membership: MembershipLike | None) -> QuerySet[Any]:
    qs = base_queryset(definition, membership)
    refs = {c.key: _ref(c) for c in definition.columns}
    return qs.values("pk", *refs.values()).order_by(*_ordering(definition, refs))


def totals(definition: Definition, membership: MembershipLike | None) -> tuple[list[Any], int]:
    """The totals row (one aggregate query) and the number of underlying records."""
    qs = base_queryset(definition, membership)
    wanted: dict[str, Any] = {"n__records": Count("pk")}
    if definition.grouped:
        for aggregate in definition.aggregates:
            wanted[f"a__{aggregate.key}"] = _aggregate_expression(aggregate)
    else:
        for column in definition.columns:
            if column.numeric:
                wanted[f"a__{column.key}"] = Sum(_ref(column))
    found = qs.aggregate(**wanted)
    count = int(found["n__records"] or 0)
    if definition.grouped:
        cells = [None] * len(definition.group_by) + [
            _aggregate_display(a, found[f"a__{a.key}"]) for a in definition.aggregates
        ]
    else:
        cells = [
            display(c, found[f"a__{c.key}"]) if c.numeric else None for c in definition.columns
        ]
    return cells, count


def _grouped_row(definition: Definition, item: dict[str, Any], group_refs: list[str]) -> Row:
    cells: list[Any] = []
    raw: dict[str, Any] = {}
    for group, ref in zip(definition.group_by, group_refs, strict=True):
        value = item[ref]
        raw[group.key] = value
        cells.append(display(group.column, value, group.period))
    for aggregate in definition.aggregates:
        cells.append(_aggregate_display(aggregate, item[f"a__{aggregate.key}"]))
    return Row(cells, raw)


def _detail_row(definition: Definition, item: dict[str, Any]) -> Row:
    return Row([display(c, item[_ref(c)]) for c in definition.columns], {"pk": item["pk"]})


def group_refs(definition: Definition) -> list[str]:
    return [
        g.key if (g.period or g.column.is_datetime) else _ref(g.column) for g in definition.group_by
    ]


def run(
    definition: Definition,
    membership: MembershipLike | None,
    *,
    offset: int = 0,
    limit: int = PAGE_SIZE,
    with_totals: bool = True,
) -> Result:
    """One page of the report's rows (and its totals row), as the member may see them."""
    offset = max(0, int(offset))
    limit = max(1, min(int(limit), MAX_PAGE))
    if definition.grouped:
        qs = grouped_queryset(definition, membership)
        refs = group_refs(definition)
        items = list(qs[offset : offset + limit + 1])
        rows = [_grouped_row(definition, item, refs) for item in items[:limit]]
    else:
        qs = detail_queryset(definition, membership)
        items = list(qs[offset : offset + limit + 1])
        rows = [_detail_row(definition, item) for item in items[:limit]]
    total_cells, count = totals(definition, membership) if with_totals else (None, 0)
    return Result(
        headers=headers(definition),
        rows=rows,
        totals=total_cells,
        grouped=definition.grouped,
        offset=offset,
        limit=limit,
        has_more=len(items) > limit,
        total_count=count,
    )


def iter_rows(
    definition: Definition, membership: MembershipLike | None, limit: int = EXPORT_LIMIT
) -> Any:
    """Every row of the report (for exports), read in chunks."""
    if definition.grouped:
        refs = group_refs(definition)
        for item in grouped_queryset(definition, membership)[:limit].iterator(chunk_size=2000):
            yield _grouped_row(definition, item, refs)
    else:
        for item in detail_queryset(definition, membership)[:limit].iterator(chunk_size=2000):
            yield _detail_row(definition, item)


def drill_filters(definition: Definition, raw: dict[str, Any]) -> list[dict[str, Any]]:
    """The filter rows that select the records behind one grouped row."""
    out: list[dict[str, Any]] = []
    for group in definition.group_by:
        if group.key not in raw:
            continue
        value = raw[group.key]
        if value is None or value == "":
            out.append({"field": group.column.key, "op": "isnull", "value": True})
        elif group.period:
            start, end = period_bounds(value, group.period)
            out.append(
                {
                    "field": group.column.key,
                    "op": "between",
                    "value": [start.isoformat(), end.isoformat()],
                }
            )
        elif group.column.type == DATE:
            day = value.date() if isinstance(value, datetime.datetime) else value
            out.append({"field": group.column.key, "op": "eq", "value": day.isoformat()})
        else:
            out.append({"field": group.column.key, "op": "eq", "value": str(value)})
    return out
