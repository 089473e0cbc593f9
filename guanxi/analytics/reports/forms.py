"""The designer's form: reading a posted designer into a definition, and the rows the
designer template shows (columns, filters, groups, totals) for a definition."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from guanxi.analytics.reports.definition import CHARTS, FUNCS, OPERATORS_BY_TYPE, PERIODS
from guanxi.analytics.reports.models import ReportSchedule, SavedReport
from guanxi.analytics.reports.registry import DATE, Column, ReportObject, columns_for

OPERATOR_LABELS = {
    "eq": _("is"),
    "ne": _("is not"),
    "contains": _("contains"),
    "gt": _("greater than"),
    "gte": _("at least"),
    "lt": _("less than"),
    "lte": _("at most"),
    "between": _("between"),
    "in": _("one of (comma-separated)"),
    "isnull": _("is empty"),
}
PERIOD_LABELS = {
    "": _("by value"),
    "month": _("by month"),
    "quarter": _("by quarter"),
    "year": _("by year"),
}
FUNC_LABELS = {
    "count": _("count"),
    "sum": _("sum"),
    "avg": _("average"),
    "min": _("minimum"),
    "max": _("maximum"),
}
CHART_LABELS = {
    "none": _("No chart"),
    "bar": _("Bar chart"),
    "line": _("Line chart"),
    "pie": _("Pie chart"),
}


def definition_from_post(post: QueryDict, object_key: str) -> dict[str, Any]:
    """The definition a posted designer describes (not yet checked)."""
    chosen = post.getlist("columns")

    def position(key: str) -> tuple[float, int]:
        raw = post.get(f"order_{key}", "")
        try:
            return (float(raw), chosen.index(key))
        except ValueError:
            return (float("inf"), chosen.index(key))

    columns = sorted(dict.fromkeys(chosen), key=position)
    filters = []
    fields_ = post.getlist("filter_field")
    ops = post.getlist("filter_op")
    values = post.getlist("filter_value")
    seconds = post.getlist("filter_value2")
    for index, name in enumerate(fields_):
        if not name:
            continue
        op = ops[index] if index < len(ops) else "eq"
        value: Any = values[index] if index < len(values) else ""
        if op == "between":
            value = [value, seconds[index] if index < len(seconds) else ""]
        elif op == "isnull":
            value = True
        filters.append({"field": name, "op": op, "value": value})
    group_by = []
    for n in (1, 2):
        name = post.get(f"group_{n}", "")
        if name:
            group_by.append({"field": name, "period": post.get(f"group_{n}_period", "")})
    aggregates = []
    for item in post.getlist("aggregates"):
        func, _sep, name = item.partition(":")
        aggregates.append({"func": func, "field": name} if name else {"func": func})
    sort = []
    if post.get("sort_field"):
        sort.append({"field": post["sort_field"], "desc": post.get("sort_desc") == "on"})
    return {
        "object": object_key,
        "columns": columns,
        "filters": filters,
        "group_by": group_by,
        "aggregates": aggregates,
        "sort": sort,
        "chart": post.get("chart", "none") or "none",
    }


def header_from_post(post: QueryDict) -> dict[str, Any]:
    return {
        "name": post.get("name", ""),
        "description": post.get("description", ""),
        "sharing": post.get("sharing", SavedReport.Sharing.PRIVATE),
    }


@dataclass
class FilterRow:
    columns: list[Column]
    column: Column | None
    op: str = "eq"
    value: Any = ""
    value2: Any = ""

    @property
    def operators(self) -> list[tuple[str, Any]]:
        ops = OPERATORS_BY_TYPE[self.column.type] if self.column else ("eq",)
        return [(op, OPERATOR_LABELS[op]) for op in ops]

    @property
    def input_type(self) -> str:
        if self.column is None:
            return "text"
        if self.column.type == DATE:
            return "date"
        if self.column.numeric:
            return "number"
        return "text"


@dataclass
class Designer:
    """What the designer template shows for one definition."""

    obj: ReportObject
    columns: list[Column]
    chosen: list[str]
    filters: list[FilterRow]
    groups: list[dict[str, Any]]
    aggregates: list[dict[str, Any]]
    sort_field: str
    sort_desc: bool
    chart: str
    sort_choices: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def column_rows(self) -> list[dict[str, Any]]:
        order = {key: i for i, key in enumerate(self.chosen)}
        rows = [
            {
                "column": c,
                "checked": c.key in order,
                "order": order[c.key] + 1 if c.key in order else "",
            }
            for c in self.columns
        ]
        return sorted(rows, key=lambda r: (not r["checked"], r["order"] or 0))

    @property
    def date_columns(self) -> list[Column]:
        return [c for c in self.columns if c.type == DATE]

    @property
    def periods(self) -> list[tuple[str, Any]]:
        return [(p, PERIOD_LABELS[p]) for p in PERIODS]

    @property
    def charts(self) -> list[tuple[str, Any]]:
        return [(c, CHART_LABELS[c]) for c in CHARTS]


def designer_for(obj: ReportObject, org_id: int, data: dict[str, Any]) -> Designer:
    columns = columns_for(obj, org_id)
    by_key = {c.key: c for c in columns}
    chosen = [k for k in data.get("columns") or [] if k in by_key]
    if not data.get("columns") and not data.get("group_by"):
        chosen = list(obj.default_columns)
    filters = []
    for row in data.get("filters") or []:
        value = row.get("value", "")
        value2 = ""
        if isinstance(value, list):
            if row.get("op") == "between" and len(value) == 2:
                value, value2 = value
            else:
                value = ", ".join(str(v) for v in value)
        filters.append(
            FilterRow(columns, by_key.get(row.get("field", "")), row.get("op", "eq"), value, value2)
        )
    groups = []
    given = data.get("group_by") or []
    for n in (1, 2):
        row = given[n - 1] if len(given) >= n else {}
        groups.append({"n": n, "field": row.get("field", ""), "period": row.get("period", "")})
    wanted = {(a.get("func"), a.get("field", "") or "") for a in data.get("aggregates") or []}
    aggregates = [
        {"value": "count", "label": FUNC_LABELS["count"], "checked": ("count", "") in wanted}
    ]
    for column in columns:
        if column.numeric:
            for func in FUNCS[1:]:
                aggregates.append(
                    {
                        "value": f"{func}:{column.key}",
                        "label": f"{FUNC_LABELS[func]} · {column.label}",
                        "checked": (func, column.key) in wanted,
                    }
                )
    sort = (data.get("sort") or [{}])[0]
    sort_choices: list[tuple[str, Any]] = [(c.key, c.label) for c in columns]
    sort_choices.append(("count", FUNC_LABELS["count"]))
    for column in columns:
        if column.numeric:
            for func in FUNCS[1:]:
                sort_choices.append(
                    (f"{func}__{column.key}", f"{FUNC_LABELS[func]} · {column.label}")
                )
    return Designer(
        obj=obj,
        columns=columns,
        chosen=chosen,
        filters=filters,
        groups=groups,
        aggregates=aggregates,
        sort_field=sort.get("field", ""),
        sort_desc=bool(sort.get("desc")),
        chart=data.get("chart", "none"),
        sort_choices=sort_choices,
    )


# --- schedules ------------------------------------------------------------------------------

WEEKDAYS = (
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
)


def schedule_data(post: QueryDict) -> dict[str, Any]:
    return {
        "frequency": post.get("frequency", ""),
        "time": post.get("time", ""),
        "weekday": post.get("weekday", "0"),
        "day": post.get("day", "1"),
        "file_format": post.get("file_format", ReportSchedule.Format.XLSX),
        "recipients": post.getlist("recipients"),
    }
