"""Pages of the report designer (/analysis/reports/): the list of reports, the designer
(run a preview, save, save as), a saved report's result with its chart, drill-down to
the records behind a chart item, exports and e-mail schedules."""

from __future__ import annotations

import contextlib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.analytics.navigation import analytics_context
from guanxi.analytics.registrations import ANALYTICS
from guanxi.analytics.reports import services
from guanxi.analytics.reports.definition import check_definition
from guanxi.analytics.reports.engine import PAGE_SIZE, Result, drill_filters, run
from guanxi.analytics.reports.exporting import CONTENT_TYPES, export_csv, export_xlsx
from guanxi.analytics.reports.forms import (
    WEEKDAYS,
    FilterRow,
    definition_from_post,
    designer_for,
    header_from_post,
    schedule_data,
)
from guanxi.analytics.reports.models import ReportSchedule, SavedReport
from guanxi.analytics.reports.registry import column_map, columns_for, report_object, report_objects
from guanxi.analytics.reports.selectors import (
    chart_options,
    decode_drill,
    encode_drill,
    get_report_for_user,
    report_definition,
    schedules_of,
    visible_reports,
)
from guanxi.core.exceptions import StaleEdit
from guanxi.core.permissions import EXPORT, VIEW, has_perm, require_perm

T = "reports"
GET_POST = require_http_methods(["GET", "POST"])


def _membership(request: HttpRequest) -> Any:
    membership = getattr(request, "membership", None)
    require_perm(membership, VIEW, ANALYTICS)
    return membership


_context = analytics_context


def _offset(request: HttpRequest) -> int:
    try:
        return max(0, int(request.GET.get("offset", "0")))
    except ValueError:
        return 0


# --- the list ----------------------------------------------------------------------------------


@login_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    services.ensure_builtin_reports(membership.org_id)
    reports = list(visible_reports(membership).order_by("name", "id"))
    labels = {o.key: o.label for o in report_objects()}
    for report in reports:
        report.object_label = labels.get(report.object_key, report.object_key)  # type: ignore[attr-defined]
    return render(
        request,
        f"{T}/list.html",
        _context(
            request,
            mine=[r for r in reports if r.owner_id == membership.user_id and not r.builtin_key],
            shared=[r for r in reports if r.owner_id != membership.user_id and not r.builtin_key],
            builtin=[r for r in reports if r.builtin_key],
            objects=report_objects(),
        ),
    )


# --- the designer ------------------------------------------------------------------------------


def _preview(definition_data: dict[str, Any], membership: Any) -> tuple[Any, Result | None, Any]:
    checked = check_definition(definition_data, membership.org_id)
    result = run(checked, membership)
    return checked, result, chart_options(checked, result)


def _designer(
    request: HttpRequest,
    membership: Any,
    *,
    report: SavedReport | None,
    object_key: str,
) -> HttpResponse:
    obj = report_object(object_key)
    if obj is None:
        raise Http404
    data: dict[str, Any] = dict(report.definition) if report is not None else {"object": obj.key}
    header: dict[str, Any] = (
        {"name": report.name, "description": report.description, "sharing": report.sharing}
        if report is not None
        else {"name": "", "description": "", "sharing": SavedReport.Sharing.PRIVATE}
    )
    errors: dict[str, list[str]] = {}
    result = options = None
    version = report.version if report is not None else None
    if request.method == "POST":
        data = definition_from_post(request.POST, obj.key)
        header = header_from_post(request.POST)
        action = request.POST.get("action", "run")
        with contextlib.suppress(ValueError):
            version = int(request.POST.get("version") or 0) or version
        try:
            if action == "save" and report is not None:
                saved = services.update_report(
                    membership,
                    report=report,
                    definition=data,
                    data=header,
                    expected_version=version or 0,
                )
                messages.success(request, _("The report has been saved."))
                return redirect("analytics:report_detail", saved.pk)
            if action in ("save", "save_as"):
                saved = services.create_report(membership, definition=data, data=header)
                messages.success(request, _("The report has been saved."))
                return redirect("analytics:report_detail", saved.pk)
            _checked, result, options = _preview(data, membership)
        except ValidationError as error:
            errors = dict(error.message_dict)
            if "__all__" in errors:
                errors["form"] = errors.pop("__all__")
        except StaleEdit:
            errors = {
                "form": [
                    _(
                        "Someone changed this report after you opened it. Reload the page "
                        "to see their version, then make your change again."
                    )
                ]
            }
    status = 200 if not errors else 422 if request.method == "POST" else 200
    return render(
        request,
        f"{T}/designer.html",
        _context(
            request,
            report=report,
            obj=obj,
            objects=report_objects(),
            designer=designer_for(obj, membership.org_id, data),
            header=header,
            sharing_choices=SavedReport.Sharing.choices,
            errors=errors,
            result=result,
            chart=options,
            version=version,
            may_save_over=report is not None and services.may_change(membership, report),
        ),
        status=status,
    )


@login_required
@GET_POST
def report_new(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    object_key = request.POST.get("object") or request.GET.get("object") or "customers"
    return _designer(request, membership, report=None, object_key=object_key)


@login_required
@GET_POST
def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    report = get_report_for_user(membership, pk)
    return _designer(request, membership, report=report, object_key=report.object_key)


@login_required
@require_GET
def report_filter_row(request: HttpRequest) -> HttpResponse:
    """One filter row of the designer (htmx): its operators and value input follow the
    chosen column's type."""
    membership = _membership(request)
    obj = report_object(request.GET.get("object", ""))
    if obj is None:
        raise Http404
    columns = columns_for(obj, membership.org_id)
    by_key = {c.key: c for c in columns}
    column = by_key.get(request.GET.get("filter_field", "")) or (columns[0] if columns else None)
    row = FilterRow(
        columns,
        column,
        request.GET.get("filter_op", "eq"),
        request.GET.get("filter_value", "")[:200],
        request.GET.get("filter_value2", "")[:200],
    )
    if row.op not in dict(row.operators):
        row.op = row.operators[0][0]
    return render(request, f"{T}/_filter_row.html", {"row": row, "obj": obj})


# --- a saved report -----------------------------------------------------------------------------


def _drill_url(report: SavedReport) -> Any:
    base = reverse("analytics:report_drill", args=[report.pk])
    return lambda filters: f"{base}?{encode_drill(filters)}"


@login_required
@require_GET
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    report = get_report_for_user(membership, pk)
    error = ""
    result = options = None
    try:
        definition = report_definition(report)
        result = run(definition, membership, offset=_offset(request), limit=PAGE_SIZE)
        options = chart_options(definition, result, _drill_url(report))
        object_type = definition.obj.object_type
        for row in result.rows if result.grouped else []:
            row.drill_query = encode_drill(drill_filters(definition, row.raw))  # type: ignore[attr-defined]
    except ValidationError as exc:
        error = "; ".join(exc.messages)
        object_type = None
    obj = report_object(report.object_key)
    return render(
        request,
        f"{T}/detail.html",
        _context(
            request,
            report=report,
            obj=obj,
            result=result,
            chart=options,
            error=error,
            can_change=services.may_change(membership, report),
            can_export=object_type is not None and has_perm(membership, EXPORT, object_type),
            drill_base=reverse("analytics:report_drill", args=[report.pk])
            if result and result.grouped
            else "",
        ),
    )


@login_required
@require_GET
def report_drill(request: HttpRequest, pk: int) -> HttpResponse:
    """The records behind one chart item or grouped row: the report ungrouped, narrowed
    to that group."""
    membership = _membership(request)
    report = get_report_for_user(membership, pk)
    filters = decode_drill(request.GET.get("f"))
    try:
        definition = report_definition(report, filters, detail=True)
    except ValidationError as exc:
        raise Http404 from exc
    result = run(definition, membership, offset=_offset(request), limit=PAGE_SIZE)
    columns = column_map(definition.obj, membership.org_id)
    chips = []
    for flt in filters:
        if flt.get("field") not in columns:
            continue
        value = flt.get("value")
        if flt.get("op") == "isnull":
            value = _("empty")
        elif isinstance(value, list):
            value = " – ".join(str(v) for v in value)
        chips.append({"label": columns[flt["field"]].label, "value": value})
    return render(
        request,
        f"{T}/drill.html",
        _context(
            request, report=report, result=result, chips=chips, query=request.GET.get("f", "")
        ),
    )


@login_required
@require_POST
def report_delete(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    report = get_report_for_user(membership, pk)
    services.delete_report(membership, report=report)
    messages.success(
        request, _("“%(name)s” has been moved to the recycle bin.") % {"name": report.display_name}
    )
    return redirect("analytics:report_list")


@login_required
@require_GET
def report_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    membership = _membership(request)
    report = get_report_for_user(membership, pk)
    if fmt not in CONTENT_TYPES:
        raise Http404
    try:
        definition = report_definition(report)
    except ValidationError as exc:
        raise Http404 from exc
    require_perm(membership, EXPORT, definition.obj.object_type)
    total = _("Total")
    if fmt == "csv":
        content = export_csv(definition, membership, total)
    else:
        content = export_xlsx(definition, membership, total, report.display_name)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    from urllib.parse import quote

    response["Content-Disposition"] = (
        f"attachment; filename=\"report-{report.pk}.{fmt}\"; filename*=UTF-8''{quote(report.display_name)}.{fmt}"
    )
    return response


# --- schedules ----------------------------------------------------------------------------------


@login_required
@GET_POST
def report_schedules(request: HttpRequest, pk: int) -> HttpResponse:
    from guanxi.accounts.models import Membership

    membership = _membership(request)
    report = get_report_for_user(membership, pk)
    if not services.may_change(membership, report):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {
        "frequency": "weekly",
        "time": "08:00",
        "file_format": "xlsx",
        "recipients": [str(membership.pk)],
    }
    if request.method == "POST":
        data = schedule_data(request.POST)
        try:
            services.create_schedule(membership, report=report, data=data)
        except ValidationError as error:
            errors = error.message_dict
        else:
            messages.success(request, _("The report will be sent as scheduled."))
            return redirect("analytics:report_schedules", report.pk)
    members = list(
        Membership.objects.filter(org_id=membership.org_id, is_active=True)
        .select_related("user")
        .order_by("user__username")
    )
    return render(
        request,
        f"{T}/schedules.html",
        _context(
            request,
            report=report,
            schedules=schedules_of(report),
            members=members,
            data=data,
            errors=errors,
            frequencies=ReportSchedule.Frequency.choices,
            formats=ReportSchedule.Format.choices,
            weekdays=WEEKDAYS,
        ),
        status=422 if errors else 200,
    )


@login_required
@require_POST
def report_schedule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    try:
        schedule = ReportSchedule.objects.select_related("report").get(pk=pk)
    except ReportSchedule.DoesNotExist as exc:
        raise Http404 from exc
    report = get_report_for_user(membership, schedule.report_id)
    services.delete_schedule(membership, schedule=schedule)
    messages.success(request, _("The schedule has been removed."))
    return redirect("analytics:report_schedules", report.pk)
