"""Pages of import, export, duplicates and merge, the customer pool and handover.

Thin: each view checks the permission, calls one service or selector and renders.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from guanxi.core.exceptions import DomainError, StaleEdit
from guanxi.core.permissions import (
    ADD,
    CHANGE,
    DELETE,
    EXPORT,
    VIEW,
    has_perm,
    is_org_admin,
    require_perm,
)
from guanxi.parties import importing, merging, pool
from guanxi.parties.exchange_forms import (
    HandoverForm,
    ImportMappingForm,
    ImportUploadForm,
    MergeForm,
    PoolSettingsForm,
)
from guanxi.parties.exporting import FORMATS, export_queryset, export_response
from guanxi.parties.models import ImportJob
from guanxi.parties.selectors import get_party_for_user, visible_parties
from guanxi.parties.tasks import enqueue_check, enqueue_run

GET_POST = require_http_methods(["GET", "POST"])
TEMPLATES = "parties/exchange"


def _membership(request: HttpRequest) -> Any:
    return request.membership  # type: ignore[attr-defined]


def party_url(pk: int) -> str:
    try:
        return reverse("parties:party_detail", args=[pk])
    except NoReverseMatch:
        return ""


def _list_url() -> str:
    try:
        return reverse("parties:party_list")
    except NoReverseMatch:
        return "/"


def _report(request: HttpRequest, form: Any, error: DomainError) -> None:
    if form is not None and error.field and error.field in form.fields:
        form.add_error(error.field, str(error.message))
    elif form is not None and isinstance(error, StaleEdit):
        form.add_error(None, str(error.message))
    else:
        messages.error(request, str(error.message))


# --- import ---------------------------------------------------------------------------------


def _require_import(request: HttpRequest) -> Any:
    membership = _membership(request)
    require_perm(membership, VIEW, "party")
    require_perm(membership, ADD, "party")
    return membership


def _jobs(request: HttpRequest) -> Any:
    """Import jobs the member may see: their own; administrators see everyone's."""
    membership = _membership(request)
    jobs = ImportJob.objects.select_related("created_by").order_by("-created_at", "-id")
    if not is_org_admin(membership):
        jobs = jobs.filter(created_by_id=membership.user_id)
    return jobs


def _job_or_404(request: HttpRequest, pk: int) -> ImportJob:
    job = _jobs(request).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


@login_required
@GET_POST
def import_start(request: HttpRequest) -> HttpResponse:
    membership = _require_import(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = importing.start_import(
                org=membership.org_id,
                actor=request.user,
                upload=form.cleaned_data["file"],
                language=getattr(request, "LANGUAGE_CODE", ""),
            )
        except DomainError as error:
            _report(request, form, error)
        else:
            return redirect("parties:import_mapping", pk=job.pk)
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
    response["Content-Disposition"] = 'attachment; filename="customers-template.csv"'
    return response


@login_required
@require_GET
def import_list(request: HttpRequest) -> HttpResponse:
    _require_import(request)
    page = Paginator(_jobs(request), settings.GUANXI_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, f"{TEMPLATES}/import_list.html", {"page": page})


def _samples(job: ImportJob, limit: int = 3) -> list[list[str]]:
    try:
        table = importing._job_table(job)
    except DomainError:
        return []
    return [cells for _number, cells in table.rows[:limit]]


@login_required
@GET_POST
def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _require_import(request)
    job = _job_or_404(request, pk)
    if job.status in (ImportJob.Status.RUNNING, ImportJob.Status.DONE):
        return redirect("parties:import_detail", pk=job.pk)
    from guanxi.core.custom_fields import active_fields
    from guanxi.core.models import CustomField

    custom = active_fields(job.org_id, CustomField.Target.PARTY)
    options = importing.job_options(job)
    columns = importing.job_columns(job)
    initial: dict[str, Any] = {
        "duplicate_policy": job.duplicate_policy,
        "match_on": options[importing.OPTION_MATCH_ON],
        "create_categories": options[importing.OPTION_CREATE_CATEGORIES],
    }
    initial.update({f"col_{i}": key for i, key in enumerate(columns)})
    form = ImportMappingForm(
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
                match_on=form.cleaned_data["match_on"],
                create_categories=form.cleaned_data["create_categories"],
            )
        except DomainError as error:
            if error.field == "columns":
                form.add_error(None, str(error.message))
            else:
                _report(request, form, error)
        else:
            enqueue_check(job)
            return redirect("parties:import_progress", pk=job.pk)
    recognised = sum(1 for c in columns if c)
    return render(
        request,
        f"{TEMPLATES}/import_mapping.html",
        {"job": job, "form": form, "recognised": recognised},
    )


def _progress_context(job: ImportJob) -> dict[str, Any]:
    total = job.total_rows or 0
    done = min(job.processed_rows or 0, total) if total else 0
    phase = (job.mapping or {}).get("phase", "")
    writing = job.status == ImportJob.Status.RUNNING and phase in ("preparing", "writing")
    return {
        "job": job,
        "percent": int(done * 100 / total) if total else 0,
        "done": done,
        "total": total,
        "writing": writing,
        "preparing": phase == "preparing",
        "checking": job.status == ImportJob.Status.MAPPED,
        "finished": job.status
        in (ImportJob.Status.CHECKED, ImportJob.Status.DONE, ImportJob.Status.FAILED),
    }


def _after_progress(job: ImportJob) -> str:
    if job.status == ImportJob.Status.CHECKED:
        return reverse("parties:import_check", args=[job.pk])
    return reverse("parties:import_detail", args=[job.pk])


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
    if job.status in (ImportJob.Status.UPLOADED,):
        return redirect("parties:import_mapping", pk=job.pk)
    if job.status in (ImportJob.Status.MAPPED, ImportJob.Status.RUNNING):
        return redirect("parties:import_progress", pk=job.pk)
    if job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
        return redirect("parties:import_detail", pk=job.pk)
    errors = importing.errors_of(job)
    duplicates = importing.duplicates_of(job)
    error_rows = int((job.mapping or {}).get("error_rows", len({e["row"] for e in errors})))
    return render(
        request,
        f"{TEMPLATES}/import_check.html",
        {
            "job": job,
            "errors": _paged(request, errors, "errors_page"),
            "error_count": len(errors),
            "error_rows": error_rows,
            "duplicates": _paged(request, duplicates, "duplicates_page"),
            "duplicate_count": len(duplicates),
            "new_categories": (job.mapping or {}).get("new_categories", []),
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
            ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CHECKED)
            .exclude(mapping__error_rows__gt=0)
            .update(status=ImportJob.Status.RUNNING, processed_rows=0)
        )
        if started != 1:
            messages.error(request, _("Only a checked file without errors can be imported."))
            return redirect("parties:import_check", pk=job.pk)
        job.refresh_from_db()
        enqueue_run(job)
    return redirect("parties:import_progress", pk=job.pk)


@login_required
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_import(request)
    job = _job_or_404(request, pk)
    if job.status in (ImportJob.Status.MAPPED, ImportJob.Status.RUNNING):
        return redirect("parties:import_progress", pk=job.pk)
    if job.status == ImportJob.Status.CHECKED:
        return redirect("parties:import_check", pk=job.pk)
    if job.status == ImportJob.Status.UPLOADED:
        return redirect("parties:import_mapping", pk=job.pk)
    errors = importing.errors_of(job)
    return render(
        request,
        f"{TEMPLATES}/import_detail.html",
        {
            "job": job,
            "errors": _paged(request, errors, "errors_page"),
            "error_count": len(errors),
            "duplicates": _paged(request, importing.duplicates_of(job), "duplicates_page"),
            "list_url": _list_url(),
        },
    )


# --- export ----------------------------------------------------------------------------------


def _export_ids(request: HttpRequest) -> list[str]:
    data = request.POST if request.method == "POST" else request.GET
    ids: list[str] = []
    for value in data.getlist("ids"):
        ids.extend(v.strip() for v in value.split(",") if v.strip())
    return ids


@login_required
@GET_POST
def export(request: HttpRequest) -> HttpResponse:
    """Download the current list (its query string) or the chosen ids in one format.

    Without `format`, a small page offers the four formats for the same selection.
    """
    membership = _membership(request)
    require_perm(membership, EXPORT, "party")
    data = request.POST if request.method == "POST" else request.GET
    file_format = data.get("format", "")
    ids = _export_ids(request)
    params = data.copy()
    for key in ("format", "ids", "csrfmiddlewaretoken", "cursor"):
        params.pop(key, None)
    if file_format not in FORMATS:
        query = params.copy()
        if ids:
            query.setlist("ids", [",".join(ids)])
        return render(
            request,
            f"{TEMPLATES}/export.html",
            {
                "query": query.urlencode(),
                "selected": len(ids),
                "formats": [
                    ("csv", _("CSV (Excel)"), "file-type-csv"),
                    ("xlsx", _("Excel workbook (.xlsx)"), "file-spreadsheet"),
                    ("vcf", _("vCard (phones, Outlook)"), "address-book"),
                    ("txt", _("Text listing"), "file-text"),
                ],
                "list_url": _list_url(),
            },
        )
    queryset = export_queryset(membership, params=params, ids=ids or None)
    return export_response(queryset, org_id=membership.org_id, file_format=file_format)


# --- duplicates and merge -----------------------------------------------------------------


@login_required
@require_GET
def duplicates(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, "party")
    kind = request.GET.get("kind", merging.KIND_PHONE)
    if kind not in merging.DUPLICATE_KINDS:
        kind = merging.KIND_PHONE
    try:
        page_number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_number = 1
    per_page = 25
    groups, total = merging.duplicate_groups(
        visible_parties(membership), kind, limit=per_page, offset=(page_number - 1) * per_page
    )
    return render(
        request,
        f"{TEMPLATES}/duplicates.html",
        {
            "kind": kind,
            "kinds": list(merging.DUPLICATE_KINDS.items()),
            "groups": groups,
            "total": total,
            "page_number": page_number,
            "has_next": page_number * per_page < total,
            "has_previous": page_number > 1,
            "can_merge": _may_merge(membership),
        },
    )


def _may_merge(membership: Any) -> bool:
    return has_perm(membership, CHANGE, "party") and has_perm(membership, DELETE, "party")


@login_required
@GET_POST
def merge(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, "party")
    data = request.POST if request.method == "POST" else request.GET
    keep_id, duplicate_id = data.get("keep", ""), data.get("duplicate", "")
    if request.method == "GET" and data.get("swap"):
        keep_id, duplicate_id = duplicate_id, keep_id
    keep = get_party_for_user(membership, keep_id)
    duplicate = get_party_for_user(membership, duplicate_id)
    if not _may_merge(membership):
        raise PermissionDenied
    preview = merging.merge_preview(keep, duplicate)
    form = MergeForm(
        request.POST or None,
        preview=preview,
        initial={"keep_version": keep.version, "duplicate_version": duplicate.version},
    )
    if request.method == "POST" and form.is_valid():
        keep.version = form.cleaned_data["keep_version"]
        duplicate.version = form.cleaned_data["duplicate_version"]
        try:
            survivor = merging.merge_parties(
                keep=keep, duplicate=duplicate, actor=request.user, field_choices=form.choices()
            )
        except DomainError as error:
            _report(request, form, error)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("“%(duplicate)s” was merged into “%(keep)s” and moved to the recycle bin.")
                % {"duplicate": duplicate.display_name, "keep": survivor.display_name},
            )
            return redirect(party_url(survivor.pk) or reverse("parties:duplicates"))
    keep_contacts, keep_tags = merging.contacts_and_tags(keep)
    dup_contacts, dup_tags = merging.contacts_and_tags(duplicate)
    return render(
        request,
        f"{TEMPLATES}/merge.html",
        {
            "keep": keep,
            "duplicate": duplicate,
            "form": form,
            "keep_contacts": keep_contacts,
            "keep_tags": keep_tags,
            "duplicate_contacts": dup_contacts,
            "duplicate_tags": dup_tags,
            "keep_url": party_url(keep.pk),
            "duplicate_url": party_url(duplicate.pk),
        },
    )


# --- the pool --------------------------------------------------------------------------------


@login_required
@require_GET
def pool_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, "party")
    customers = pool.pool_customers(membership)
    query = request.GET.get("q", "").strip()[:100]
    if query:
        customers = customers.filter(search_text__contains=query.lower())
    page = Paginator(customers, settings.GUANXI_PAGE_SIZE).get_page(request.GET.get("page"))
    rules = pool.pool_settings(membership.org_id)
    owned = pool.owned_count(membership.org_id, membership.user_id)
    template = f"{TEMPLATES}/pool.html"
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted:
        template += "#rows"
    return render(
        request,
        template,
        {
            "page": page,
            "query": query,
            "rules": rules,
            "owned": owned,
            "can_claim": has_perm(membership, CHANGE, "party"),
            "can_see_report": pool.may_see_pool_report(membership),
            "can_hand_over": pool.may_hand_over(membership),
            "is_admin": is_org_admin(membership),
        },
    )


@login_required
@require_POST
def pool_claim(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    party = pool.pool_customers(membership).filter(pk=pk).first()
    if party is None:
        raise Http404
    try:
        pool.claim_party(party=party, membership=membership, actor=request.user)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("parties:pool")
    messages.success(request, _("“%(name)s” is now your customer.") % {"name": party.display_name})
    return redirect(party_url(party.pk) or reverse("parties:pool"))


@login_required
@require_POST
def pool_release(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    party = get_party_for_user(membership, pk)
    try:
        pool.release_party(party=party, membership=membership, actor=request.user)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect(party_url(party.pk) or reverse("parties:pool"))
    messages.success(
        request, _("“%(name)s” was released to the pool.") % {"name": party.display_name}
    )
    next_url = request.POST.get("next", "")
    if next_url.startswith("/") and not next_url.startswith("//"):
        return redirect(next_url)
    return redirect("parties:pool")


@login_required
@GET_POST
def pool_settings(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    if not is_org_admin(membership):
        raise PermissionDenied
    rules = pool.pool_settings(membership.org_id)
    form = PoolSettingsForm(
        request.POST or None,
        initial={
            "pool_after_days": rules.pool_after_days,
            "pool_claim_limit": rules.pool_claim_limit,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            pool.update_pool_settings(
                org=membership.org_id,
                actor=request.user,
                pool_after_days=form.cleaned_data["pool_after_days"],
                pool_claim_limit=form.cleaned_data["pool_claim_limit"],
            )
        except DomainError as error:
            _report(request, form, error)
        else:
            messages.success(request, _("The pool rules have been saved."))
            return redirect("parties:pool_settings")
    return render(request, f"{TEMPLATES}/pool_settings.html", {"form": form})


@login_required
@require_GET
def pool_report(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    if not pool.may_see_pool_report(membership):
        raise PermissionDenied
    rows = pool.pool_report(membership.org_id)
    return render(request, f"{TEMPLATES}/pool_report.html", {"rows": rows})


def _member_choices(membership: Any) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    from guanxi.accounts.models import Membership

    everyone = list(
        Membership.objects.filter(org_id=membership.org_id)
        .select_related("user")
        .order_by("user__username")
    )
    members = [
        (m.user_id, str(m.user) if m.is_active else _("%(name)s (inactive)") % {"name": m.user})
        for m in everyone
    ]
    active = [(m.user_id, str(m.user)) for m in everyone if m.is_active and m.user.is_active]
    return members, active


@login_required
@GET_POST
def handover(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    if not pool.may_hand_over(membership):
        raise PermissionDenied
    members, active = _member_choices(membership)
    steps = [(s.key, str(s.label)) for s in pool.handover_steps()]
    form = HandoverForm(request.POST or None, members=members, active=active, steps=steps)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            moved = pool.hand_over(
                org=membership.org_id,
                from_user=data["from_user"],
                to_user=data["to_user"],
                actor=request.user,
                steps=data["steps"],
            )
        except DomainError as error:
            _report(request, form, error)
        else:
            labels = dict(steps)
            summary = "; ".join(f"{labels[key]}: {count}" for key, count in moved.items())
            messages.success(request, _("Handed over — %(summary)s.") % {"summary": summary})
            return redirect("parties:handover")
    return render(request, f"{TEMPLATES}/handover.html", {"form": form})
