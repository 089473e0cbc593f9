"""REST API of the sales pipeline: leads (with qualify, disqualify and convert), pipeline
stages, opportunities (with their product lines, moves and closing) and sales targets
(with their attainment).

Same rules as the pages, through the same services and selectors: a record the caller
may not see is a 404, a customer, contact or product they may not use is a field error,
an edit or a move from an old `version` is a 409 that changes nothing.
"""

import datetime
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from guanxi.api.errors import AUTH_ERRORS, error_responses
from guanxi.api.pagination import paginate_keyset
from guanxi.core.permissions import ADD, CHANGE, DELETE, VIEW, is_org_admin, require_perm
from guanxi.core.scoping import org_scope
from guanxi.sales import pipeline_selectors as sel
from guanxi.sales import pipeline_services as svc
from guanxi.sales.models import Lead, Opportunity, PipelineStage, SalesTarget

router = Router(tags=["sales"])


def _choices(choices: Any) -> Any:
    return Literal[tuple(choices.values)]


if TYPE_CHECKING:
    LeadStatus = str
    OpportunityStatus = str
    StageOutcome = str
    TargetPeriod = str
    CloseOutcome = str
else:
    LeadStatus = _choices(Lead.Status)
    OpportunityStatus = _choices(Opportunity.Status)
    StageOutcome = _choices(PipelineStage.Outcome)
    TargetPeriod = _choices(SalesTarget.Period)
    CloseOutcome = Literal["won", "lost"]


# --- schemas ------------------------------------------------------------------------------------


class PipelineRefOut(Schema):
    id: int
    name: str


class PipelineUserOut(Schema):
    id: int
    username: str
    display_name: str


def _ref(obj: Any) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.pk, "name": str(obj)}


def _user(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "display_name": str(user)}


class LeadOut(Schema):
    id: int
    title: str
    company: str
    person_name: str
    phone: str
    email: str
    source: str
    status: LeadStatus
    estimated_amount: Decimal | None
    notes: str
    owner: PipelineUserOut | None
    disqualify_reason: str
    converted_at: datetime.datetime | None
    party: PipelineRefOut | None = Field(description="The customer it was converted into.")
    contact: PipelineRefOut | None
    opportunity: PipelineRefOut | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    version: int = Field(description="Send back with an edit (optimistic locking).")

    @staticmethod
    def resolve_owner(obj: Lead) -> Any:
        return _user(obj.owner)

    @staticmethod
    def resolve_party(obj: Lead) -> Any:
        return _ref(obj.party)

    @staticmethod
    def resolve_contact(obj: Lead) -> Any:
        return _ref(obj.contact)

    @staticmethod
    def resolve_opportunity(obj: Lead) -> Any:
        return _ref(obj.opportunity)


class _LeadFields(Schema):
    company: str | None = Field(None, max_length=200)
    person_name: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    source: str | None = Field(None, max_length=20, description="A customer source key.")
    estimated_amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    notes: str | None = Field(None, max_length=20000)
    owner_id: int | None = Field(None, description="An active member; the caller when left out.")


class LeadIn(_LeadFields):
    title: str = Field(min_length=1, max_length=200)


class LeadPatch(_LeadFields):
    version: int = Field(ge=1)
    title: str | None = Field(None, min_length=1, max_length=200)


class LeadFilterIn(Schema):
    status: LeadStatus | None = None
    q: str | None = Field(
        None, max_length=100, description="Text in subject, company, person, phone or e-mail."
    )


class PipelineVersionIn(Schema):
    version: int = Field(ge=1)


class DisqualifyIn(Schema):
    version: int = Field(ge=1)
    reason: str = Field(min_length=1, max_length=200)


class ConvertOpportunityIn(Schema):
    name: str | None = Field(None, max_length=200, description="Defaults to the lead's subject.")
    amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    close_date: datetime.date | None = None
    stage_id: int | None = Field(None, description="Defaults to the first open stage.")


class ConvertIn(Schema):
    version: int = Field(ge=1)
    party_id: int | None = Field(None, description="An existing customer the caller may see.")
    create_new: bool = Field(
        False, description="Create a new customer even when similar ones exist."
    )
    add_contact: bool = Field(True, description="Add the lead's contact person as a contact.")
    opportunity: ConvertOpportunityIn | None = None


class ConversionOut(Schema):
    lead: LeadOut
    party: PipelineRefOut
    contact: PipelineRefOut | None
    opportunity: PipelineRefOut
    created_party: bool


class StageOut(Schema):
    id: int
    name: str
    position: int
    probability: int
    outcome: StageOutcome
    is_active: bool
    version: int


class PipelineStageIn(Schema):
    name: str = Field(min_length=1, max_length=60)
    probability: int = Field(ge=0, le=100)
    outcome: StageOutcome = "open"


class PipelineStagePatch(Schema):
    version: int = Field(ge=1)
    name: str | None = Field(None, min_length=1, max_length=60)
    probability: int | None = Field(None, ge=0, le=100)
    outcome: StageOutcome | None = None
    is_active: bool | None = None
    position: int | None = Field(None, ge=0, description="Move the stage to this place (0 first).")


class OpportunityLineOut(Schema):
    id: int
    product: PipelineRefOut
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    net_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal

    @staticmethod
    def resolve_product(obj: Any) -> Any:
        return {"id": obj.product_id, "name": f"{obj.product.code} {obj.product.name}".strip()}


class OpportunityLineIn(Schema):
    product_id: int
    quantity: Decimal = Field(gt=0, max_digits=14, decimal_places=3)
    unit_price: Decimal | None = Field(
        None, ge=0, max_digits=14, decimal_places=2, description="The list price when left out."
    )
    discount_percent: Decimal = Field(Decimal("0"), ge=0, le=100, max_digits=5, decimal_places=2)
    tax_rate: Decimal | None = Field(
        None,
        ge=0,
        le=100,
        max_digits=5,
        decimal_places=2,
        description="The product's when left out.",
    )
    description: str = Field("", max_length=200)


class OpportunityOut(Schema):
    id: int
    name: str
    party: PipelineRefOut
    contact: PipelineRefOut | None
    stage: StageOut
    status: OpportunityStatus
    probability: int
    amount: Decimal
    weighted_amount: Decimal = Field(description="amount × probability / 100.")
    close_date: datetime.date | None
    source: str
    description: str
    owner: PipelineUserOut | None
    stage_entered_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    close_reason: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    version: int = Field(description="Send back with an edit or a move (optimistic locking).")

    @staticmethod
    def resolve_party(obj: Opportunity) -> Any:
        return _ref(obj.party)

    @staticmethod
    def resolve_contact(obj: Opportunity) -> Any:
        return _ref(obj.contact)

    @staticmethod
    def resolve_owner(obj: Opportunity) -> Any:
        return _user(obj.owner)

    @staticmethod
    def resolve_weighted_amount(obj: Opportunity) -> Decimal:
        return (obj.amount * obj.probability / 100).quantize(sel.CENT)


class OpportunityDetailOut(OpportunityOut):
    lines: list[OpportunityLineOut]

    @staticmethod
    def resolve_lines(obj: Opportunity) -> Any:
        return list(obj.lines.select_related("product"))


class _OpportunityFields(Schema):
    contact_id: int | None = None
    stage_id: int | None = Field(None, description="Defaults to the first open stage.")
    probability: int | None = Field(None, ge=0, le=100, description="Defaults to the stage's.")
    amount: Decimal | None = Field(
        None, ge=0, max_digits=14, decimal_places=2, description="The lines' total when left out."
    )
    close_date: datetime.date | None = None
    source: str | None = Field(None, max_length=20)
    description: str | None = Field(None, max_length=20000)
    owner_id: int | None = None
    lines: list[OpportunityLineIn] | None = Field(
        None, max_length=200, description="Products; on an edit they replace the current ones."
    )


class OpportunityIn(_OpportunityFields):
    name: str = Field(min_length=1, max_length=200)
    party_id: int


class OpportunityPatch(_OpportunityFields):
    version: int = Field(ge=1)
    name: str | None = Field(None, min_length=1, max_length=200)
    party_id: int | None = None


class OpportunityFilterIn(Schema):
    stage: int | None = Field(None, description="Stage id.")
    status: OpportunityStatus | None = None
    owner: int | None = Field(None, description="Owner's user id.")
    party: int | None = Field(None, description="Customer id.")
    close_month: str | None = Field(
        None, pattern=r"^\d{4}-\d{2}$", description="Expected to close in this month (YYYY-MM)."
    )
    q: str | None = Field(None, max_length=100, description="Text in the name or the customer.")


class OpportunityMoveIn(Schema):
    stage_id: int
    version: int = Field(ge=1)
    reason: str = Field(
        "", max_length=200, description="Required for a stage whose outcome is lost."
    )


class OpportunityCloseIn(Schema):
    outcome: CloseOutcome
    version: int = Field(ge=1)
    reason: str = Field("", max_length=200, description="Required when lost.")


class SalesTargetOut(Schema):
    id: int
    user: PipelineUserOut | None
    team: PipelineRefOut | None
    period: TargetPeriod
    year: int
    number: int = Field(description="1–12 for a month, 1–4 for a quarter, 1 for a year.")
    amount: Decimal
    version: int

    @staticmethod
    def resolve_user(obj: SalesTarget) -> Any:
        return _user(obj.user)

    @staticmethod
    def resolve_team(obj: SalesTarget) -> Any:
        return _ref(obj.team)


class SalesTargetIn(Schema):
    user_id: int | None = Field(None, description="A person, or…")
    team_id: int | None = Field(None, description="…a team.")
    period: TargetPeriod
    year: int = Field(ge=2000, le=2100)
    number: int = Field(1, ge=1, le=12)
    amount: Decimal = Field(ge=0, max_digits=14, decimal_places=2)


class SalesTargetPatch(Schema):
    version: int = Field(ge=1)
    amount: Decimal = Field(ge=0, max_digits=14, decimal_places=2)


class SalesTargetFilterIn(Schema):
    year: int | None = Field(None, ge=2000, le=2100)
    user: int | None = None
    team: int | None = None


class AttainmentOut(Schema):
    target: SalesTargetOut
    start: datetime.date
    end: datetime.date = Field(description="The first day after the period.")
    attained: Decimal = Field(description="Σ confirmed and completed order totals in the period.")
    gap: Decimal
    percent: int | None


# --- helpers -------------------------------------------------------------------------------------


def _membership(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


_RENAMES = {
    "party": "party_id",
    "contact": "contact_id",
    "stage": "stage_id",
    "owner": "owner_id",
    "user": "user_id",
    "team": "team_id",
}


def _renamed(error: ValidationError) -> ValidationError:
    result: dict[str, list[str]] = {}
    for name, messages in error.message_dict.items():
        match = re.match(r"^lines\.(\d+)\.product$", name)
        if match:
            name = f"lines.{match.group(1)}.product_id"
        result.setdefault(_RENAMES.get(name, name), []).extend(messages)
    return ValidationError(result)


def _call(func: Any, **kwargs: Any) -> Any:
    try:
        return func(**kwargs)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            raise _renamed(error) from error
        raise


def _visible_party(membership: Any, pk: int | None, errors: dict[str, list[str]]) -> Any:
    from guanxi.parties.selectors import visible_parties

    if pk is None:
        return None
    party = visible_parties(membership).filter(pk=pk).first()
    if party is None:
        errors["party_id"] = [_("Choose a customer you may see.")]
    return party


def _visible_contact(membership: Any, pk: int | None, errors: dict[str, list[str]]) -> Any:
    from guanxi.parties.selectors import visible_contacts

    if pk is None:
        return None
    contact = visible_contacts(membership).filter(pk=pk).first()
    if contact is None:
        errors["contact_id"] = [_("Choose a contact you may see.")]
    return contact


def _lead_data(membership: Any, payload: dict[str, Any]) -> dict[str, Any]:
    data = {}
    for key, value in payload.items():
        if key == "owner_id":
            data["owner"] = value
        elif value is None and key != "estimated_amount":
            data[key] = ""
        else:
            data[key] = value
    return data


def _opportunity_data(membership: Any, payload: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {}
    lines = payload.pop("lines", None)
    for key, value in payload.items():
        if key == "party_id":
            data["party"] = _visible_party(membership, value, errors)
        elif key == "contact_id":
            data["contact"] = _visible_contact(membership, value, errors)
        elif key == "stage_id":
            data["stage"] = value
        elif key == "owner_id":
            data["owner"] = value
        elif value is None and key in {"source", "description"}:
            data[key] = ""
        else:
            data[key] = value
    if errors:
        raise ValidationError(errors)
    if lines is not None:
        lines = [
            {
                "product": line["product_id"],
                "quantity": line["quantity"],
                "unit_price": line.get("unit_price"),
                "discount_percent": line.get("discount_percent"),
                "tax_rate": line.get("tax_rate"),
                "description": line.get("description") or "",
            }
            for line in lines
        ]
    return data, lines


def _opportunity(membership: Any, pk: int) -> Opportunity:
    return sel.get_opportunity_for_user(membership, pk)


# --- leads ---------------------------------------------------------------------------------------


@router.get("/leads", response={200: list[LeadOut], **error_responses(*AUTH_ERRORS, 400, 422)})
@paginate_keyset("-created_at", "-id")
def list_leads(request: HttpRequest, filters: Query[LeadFilterIn]) -> QuerySet[Lead]:
    """The leads the caller may see, newest first."""
    membership = _membership(request)
    require_perm(membership, VIEW, "lead")
    return sel.filtered_leads(
        membership, status=filters.status, query=(filters.q or "").strip()
    ).select_related("party", "contact", "opportunity")


@router.post("/leads", response={201: LeadOut, **error_responses(*AUTH_ERRORS, 422)})
def create_lead(request: HttpRequest, payload: LeadIn) -> Status[Lead]:
    """Capture a lead; the caller owns it unless `owner_id` says otherwise."""
    membership = _membership(request)
    require_perm(membership, ADD, "lead")
    data = _lead_data(membership, payload.model_dump(exclude_unset=True))
    if data.get("owner") is None:
        data["owner"] = request.user
    lead = _call(svc.create_lead, org=membership.org, actor=request.user, data=data)
    return Status(201, sel.get_lead_for_user(membership, lead.pk))


@router.get("/leads/{id}", response={200: LeadOut, **error_responses(*AUTH_ERRORS, 404, 422)})
def get_lead(request: HttpRequest, id: int) -> Lead:
    return sel.get_lead_for_user(_membership(request), id)


@router.patch(
    "/leads/{id}", response={200: LeadOut, **error_responses(*AUTH_ERRORS, 400, 404, 409, 422)}
)
def patch_lead(request: HttpRequest, id: int, payload: LeadPatch) -> Lead:
    """Change a lead that is not converted; 409 `stale_edit` from an old `version`."""
    membership = _membership(request)
    lead = sel.get_lead_for_user(membership, id)
    require_perm(membership, CHANGE, "lead")
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    _call(
        svc.update_lead,
        lead=lead,
        actor=request.user,
        data=_lead_data(membership, changes),
        expected_version=version,
    )
    return sel.get_lead_for_user(membership, id)


@router.post(
    "/leads/{id}/qualify",
    response={200: LeadOut, **error_responses(*AUTH_ERRORS, 400, 404, 409, 422)},
)
def qualify_lead(request: HttpRequest, id: int, payload: PipelineVersionIn) -> Lead:
    """Mark the lead qualified (also a disqualified one)."""
    membership = _membership(request)
    lead = sel.get_lead_for_user(membership, id)
    require_perm(membership, CHANGE, "lead")
    svc.qualify_lead(lead=lead, actor=request.user, expected_version=payload.version)
    return sel.get_lead_for_user(membership, id)


@router.post(
    "/leads/{id}/disqualify",
    response={200: LeadOut, **error_responses(*AUTH_ERRORS, 400, 404, 409, 422)},
)
def disqualify_lead(request: HttpRequest, id: int, payload: DisqualifyIn) -> Lead:
    """Mark the lead disqualified, with the reason."""
    membership = _membership(request)
    lead = sel.get_lead_for_user(membership, id)
    require_perm(membership, CHANGE, "lead")
    svc.disqualify_lead(
        lead=lead, actor=request.user, reason=payload.reason, expected_version=payload.version
    )
    return sel.get_lead_for_user(membership, id)


@router.post(
    "/leads/{id}/convert",
    response={201: ConversionOut, **error_responses(*AUTH_ERRORS, 400, 404, 409, 422)},
)
def convert_lead(request: HttpRequest, id: int, payload: ConvertIn) -> Status[dict[str, Any]]:
    """Convert the lead into customer + contact + opportunity in one transaction.

    Without `party_id`, a new customer is made from the lead — unless customers with the
    same name, phone or e-mail exist: then 409 `duplicate_customer` (nothing written);
    send `party_id` to use one of them or `create_new: true`.
    """
    membership = _membership(request)
    lead = sel.get_lead_for_user(membership, id)
    require_perm(membership, CHANGE, "lead")
    require_perm(membership, ADD, "opportunity")
    errors: dict[str, list[str]] = {}
    party = _visible_party(membership, payload.party_id, errors)
    if errors:
        raise ValidationError(errors)
    opportunity: dict[str, Any] = {}
    if payload.opportunity is not None:
        wanted = payload.opportunity.model_dump(exclude_unset=True)
        if "stage_id" in wanted:
            wanted["stage"] = wanted.pop("stage_id")
        opportunity = {k: v for k, v in wanted.items() if v is not None}
    result = _call(
        svc.convert_lead,
        lead=lead,
        membership=membership,
        actor=request.user,
        expected_version=payload.version,
        party=party,
        create_new=payload.create_new,
        add_contact=payload.add_contact,
        opportunity=opportunity,
    )
    return Status(
        201,
        {
            "lead": sel.get_lead_for_user(membership, id),
            "party": _ref(result.party),
            "contact": _ref(result.contact),
            "opportunity": _ref(result.opportunity),
            "created_party": result.created_party,
        },
    )


# --- stages ---------------------------------------------------------------------------------------


@router.get("/pipeline-stages", response={200: list[StageOut], **error_responses(*AUTH_ERRORS)})
def list_stages(request: HttpRequest) -> list[PipelineStage]:
    """The organisation's pipeline stages in order (the defaults are created when missing)."""
    membership = _membership(request)
    require_perm(membership, VIEW, "opportunity")
    return svc.ensure_default_stages(membership.org_id)


def _require_admin(membership: Any) -> None:
    if not is_org_admin(membership):
        raise PermissionDenied(_("Only administrators change the pipeline stages."))


@router.post("/pipeline-stages", response={201: StageOut, **error_responses(*AUTH_ERRORS, 422)})
def create_stage(request: HttpRequest, payload: PipelineStageIn) -> Status[PipelineStage]:
    """Add a stage at the end of the pipeline (administrators)."""
    membership = _membership(request)
    _require_admin(membership)
    stage = svc.create_stage(org=membership.org_id, actor=request.user, data=payload.model_dump())
    return Status(201, stage)


@router.patch(
    "/pipeline-stages/{id}",
    response={200: StageOut, **error_responses(*AUTH_ERRORS, 404, 409, 422)},
)
def patch_stage(request: HttpRequest, id: int, payload: PipelineStagePatch) -> PipelineStage:
    """Rename, change the probability or outcome, (de)activate or move a stage
    (administrators). 409 `stage_in_use` for a change that would strand opportunities."""
    membership = _membership(request)
    _require_admin(membership)
    with org_scope(membership.org_id):
        stage = PipelineStage.objects.filter(org_id=membership.org_id, pk=id).first()
    if stage is None:
        raise Http404
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    position = changes.pop("position", None)
    stage = svc.update_stage(
        stage=stage, actor=request.user, data=changes, expected_version=version
    )
    if position is not None:
        order = [s.pk for s in svc.ensure_default_stages(membership.org_id) if s.pk != stage.pk]
        order.insert(min(position, len(order)), stage.pk)
        svc.reorder_stages(org=membership.org_id, actor=request.user, stage_ids=order)
        with org_scope(membership.org_id):
            stage.refresh_from_db()
    return stage


# --- opportunities ---------------------------------------------------------------------------------


@router.get(
    "/opportunities",
    response={200: list[OpportunityOut], **error_responses(*AUTH_ERRORS, 400, 422)},
)
@paginate_keyset("-created_at", "-id")
def list_opportunities(
    request: HttpRequest, filters: Query[OpportunityFilterIn]
) -> QuerySet[Opportunity]:
    """The opportunities the caller may see, newest first."""
    membership = _membership(request)
    require_perm(membership, VIEW, "opportunity")
    month = None
    if filters.close_month:
        year, number = (int(part) for part in filters.close_month.split("-"))
        if not 1 <= number <= 12:
            raise ValidationError({"close_month": [_("Enter a month as YYYY-MM.")]})
        month = datetime.date(year, number, 1)
    return sel.filtered_opportunities(
        membership,
        sel.OpportunityFilters(
            stage_id=filters.stage,
            status=filters.status,
            owner_id=filters.owner,
            party_id=filters.party,
            close_month=month,
            query=(filters.q or "").strip(),
        ),
    )


@router.post(
    "/opportunities",
    response={201: OpportunityDetailOut, **error_responses(*AUTH_ERRORS, 400, 422)},
)
def create_opportunity(request: HttpRequest, payload: OpportunityIn) -> Status[Opportunity]:
    """Add an opportunity, optionally with product lines (then the amount defaults to
    their total). Managers are alerted when it is at or above the big-deal threshold."""
    membership = _membership(request)
    require_perm(membership, ADD, "opportunity")
    data, lines = _opportunity_data(membership, payload.model_dump(exclude_unset=True))
    opp = _call(
        svc.create_opportunity, org=membership.org, actor=request.user, data=data, lines=lines
    )
    return Status(201, _opportunity(membership, opp.pk))


@router.get(
    "/opportunities/{id}",
    response={200: OpportunityDetailOut, **error_responses(*AUTH_ERRORS, 404, 422)},
)
def get_opportunity(request: HttpRequest, id: int) -> Opportunity:
    return _opportunity(_membership(request), id)


@router.patch(
    "/opportunities/{id}",
    response={200: OpportunityDetailOut, **error_responses(*AUTH_ERRORS, 400, 404, 409, 422)},
)
def patch_opportunity(request: HttpRequest, id: int, payload: OpportunityPatch) -> Opportunity:
    """Change an opportunity (`lines`, when sent, replace its products); 409 `stale_edit`
    from an old `version`."""
    membership = _membership(request)
    opp = _opportunity(membership, id)
    require_perm(membership, CHANGE, "opportunity")
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    data, lines = _opportunity_data(membership, changes)
    _call(
        svc.update_opportunity,
        opp=opp,
        actor=request.user,
        data=data,
        expected_version=version,
        lines=lines,
    )
    return _opportunity(membership, id)


@router.post(
    "/opportunities/{id}/move",
    response={200: OpportunityDetailOut, **error_responses(*AUTH_ERRORS, 404, 409, 422)},
)
def move_opportunity(request: HttpRequest, id: int, payload: OpportunityMoveIn) -> Opportunity:
    """Move to a stage (a kanban drag): the probability becomes the stage's, a won or lost
    stage closes the deal (lost needs `reason`). 409 `stale_edit` when `version` is old."""
    membership = _membership(request)
    opp = _opportunity(membership, id)
    _call(
        svc.move_opportunity,
        membership=membership,
        opp=opp,
        stage=payload.stage_id,
        version=payload.version,
        actor=request.user,
        reason=payload.reason,
    )
    return _opportunity(membership, id)


@router.post(
    "/opportunities/{id}/close",
    response={200: OpportunityDetailOut, **error_responses(*AUTH_ERRORS, 400, 404, 409, 422)},
)
def close_opportunity(request: HttpRequest, id: int, payload: OpportunityCloseIn) -> Opportunity:
    """Close as won or lost (lost needs `reason`); 409 `stale_edit` when `version` is old."""
    membership = _membership(request)
    opp = _opportunity(membership, id)
    _call(
        svc.close_opportunity,
        membership=membership,
        opp=opp,
        outcome=payload.outcome,
        reason=payload.reason,
        version=payload.version,
        actor=request.user,
    )
    return _opportunity(membership, id)


# --- targets --------------------------------------------------------------------------------------


def _target(membership: Any, pk: int) -> SalesTarget:
    with org_scope(membership.org_id):
        target = sel.visible_targets(membership).filter(pk=pk).first()
    if target is None:
        raise Http404
    return target


@router.get(
    "/sales-targets",
    response={200: list[SalesTargetOut], **error_responses(*AUTH_ERRORS, 400, 422)},
)
@paginate_keyset("year", "period", "number", "id")
def list_targets(
    request: HttpRequest, filters: Query[SalesTargetFilterIn]
) -> QuerySet[SalesTarget]:
    """The targets the caller may see (their own, their team's, or all for managers)."""
    membership = _membership(request)
    require_perm(membership, VIEW, "sales_target")
    qs = sel.visible_targets(membership)
    if filters.year is not None:
        qs = qs.filter(year=filters.year)
    if filters.user is not None:
        qs = qs.filter(user_id=filters.user)
    if filters.team is not None:
        qs = qs.filter(team_id=filters.team)
    return qs


@router.post("/sales-targets", response={201: SalesTargetOut, **error_responses(*AUTH_ERRORS, 422)})
def create_target(request: HttpRequest, payload: SalesTargetIn) -> Status[SalesTarget]:
    """Set a target for a person or a team (managers and administrators)."""
    membership = _membership(request)
    require_perm(membership, ADD, "sales_target")
    data = payload.model_dump()
    data["user"], data["team"] = data.pop("user_id"), data.pop("team_id")
    target = _call(svc.create_target, org=membership.org_id, actor=request.user, data=data)
    return Status(201, _target(membership, target.pk))


@router.patch(
    "/sales-targets/{id}",
    response={200: SalesTargetOut, **error_responses(*AUTH_ERRORS, 404, 409, 422)},
)
def patch_target(request: HttpRequest, id: int, payload: SalesTargetPatch) -> SalesTarget:
    """Change a target's amount; 409 `stale_edit` from an old `version`."""
    membership = _membership(request)
    target = _target(membership, id)
    require_perm(membership, CHANGE, "sales_target")
    _call(
        svc.update_target,
        target=target,
        actor=request.user,
        data={"amount": payload.amount},
        expected_version=payload.version,
    )
    return _target(membership, id)


@router.delete(
    "/sales-targets/{id}", response={204: None, **error_responses(*AUTH_ERRORS, 404, 422)}
)
def delete_target(request: HttpRequest, id: int) -> Status[None]:
    membership = _membership(request)
    target = _target(membership, id)
    require_perm(membership, DELETE, "sales_target")
    svc.delete_target(target=target, actor=request.user)
    return Status(204, None)


@router.get(
    "/sales-targets/{id}/attainment",
    response={200: AttainmentOut, **error_responses(*AUTH_ERRORS, 404, 422)},
)
def target_attainment(request: HttpRequest, id: int) -> dict[str, Any]:
    """What the target's person or team reached in its period: the totals of their
    confirmed and completed orders dated in it."""
    membership = _membership(request)
    target = _target(membership, id)
    with org_scope(membership.org_id):
        (row,) = sel.attainments_of(membership.org_id, [target])
    start, end = sel.period_bounds(target.period, target.year, target.number)
    return {
        "target": target,
        "start": start,
        "end": end,
        "attained": row.attained,
        "gap": row.gap or Decimal("0"),
        "percent": row.percent,
    }
