"""Pages of the product import (upload, mapping, dry run, progress, run, history) and
the product export. Thin: each view checks the permission, calls one service and renders.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from guanxi.catalog import importing
from guanxi.catalog.exporting import FORMATS, export_queryset, export_response
from guanxi.catalog.forms import ProductImportMappingForm, ProductImportUploadForm
from guanxi.catalog.models import ProductImportJob
from guanxi.catalog.selectors import PRODUCT
from guanxi.catalog.tasks import enqueue_check, enqueue_run
from guanxi.core.custom_fields import active_fields
from guanxi.core.exceptions import DomainError
from guanxi.core.models import CustomField
from guanxi.core.permissions import ADD, VIEW, is_org_admin, require_perm

GET_POST = require_http_methods(["GET", "POST"])
TEMPLATES = "catalog/import"


def _membership(request: HttpRequest) -> Any:
    return getattr(request, "membership", None)


def _require_import(request: HttpRequest) -> Any:
    membership = _membership(request)
    require_perm(membership, VIEW, PRODUCT)
    require_perm(membership, ADD, PRODUCT)
    return membership


def _jobs(request: HttpRequest) -> Any:
    """Import jobs the member may see: their own; administrators see everyone's."""
    membership = _membership(request)
    jobs = ProductImportJob.objects.select_related("created_by").order_by("-created_at", "-id")
    if not is_org_admin(membership):
        jobs = jobs.filter(created_by_id=membership.user_id)
    return jobs


def _job_or_404(request: HttpRequest, pk: int) -> ProductImportJob:
    job = _jobs(request).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


@login_required
@GET_POST
def import_start(request: HttpRequest) -> HttpResponse:
    membership = _require_import(request)
    form = ProductImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = importing.start_import(
                org=membership.org_id,
                actor=request.user,
                upload=form.cleaned_data["file"],
                language=getattr(request, "LANGUAGE_CODE", ""),
            )
        except DomainError as error:
            form.add_error("file", str(error.message))
        else:
            return redirect("catalog:import_mapping", pk=job.pk)
    return render(
        request,
        f"{TEMPLATES}/import_start.html",
        {
            "form": form,
            "jobs": _jobs(request)[:5],
            "max_mb": importing.MAX_UPLOAD_BYTES // 1024 // 1024,
            "max_rows": importing.MAX_ROWS,
        },
    )


@login_required
@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    _require_import(request)
    response = HttpResponse(importing.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="products-template.csv"'
    return response


@login_required
@require_GET
def import_list(request: HttpRequest) -> HttpResponse:
    _require_import(request)
    page = Paginator(_jobs(request), settings.GUANXI_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, f"{TEMPLATES}/import_list.html", {"page": page})


def _samples(job: ProductImportJob, limit: int = 3) -> list[list[str]]:
    try:
        table = importing.job_table(job)
    except DomainError:
        return []
    return [cells for _number, cells in table.rows[:limit]]


@login_required
@GET_POST
def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _require_import(request)
    job = _job_or_404(request, pk)
    if job.status in (ProductImportJob.Status.RUNNING, ProductImportJob.Status.DONE):
        return redirect("catalog:import_detail", pk=job.pk)
    custom = active_fields(job.org_id, CustomField.Target.PRODUCT)
    options = importing.job_options(job)
    columns = importing.job_columns(job)
    initial: dict[str, Any] = {
        "duplicate_policy": job.duplicate_policy,
        "create_categories": options[importing.OPTION_CREATE_CATEGORIES],
        "create_brands": options[importing.OPTION_CREATE_BRANDS],
    }
    initial.update({f"col_{i}": key for i, key in enumerate(columns)})
    form = ProductImportMappingForm(
        request.POST or None,
        initial=initial,
        headers=list(job.headers),
        choices=importing.column_choices(custom),
        samples=_samples(job),
    )
    if request.method == "POST" and form.is_valid():
        policy = form.cleaned_data["duplicate_policy"]
        if not importing.may_import(membership, policy):
            raise PermissionDenied
        try:
            job = importing.save_mapping(
                job=job,
                actor=request.user,
                columns=form.columns(),
                policy=policy,
                create_categories=form.cleaned_data["create_categories"],
                create_brands=form.cleaned_data["create_brands"],
            )
        except DomainError as error:
            if error.field in form.fields:
                form.add_error(error.field, str(error.message))
            else:
                form.add_error(None, str(error.message))
        else:
            enqueue_check(job)
            return redirect("catalog:import_progress", pk=job.pk)
    return render(
        request,
        f"{TEMPLATES}/import_mapping.html",
        {"job": job, "form": form, "recognised": sum(1 for c in columns if c)},
    )


def _progress_context(job: ProductImportJob) -> dict[str, Any]:
    total = job.total_rows or 0
    done = min(job.processed_rows or 0, total) if total else 0
    phase = (job.mapping or {}).get("phase", "")
    return {
        "job": job,
        "percent": int(done * 100 / total) if total else 0,
        "done": done,
        "total": total,
        "writing": job.status == ProductImportJob.Status.RUNNING and phase == "writing",
        "checking": job.status == ProductImportJob.Status.MAPPED,
        "finished": job.status
        in (
            ProductImportJob.Status.CHECKED,
            ProductImportJob.Status.DONE,
            ProductImportJob.Status.FAILED,
        ),
    }


def _after_progress(job: ProductImportJob) -> str:
    if job.status == ProductImportJob.Status.CHECKED:
        return reverse("catalog:import_check", args=[job.pk])
    return reverse("catalog:import_detail", args=[job.pk])


@login_required
@require_GET
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    _require_import(request)
    job = _job_or_404(request, pk)
    context = _progress_context(job)
    htmx = getattr(request, "htmx", None)
    if context["finished"]:
        if htmx:
            return HttpResponseClientRedirect(_after_progress(job))
        return redirect(_after_progress(job))
    template = f"{TEMPLATES}/import_progress.html"
    if htmx and not htmx.boosted:
        template += "#progress"
    return render(request, template, context)


def _paged(request: HttpRequest, items: list[Any], name: str) -> Any:
    return Paginator(items, 100).get_page(request.GET.get(name))


@login_required
@require_GET
def import_check(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _require_import(request)
    job = _job_or_404(request, pk)
    if job.status == ProductImportJob.Status.UPLOADED:
        return redirect("catalog:import_mapping", pk=job.pk)
    if job.status in (ProductImportJob.Status.MAPPED, ProductImportJob.Status.RUNNING):
        return redirect("catalog:import_progress", pk=job.pk)
    if job.status in (ProductImportJob.Status.DONE, ProductImportJob.Status.FAILED):
        return redirect("catalog:import_detail", pk=job.pk)
    errors = importing.errors_of(job)
    duplicates = importing.duplicates_of(job)
    error_rows = int((job.mapping or {}).get("error_rows", len({e["row"] for e in errors})))
    return render(
        request,
        f"{TEMPLATES}/import_check.html",
        {
            "job": job,
            "errors": _paged(request, errors, "errors_page"),
            "error_rows": error_rows,
            "duplicates": _paged(request, duplicates, "duplicates_page"),
            "duplicate_count": len(duplicates),
            "new_categories": (job.mapping or {}).get("new_categories", []),
            "new_brands": (job.mapping or {}).get("new_brands", []),
            "can_run": error_rows == 0 and importing.may_import(membership, job.duplicate_policy),
            "truncated": len(job.errors or []) >= importing.MAX_REPORTED,
        },
    )


@login_required
@require_POST
def import_run(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _require_import(request)
    job = _job_or_404(request, pk)
    if not importing.may_import(membership, job.duplicate_policy):
        raise PermissionDenied
    with transaction.atomic():
        started = (
            ProductImportJob.objects.filter(pk=job.pk, status=ProductImportJob.Status.CHECKED)
            .exclude(mapping__error_rows__gt=0)
            .update(status=ProductImportJob.Status.RUNNING, processed_rows=0)
        )
        if started != 1:
            messages.error(request, _("Only a checked file without errors can be imported."))
            return redirect("catalog:import_check", pk=job.pk)
        job.refresh_from_db()
        enqueue_run(job)
    return redirect("catalog:import_progress", pk=job.pk)


@login_required
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_import(request)
    job = _job_or_404(request, pk)
    if job.status in (ProductImportJob.Status.MAPPED, ProductImportJob.Status.RUNNING):
        return redirect("catalog:import_progress", pk=job.pk)
    if job.status == ProductImportJob.Status.CHECKED:
        return redirect("catalog:import_check", pk=job.pk)
    if job.status == ProductImportJob.Status.UPLOADED:
        return redirect("catalog:import_mapping", pk=job.pk)
    errors = importing.errors_of(job)
    return render(
        request,
        f"{TEMPLATES}/import_detail.html",
        {
            "job": job,
            "errors": _paged(request, errors, "errors_page"),
            "error_count": len(errors),
            "duplicates": _paged(request, importing.duplicates_of(job), "duplicates_page"),
        },
    )


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """Download the products the list shows (its filters), as .xlsx or .csv."""
    membership = _membership(request)
    file_format = request.GET.get("format") or "xlsx"
    if file_format not in FORMATS:
        raise Http404
    queryset = export_queryset(membership, request.GET)
    return export_response(queryset, org_id=membership.org_id, file_format=file_format)
