"""API of the report designer (H4): the reportable objects and their columns, saved
reports (list, read, create, change with a version, delete to the recycle bin),
running a saved or an ad-hoc definition (rows, totals, paging) and exports.

The same services and selectors as the pages: rows follow the caller's visibility;
a report the caller may not see is a 404; bad definitions answer 422 with the part of
the definition at fault (`filters`, `columns`, `group_by` …) as the field.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from guanxi.analytics.registrations import ANALYTICS
from guanxi.analytics.reports import services
from guanxi.analytics.reports.definition import OPERATORS_BY_TYPE, check_definition
from guanxi.analytics.reports.engine import MAX_PAGE, PAGE_SIZE, Result, run
from guanxi.analytics.reports.exporting import CONTENT_TYPES, export_csv, export_xlsx
from guanxi.analytics.reports.models import SavedReport
from guanxi.analytics.reports.registry import columns_for, report_objects
from guanxi.analytics.reports.selectors import (
    get_report_for_user,
    report_definition,
    visible_reports,
)
from guanxi.api.errors import AUTH_ERRORS, error_responses
from guanxi.core.permissions import EXPORT, VIEW, require_perm

router = Router(tags=["analytics"])

if TYPE_CHECKING:
    Sharing = str
    ExportFormat = str
else:
    Sharing = Literal[tuple(SavedReport.Sharing.values)]
    ExportFormat = Literal["csv", "xlsx"]


def _membership(request: HttpRequest) -> Any:
    membership = request.auth  # type: ignore[attr-defined]
    require_perm(membership, VIEW, ANALYTICS)
    return membership


# --- schemas ---------------------------------------------------------------------------------


class ChoiceOut(Schema):
    value: str
    label: str


class ReportColumnOut(Schema):
    key: str
    label: str
    type: str = Field(description="text, number, money, date or choice")
    group: str = Field(description="fields, custom (custom fields) or metrics")
    choices: list[ChoiceOut]
    operators: list[str]


class ReportObjectOut(Schema):
    key: str
    label: str
    object_type: str
    description: str
    default_columns: list[str]
    columns: list[ReportColumnOut]


class FilterSchema(Schema):
    field: str = Field(max_length=80)
    op: Literal["eq", "ne", "contains", "gt", "gte", "lt", "lte", "between", "in", "isnull"]
    value: str | float | bool | list[str | float] | None = None


class GroupSchema(Schema):
    field: str = Field(max_length=80)
    period: Literal["", "month", "quarter", "year"] = ""


class AggregateSchema(Schema):
    func: Literal["count", "sum", "avg", "min", "max"]
    field: str = Field("", max_length=80)


class SortSchema(Schema):
    field: str = Field(max_length=90)
    desc: bool = False


class DefinitionSchema(Schema):
    object: str = Field(max_length=40)
    columns: list[str] = Field(default_factory=list, max_length=40)
    filters: list[FilterSchema] = Field(default_factory=list, max_length=20)
    group_by: list[GroupSchema] = Field(default_factory=list, max_length=2)
    aggregates: list[AggregateSchema] = Field(default_factory=list, max_length=40)
    sort: list[SortSchema] = Field(default_factory=list, max_length=3)
    chart: Literal["none", "bar", "line", "pie"] = "none"


class SavedReportIn(Schema):
    name: str = Field(max_length=200)
    description: str = Field("", max_length=1000)
    sharing: Sharing = "private"
    definition: DefinitionSchema


class SavedReportUpdate(SavedReportIn):
    version: int


class SavedReportOut(Schema):
    id: int
    name: str
    description: str
    object: str
    sharing: str
    owner_id: int | None
    builtin_key: str
    version: int
    may_change: bool
    definition: DefinitionSchema


class RunIn(Schema):
    offset: int = Field(0, ge=0)
    limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE)


class AdhocRunIn(RunIn):
    definition: DefinitionSchema


class HeaderOut(Schema):
    key: str
    label: str
    type: str
    numeric: bool


Cell = str | int | None


class ReportRunOut(Schema):
    headers: list[HeaderOut]
    rows: list[list[Cell]]
    totals: list[Cell] = Field(description="The totals row (sums of numeric columns or groups)")
    grouped: bool
    total_count: int = Field(description="How many records the report covers")
    offset: int
    limit: int
    next_offset: int | None


def _cell(value: Any) -> Cell:
    if value is None or (isinstance(value, (int, str)) and not isinstance(value, bool)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


def _run_out(result: Result) -> dict[str, Any]:
    return {
        "headers": [vars(h) for h in result.headers],
        "rows": [[_cell(c) for c in row.cells] for row in result.rows],
        "totals": [_cell(c) for c in result.totals or []],
        "grouped": result.grouped,
        "total_count": result.total_count,
        "offset": result.offset,
        "limit": result.limit,
        "next_offset": result.next_offset,
    }


def _report_out(membership: Any, report: SavedReport) -> dict[str, Any]:
    return {
        "id": report.pk,
        "name": report.name,
        "description": report.description,
        "object": report.object_key,
        "sharing": report.sharing,
        "owner_id": report.owner_id,
        "builtin_key": report.builtin_key,
        "version": report.version,
        "may_change": services.may_change(membership, report),
        "definition": report.definition,
    }


# --- objects ---------------------------------------------------------------------------------


@router.get(
    "/analytics/reports/objects",
    response={200: list[ReportObjectOut], **error_responses(*AUTH_ERRORS)},
)
def list_report_objects(request: HttpRequest) -> list[dict[str, Any]]:
    """What reports may be built on, with every column (custom fields and customer
    metrics included) and the filter operators each column takes."""
    membership = _membership(request)
    out = []
    for obj in report_objects():
        columns = [
            {
                "key": c.key,
                "label": str(c.label),
                "type": c.type,
                "group": c.group,
                "choices": [
                    {"value": str(v), "label": str(label)} for v, label in c.choices if v != ""
                ],
                "operators": list(OPERATORS_BY_TYPE[c.type]),
            }
            for c in columns_for(obj, membership.org_id)
        ]
        out.append(
            {
                "key": obj.key,
                "label": str(obj.label),
                "object_type": obj.object_type,
                "description": str(obj.description),
                "default_columns": list(obj.default_columns),
                "columns": columns,
            }
        )
    return out


# --- saved reports ---------------------------------------------------------------------------


@router.get(
    "/analytics/reports",
    response={200: list[SavedReportOut], **error_responses(*AUTH_ERRORS)},
)
def list_reports(request: HttpRequest) -> list[dict[str, Any]]:
    """The caller's reports, those shared with them and the ready-made ones."""
    membership = _membership(request)
    services.ensure_builtin_reports(membership.org_id)
    return [_report_out(membership, r) for r in visible_reports(membership).order_by("name", "id")]


@router.post(
    "/analytics/reports",
    response={201: SavedReportOut, **error_responses(*AUTH_ERRORS, 422)},
)
def create_report(request: HttpRequest, payload: SavedReportIn) -> Status[Any]:
    membership = _membership(request)
    report = services.create_report(
        membership,
        definition=payload.definition.model_dump(),
        data=payload.model_dump(exclude={"definition"}),
    )
    return Status(201, _report_out(membership, report))


@router.get(
    "/analytics/reports/{int:id}",
    response={200: SavedReportOut, **error_responses(*AUTH_ERRORS, 404)},
)
def get_report(request: HttpRequest, id: int) -> dict[str, Any]:
    membership = _membership(request)
    return _report_out(membership, get_report_for_user(membership, id))


@router.put(
    "/analytics/reports/{int:id}",
    response={200: SavedReportOut, **error_responses(*AUTH_ERRORS, 404, 409, 422)},
)
def update_report(request: HttpRequest, id: int, payload: SavedReportUpdate) -> dict[str, Any]:
    """Change a report (its owner, or an administrator). 409 `stale_edit` from an old
    `version`."""
    membership = _membership(request)
    report = get_report_for_user(membership, id)
    report = services.update_report(
        membership,
        report=report,
        definition=payload.definition.model_dump(),
        data=payload.model_dump(exclude={"definition", "version"}),
        expected_version=payload.version,
    )
    return _report_out(membership, report)


@router.delete(
    "/analytics/reports/{int:id}",
    response={204: None, **error_responses(*AUTH_ERRORS, 404)},
)
def delete_report(request: HttpRequest, id: int) -> Status[None]:
    """Move the report to the recycle bin (its schedules stop)."""
    membership = _membership(request)
    services.delete_report(membership, report=get_report_for_user(membership, id))
    return Status(204, None)


# --- running and exporting -------------------------------------------------------------------


@router.post(
    "/analytics/reports/run",
    response={200: ReportRunOut, **error_responses(*AUTH_ERRORS, 422)},
)
def run_adhoc(request: HttpRequest, payload: AdhocRunIn) -> dict[str, Any]:
    """Run a definition without saving it: a page of rows and the totals row."""
    membership = _membership(request)
    definition = check_definition(payload.definition.model_dump(), membership.org_id)
    return _run_out(run(definition, membership, offset=payload.offset, limit=payload.limit))


@router.post(
    "/analytics/reports/{int:id}/run",
    response={200: ReportRunOut, **error_responses(*AUTH_ERRORS, 404, 422)},
)
def run_report(request: HttpRequest, id: int, payload: RunIn) -> dict[str, Any]:
    """Run a saved report as the caller: only the rows they may see."""
    membership = _membership(request)
    report = get_report_for_user(membership, id)
    definition = report_definition(report)
    return _run_out(run(definition, membership, offset=payload.offset, limit=payload.limit))


@router.get(
    "/analytics/reports/{int:id}/export",
    response={200: None, **error_responses(*AUTH_ERRORS, 404, 422)},
    openapi_extra={
        "responses": {
            "200": {
                "description": "The whole result as CSV (UTF-8 with BOM) or XLSX.",
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    CONTENT_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    },
)
def export_report(
    request: HttpRequest, id: int, format: Query[ExportFormat] = "csv"
) -> HttpResponse:
    """Export the saved report's whole result; needs the export permission of its records."""
    membership = _membership(request)
    report = get_report_for_user(membership, id)
    definition = report_definition(report)
    if EXPORT not in _allowed(membership, definition.obj.object_type):
        raise PermissionDenied
    if format == "xlsx":
        content = export_xlsx(definition, membership, _("Total"), report.name)
    else:
        content = export_csv(definition, membership, _("Total"))
    response = HttpResponse(content, content_type=CONTENT_TYPES[format])
    response["Content-Disposition"] = f'attachment; filename="report-{report.pk}.{format}"'
    return response


def _allowed(membership: Any, object_type: str) -> frozenset[str]:
    from guanxi.core.permissions import allowed_actions

    return allowed_actions(membership, object_type)
