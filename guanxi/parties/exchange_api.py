"""The API of import, export, duplicates and merge, the customer pool and handover.

The same services and rules as the pages: imports run as background jobs (poll
`GET /imports/{id}`), exports respect visibility and the export permission, merges
refuse locked records, claims respect the per-rep limit and the duplicate check.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from guanxi.api.errors import AUTH_ERRORS, error_responses
from guanxi.core.exceptions import DomainError
from guanxi.core.permissions import ADD, CHANGE, VIEW, is_org_admin, require_perm
from guanxi.parties import importing, merging, pool
from guanxi.parties.exporting import export_queryset, export_response
from guanxi.parties.models import ImportJob, Party
from guanxi.parties.selectors import get_party_for_user, visible_parties
from guanxi.parties.tasks import enqueue_check, enqueue_run

router = Router(tags=["customers-exchange"])

READ_ERRORS = error_responses(*AUTH_ERRORS, 404, 422)
WRITE_ERRORS = error_responses(*AUTH_ERRORS, 400, 404, 409, 422)

Policy = Literal["skip", "merge", "create"]
MatchOn = Literal["phone", "email", "name"]
ExportFormat = Literal["csv", "xlsx", "vcf", "txt"]
DuplicateKind = Literal["phone", "email", "name"]
DEFAULT_MATCH_ON: tuple[MatchOn, ...] = ("phone", "email", "name")


def _membership(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


# --- schemas -----------------------------------------------------------------------------


class ProblemOut(Schema):
    row: int = Field(description="Row number in the file (the header is row 1); 0: the file.")
    column: str = Field(description="The column's header in the file, or empty.")
    field: str = Field(description="The field the column was imported into, or empty.")
    message: str
    kind: Literal["error", "duplicate"] = Field(
        description="error: the row is bad; duplicate: what happens to a duplicate row."
    )


class ImportJobOut(Schema):
    id: int
    file_name: str
    status: ImportJob.Status = Field(
        description="uploaded → mapped (the dry run is running) → checked → running → done "
        "or failed."
    )
    encoding: str = Field(description="Detected encoding of a CSV file.")
    headers: list[str]
    columns: list[str] = Field(
        description="The field each column is imported into (empty: not imported)."
    )
    duplicate_policy: Policy
    match_on: list[MatchOn]
    create_categories: bool
    total_rows: int
    processed_rows: int = Field(description="Progress of the dry run or the import.")
    error_rows: int = Field(description="Rows with errors found by the last check.")
    created_count: int = Field(description="Created (checked: would be created).")
    updated_count: int
    skipped_count: int
    created_at: datetime
    finished_at: datetime | None
    problems: list[ProblemOut] = Field(description="One page of the report (see problems_total).")
    problems_total: int


class MappingIn(Schema):
    columns: list[str] = Field(
        description="One field key per column of the file, in order; empty to ignore it. "
        "Keys: name, mobile, email, city, owner, category, tags, contact.name, cf.<key> …"
    )
    duplicate_policy: Policy = "skip"
    match_on: list[MatchOn] = Field(default_factory=lambda: list(DEFAULT_MATCH_ON))
    create_categories: bool = True


class ColumnOut(Schema):
    key: str
    label: str


class PartyRefOut(Schema):
    id: int
    name: str
    short_name: str
    mobile: str
    phone: str
    email: str
    city: str
    is_locked: bool
    owner_id: int | None
    version: int


class DuplicateGroupOut(Schema):
    kind: DuplicateKind
    key: str = Field(description="The normalised phone, e-mail or name they share.")
    parties: list[PartyRefOut]


class DuplicatePageOut(Schema):
    items: list[DuplicateGroupOut]
    total: int = Field(description="How many groups there are.")


class MergeIn(Schema):
    keep_id: int = Field(description="The record that survives (it may be locked).")
    duplicate_id: int = Field(description="The record merged away (into the recycle bin).")
    keep_version: int
    duplicate_version: int
    field_choices: dict[str, Literal["keep", "duplicate"]] = Field(
        default_factory=dict,
        description="Per field, whose value to keep; by default the survivor's unless empty.",
    )


class MergeOut(Schema):
    party: PartyRefOut
    moved: dict[str, int] = Field(description="Related records moved, per model.")


class PoolPartyOut(Schema):
    id: int
    name: str
    city: str
    customer_type: str
    level: str
    source: str
    last_contact_at: datetime | None
    pool_entered_at: datetime | None


class PoolPageOut(Schema):
    items: list[PoolPartyOut]
    total: int


class PoolSettingsOut(Schema):
    pool_after_days: int = Field(description="0: customers never return by themselves.")
    pool_claim_limit: int = Field(description="0: no limit.")


class PoolSettingsIn(Schema):
    pool_after_days: int = Field(ge=0, le=3650)
    pool_claim_limit: int = Field(ge=0, le=1_000_000)


class HandoverIn(Schema):
    from_user_id: int
    to_user_id: int
    steps: list[str] | None = Field(
        None, description="Which handover steps to run (default: all); see GET /handovers/steps."
    )


class HandoverOut(Schema):
    moved: dict[str, int]


class HandoverStepOut(Schema):
    key: str
    label: str


# --- imports -----------------------------------------------------------------------------


def _jobs(membership: Any) -> Any:
    jobs = ImportJob.objects.all()
    if not is_org_admin(membership):
        jobs = jobs.filter(created_by_id=membership.user_id)
    return jobs


def _job(membership: Any, job_id: int) -> ImportJob:
    job = _jobs(membership).filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job


def _require_import(membership: Any) -> None:
    require_perm(membership, VIEW, "party")
    require_perm(membership, ADD, "party")


def _job_out(job: ImportJob, *, offset: int = 0, limit: int = 100) -> dict[str, Any]:
    options = importing.job_options(job)
    problems = list(job.errors or [])
    return {
        "id": job.pk,
        "file_name": job.original_name,
        "status": job.status,
        "encoding": job.encoding,
        "headers": list(job.headers or []),
        "columns": importing.job_columns(job),
        "duplicate_policy": job.duplicate_policy,
        "match_on": options[importing.OPTION_MATCH_ON],
        "create_categories": options[importing.OPTION_CREATE_CATEGORIES],
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "error_rows": int((job.mapping or {}).get("error_rows", 0)),
        "created_count": job.created_count,
        "updated_count": job.updated_count,
        "skipped_count": job.skipped_count,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "problems": [
            {**p, "kind": p.get("kind", "error"), "field": p.get("field", "")}
            for p in problems[offset : offset + limit]
        ],
        "problems_total": len(problems),
    }


@router.get("/imports/columns", response={200: list[ColumnOut], **READ_ERRORS})
def import_columns(request: HttpRequest) -> list[dict[str, str]]:
    """The field keys a column can be imported into, custom fields included."""
    from guanxi.core.custom_fields import active_fields
    from guanxi.core.models import CustomField

    membership = _membership(request)
    _require_import(membership)
    custom = active_fields(membership.org_id, CustomField.Target.PARTY)
    return [{"key": k, "label": label} for k, label in importing.column_choices(custom)]


@router.post("/imports", response={201: ImportJobOut, **WRITE_ERRORS})
def start_import(
    request: HttpRequest,
    file: File[UploadedFile],
    duplicate_policy: Form[Policy] = "skip",
    check: Form[bool] = True,
) -> Status[dict[str, Any]]:
    """Upload a CSV/XLSX/XLS file of customers (multipart, field `file`).

    The headers are mapped automatically; with `check` (default) the dry run starts at
    once when the customer name column was recognised. Poll `GET /imports/{id}`.
    """
    membership = _membership(request)
    _require_import(membership)
    if not importing.may_import(membership, duplicate_policy):
        raise PermissionDenied
    with transaction.atomic():
        job = importing.start_import(
            org=membership.org_id,
            actor=request.user,
            upload=file,
            language=getattr(request, "LANGUAGE_CODE", ""),
        )
        columns = importing.job_columns(job)
        if check and "name" in columns:
            options = importing.job_options(job)
            job = importing.save_mapping(
                job=job,
                actor=request.user,
                columns=columns,
                policy=duplicate_policy,
                match_on=options[importing.OPTION_MATCH_ON],
                create_categories=options[importing.OPTION_CREATE_CATEGORIES],
            )
            enqueue_check(job)
    return Status(201, _job_out(job))


@router.get("/imports/{id}", response={200: ImportJobOut, **READ_ERRORS})
def get_import(
    request: HttpRequest,
    id: int,
    problems_offset: Query[int] = 0,
    problems_limit: Query[int] = 100,
) -> dict[str, Any]:
    """An import's status, progress and (a page of) its dry-run report."""
    membership = _membership(request)
    _require_import(membership)
    offset = max(0, problems_offset)
    limit = min(max(1, problems_limit), 1000)
    return _job_out(_job(membership, id), offset=offset, limit=limit)


@router.put("/imports/{id}/mapping", response={200: ImportJobOut, **WRITE_ERRORS})
def map_import(request: HttpRequest, id: int, payload: MappingIn) -> dict[str, Any]:
    """Set which field each column goes to and how duplicates are handled; re-runs the check."""
    membership = _membership(request)
    _require_import(membership)
    if not importing.may_import(membership, payload.duplicate_policy):
        raise PermissionDenied
    with transaction.atomic():
        job = importing.save_mapping(
            job=_job(membership, id),
            actor=request.user,
            columns=payload.columns,
            policy=payload.duplicate_policy,
            match_on=list(payload.match_on),
            create_categories=payload.create_categories,
        )
        enqueue_check(job)
    return _job_out(job)


@router.post("/imports/{id}/run", response={202: ImportJobOut, **WRITE_ERRORS})
def run_import(request: HttpRequest, id: int) -> Status[dict[str, Any]]:
    """Import a checked file without errors: all rows or none. Answers 409 otherwise."""
    membership = _membership(request)
    _require_import(membership)
    job = _job(membership, id)
    if not importing.may_import(membership, job.duplicate_policy):
        raise PermissionDenied
    with transaction.atomic():
        started = (
            ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CHECKED)
            .exclude(mapping__error_rows__gt=0)
            .update(status=ImportJob.Status.RUNNING, processed_rows=0)
        )
        if started != 1:
            raise importing.ImportRefused(_("Only a checked file without errors can be imported."))
        job.refresh_from_db()
        enqueue_run(job)
    return Status(202, _job_out(job))


# --- export ---------------------------------------------------------------------------------


@router.get(
    "/exports/parties",
    response={200: None, **error_responses(*AUTH_ERRORS, 422)},
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file (CSV with BOM, XLSX, vCard 3.0 or text).",
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                        "schema": {"type": "string", "format": "binary"}
                    },
                    "text/vcard": {"schema": {"type": "string"}},
                    "text/plain": {"schema": {"type": "string"}},
                },
            }
        }
    },
)
def export_parties(
    request: HttpRequest, format: Query[ExportFormat] = "csv", ids: Query[str] = ""
) -> HttpResponse:
    """Export customers the caller sees: the list filters of `GET /parties` apply (`level`,
    `owner`, `q`, `cf_<key>` …), or `ids` (comma-separated). Needs the export permission."""
    membership = _membership(request)
    params = request.GET.copy()
    for key in ("format", "ids", "cursor", "limit", "sort"):
        params.pop(key, None)
    chosen = [i for i in ids.split(",") if i.strip()] or None
    queryset = export_queryset(membership, params=params, ids=chosen)
    response: HttpResponse = export_response(queryset, org_id=membership.org_id, file_format=format)
    return response


# --- duplicates and merge ------------------------------------------------------------------


@router.get("/duplicates", response={200: DuplicatePageOut, **READ_ERRORS})
def list_duplicates(
    request: HttpRequest,
    kind: Query[DuplicateKind] = "phone",
    limit: Query[int] = 50,
    offset: Query[int] = 0,
) -> dict[str, Any]:
    """Groups of visible customers sharing a normalised phone, e-mail or name."""
    membership = _membership(request)
    require_perm(membership, VIEW, "party")
    groups, total = merging.duplicate_groups(
        visible_parties(membership), kind, limit=min(max(1, limit), 200), offset=max(0, offset)
    )
    return {
        "items": [{"kind": g.kind, "key": g.key, "parties": g.parties} for g in groups],
        "total": total,
    }


@router.post("/merges", response={200: MergeOut, **WRITE_ERRORS})
def merge(request: HttpRequest, payload: MergeIn) -> dict[str, Any]:
    """Merge one customer into another. 409 `party_locked` when the duplicate is locked,
    409 `stale_edit` when either changed since the versions given."""
    membership = _membership(request)
    keep = get_party_for_user(membership, payload.keep_id)
    duplicate = get_party_for_user(membership, payload.duplicate_id)
    require_perm(membership, CHANGE, "party")
    require_perm(membership, "delete", "party")
    keep.version, duplicate.version = payload.keep_version, payload.duplicate_version
    survivor = merging.merge_parties(
        keep=keep,
        duplicate=duplicate,
        actor=request.user,
        field_choices=dict(payload.field_choices),
    )
    return {"party": survivor, "moved": getattr(survivor, "merge_summary", {})}


# --- the pool ------------------------------------------------------------------------------------


@router.get("/pool", response={200: PoolPageOut, **READ_ERRORS})
def list_pool(
    request: HttpRequest, limit: Query[int] = 50, offset: Query[int] = 0
) -> dict[str, Any]:
    """Customers in the shared pool (公海), newest first; phones and e-mails are not shown."""
    membership = _membership(request)
    require_perm(membership, VIEW, "party")
    customers = pool.pool_customers(membership)
    limit, offset = min(max(1, limit), 200), max(0, offset)
    return {"items": list(customers[offset : offset + limit]), "total": customers.count()}


def _pool_party(membership: Any, party_id: int) -> Party:
    party = pool.pool_customers(membership).filter(pk=party_id).first()
    if party is None:
        raise Http404
    return party


@router.post("/pool/{id}/claim", response={200: PartyRefOut, **WRITE_ERRORS})
def claim(request: HttpRequest, id: int) -> Party:
    """Take a customer from the pool. 409 `pool_refused` at the limit, for a duplicate of
    one of the caller's customers, or when someone else claimed it first."""
    membership = _membership(request)
    return pool.claim_party(
        party=_pool_party(membership, id), membership=membership, actor=request.user
    )


@router.post("/pool/{id}/release", response={200: PartyRefOut, **WRITE_ERRORS})
def release(request: HttpRequest, id: int) -> Party:
    """Give a customer the caller sees back to the pool."""
    membership = _membership(request)
    party = get_party_for_user(membership, id)
    return pool.release_party(party=party, membership=membership, actor=request.user)


@router.get("/pool/settings", response={200: PoolSettingsOut, **READ_ERRORS})
def get_pool_settings(request: HttpRequest) -> Any:
    membership = _membership(request)
    require_perm(membership, VIEW, "party")
    return pool.pool_settings(membership.org_id)


@router.put("/pool/settings", response={200: PoolSettingsOut, **WRITE_ERRORS})
def put_pool_settings(request: HttpRequest, payload: PoolSettingsIn) -> Any:
    """Change the pool rules (administrators)."""
    membership = _membership(request)
    if not is_org_admin(membership):
        raise PermissionDenied
    return pool.update_pool_settings(
        org=membership.org_id,
        actor=request.user,
        pool_after_days=payload.pool_after_days,
        pool_claim_limit=payload.pool_claim_limit,
    )


# --- handover ----------------------------------------------------------------------------------


@router.get("/handovers/steps", response={200: list[HandoverStepOut], **READ_ERRORS})
def handover_steps(request: HttpRequest) -> list[dict[str, str]]:
    """What a handover moves (customers, open activities, and what later apps add)."""
    if not pool.may_hand_over(_membership(request)):
        raise PermissionDenied
    return [{"key": s.key, "label": str(s.label)} for s in pool.handover_steps()]


@router.post("/handovers", response={200: HandoverOut, **WRITE_ERRORS})
def hand_over(request: HttpRequest, payload: HandoverIn) -> dict[str, Any]:
    """Move a departing member's customers and open work to a colleague, in one step."""
    membership = _membership(request)
    if not pool.may_hand_over(membership):
        raise PermissionDenied
    known = {s.key for s in pool.handover_steps()}
    if payload.steps is not None and set(payload.steps) - known:
        raise DomainError(
            _("Unknown handover steps: %(steps)s")
            % {"steps": ", ".join(sorted(set(payload.steps) - known))},
            field="steps",
        )
    moved = pool.hand_over(
        org=membership.org_id,
        from_user=payload.from_user_id,
        to_user=payload.to_user_id,
        actor=request.user,
        steps=payload.steps,
    )
    return {"moved": moved}
