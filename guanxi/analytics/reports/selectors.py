"""Reads of the report designer: which saved reports a member sees, running them, charts."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.http import Http404

from guanxi.analytics.reports.definition import Definition, check_definition
from guanxi.analytics.reports.engine import Result, drill_filters
from guanxi.analytics.reports.models import ReportSchedule, SavedReport
from guanxi.core.permissions import VIEW, MembershipLike, has_perm

CHART_MAX_POINTS = 50
CHART_MAX_SERIES = 10


def visible_reports(membership: MembershipLike | None) -> QuerySet[SavedReport]:
    """The member's own reports, those shared with their team or the organisation, and
    the ready-made ones. Members without analysis access see none."""
    from guanxi.analytics.registrations import ANALYTICS

    if membership is None or not has_perm(membership, VIEW, ANALYTICS):
        return SavedReport.objects.none()
    shared = Q(sharing=SavedReport.Sharing.ORG) | Q(owner_id=membership.user_id)
    if membership.team_id is not None:
        shared |= Q(sharing=SavedReport.Sharing.TEAM, team_id=membership.team_id)
    return (
        SavedReport.objects.filter(org_id=membership.org_id).filter(shared).select_related("owner")
    )


def get_report_for_user(membership: MembershipLike | None, pk: Any) -> SavedReport:
    try:
        return visible_reports(membership).get(pk=pk)
    except (SavedReport.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def report_definition(
    report: SavedReport, extra_filters: list[dict[str, Any]] | None = None, *, detail: bool = False
) -> Definition:
    """The checked definition of a saved report (optionally narrowed, ungrouped for a
    drill-down to the records). Raises ValidationError if a column has since gone
    (e.g. a custom field was deactivated)."""
    data = dict(report.definition)
    if extra_filters:
        data["filters"] = [*data.get("filters", []), *extra_filters]
    if detail and data.get("group_by"):
        obj_columns = data.get("columns") or []
        if not obj_columns:
            from guanxi.analytics.reports.registry import report_object

            obj = report_object(data.get("object", ""))
            obj_columns = list(obj.default_columns) if obj else []
        data.update(group_by=[], aggregates=[], sort=[], chart="none", columns=obj_columns)
    return check_definition(data, report.org_id)


def schedules_of(report: SavedReport) -> list[ReportSchedule]:
    return list(
        ReportSchedule.objects.filter(report=report)
        .prefetch_related("recipients__membership__user")
        .order_by("id")
    )


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, Decimal):
        return float(value)
    return float(value)


def encode_drill(filters: list[dict[str, Any]]) -> str:
    return urlencode({"f": json.dumps(filters, ensure_ascii=False, separators=(",", ":"))})


def decode_drill(text: str | None) -> list[dict[str, Any]]:
    """Drill-down filters from a URL; anything malformed yields no filter (and the
    definition check rejects unknown fields)."""
    if not text:
        return []
    try:
        found = json.loads(text)
    except ValueError:
        return []
    if not isinstance(found, list):
        return []
    return [f for f in found[:4] if isinstance(f, dict)]


def chart_options(
    definition: Definition,
    result: Result,
    drill_url: Callable[[list[dict[str, Any]]], str] | None = None,
) -> dict[str, Any] | None:
    """An ECharts option dict for a grouped report's rows (first aggregate as the value).

    Bar and line: the first group along the axis, a series per value of the second
    group (up to CHART_MAX_SERIES). Pie: one slice per row. Items carry `url` to the
    records behind them when `drill_url` is given."""
    if definition.chart == "none" or not definition.grouped or not definition.aggregates:
        return None
    groups = len(definition.group_by)
    value_index = groups  # the first aggregate's cell
    value_name = result.headers[value_index].label

    def item(row: Any, name: str) -> dict[str, Any]:
        entry: dict[str, Any] = {"name": name, "value": _number(row.cells[value_index])}
        if drill_url is not None:
            entry["url"] = drill_url(drill_filters(definition, row.raw))
        return entry

    rows = result.rows[: CHART_MAX_POINTS * (CHART_MAX_SERIES if groups == 2 else 1)]
    if definition.chart == "pie":
        data = [
            item(r, " / ".join(str(c or "—") for c in r.cells[:groups]))
            for r in rows[:CHART_MAX_POINTS]
        ]
        return {
            "tooltip": {"trigger": "item"},
            "legend": {"type": "scroll", "bottom": 0},
            "series": [{"type": "pie", "radius": ["35%", "65%"], "name": value_name, "data": data}],
        }
    kind = definition.chart
    categories: list[str] = []
    for row in rows:
        label = str(row.cells[0] or "—")
        if label not in categories and len(categories) < CHART_MAX_POINTS:
            categories.append(label)
    series: list[dict[str, Any]]
    if groups == 1:
        points = {str(r.cells[0] or "—"): r for r in rows}
        series = [
            {
                "type": kind,
                "name": value_name,
                "data": [item(points[c], c) for c in categories],
            }
        ]
    else:
        names: list[str] = []
        cells: dict[tuple[str, str], Any] = {}
        for row in rows:
            second = str(row.cells[1] or "—")
            if second not in names:
                if len(names) >= CHART_MAX_SERIES:
                    continue
                names.append(second)
            cells[(str(row.cells[0] or "—"), second)] = row
        series = []
        for name in names:
            points_of: list[Any] = []
            for category in categories:
                found = cells.get((category, name))
                points_of.append(item(found, category) if found is not None else None)
            series.append(
                {
                    "type": kind,
                    "name": name,
                    "stack": "total" if kind == "bar" else None,
                    "data": points_of,
                }
            )
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"type": "scroll", "bottom": 0},
        "grid": {"left": 60, "right": 20, "top": 20, "bottom": 60, "containLabel": True},
        "xAxis": {
            "type": "category",
            "data": categories,
            "axisLabel": {"interval": "auto", "rotate": 30 if len(categories) > 8 else 0},
        },
        "yAxis": {"type": "value"},
        "series": series,
    }
