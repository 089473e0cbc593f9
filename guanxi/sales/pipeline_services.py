"""Business operations of the sales pipeline (C1–C4, C11). The only code that writes
leads, pipeline stages, opportunities, their lines and stage changes, and sales targets.

Pages, the API and the demo seeder call these functions, so the same rules hold whichever
way a record changes:

- every reference (customer, contact, stage, owner, product, team) is inside the
  organisation, and a contact belongs to the opportunity's customer;
- an opportunity's status follows its stage: a stage whose outcome is *won* or *lost*
  closes it (with the time and, for lost deals, the reason), an open stage reopens it;
  its probability follows the stage's default when it moves;
- every move between stages is kept as a StageChange (time in stage, the funnel);
- edits and moves carry the version they started from, and a stale one is refused;
- an amount at or above the big-deal threshold tells the managers (guanxi.sales.alerts).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.exceptions import DomainError, StaleEdit
from guanxi.core.models import Organisation
from guanxi.core.permissions import CHANGE, MembershipLike, has_perm, visible
from guanxi.core.recycle_bin import move_to_recycle_bin
from guanxi.core.scoping import org_pk, org_scope
from guanxi.core.versioning import save_versioned
from guanxi.parties.models import Contact, Party
from guanxi.parties.validators import validate_mobile, validate_phone
from guanxi.sales.models import (
    Lead,
    Opportunity,
    OpportunityLine,
    PipelineStage,
    SalesTarget,
    StageChange,
)
from guanxi.sales.pricing import MAX_AMOUNT, line_errors, price_line, to_decimal

EARLIEST = datetime.date(1970, 1, 1)
LATEST = datetime.date(2100, 12, 31)
MAX_LINES = 200


class PipelineError(DomainError):
    code = "pipeline_refused"


class StageInUse(DomainError):
    status_code = 409
    code = "stage_in_use"


class DuplicateCustomer(DomainError):
    """Converting a lead would create a customer that already exists."""

    status_code = 409
    code = "duplicate_customer"

    def __init__(self, matches: list[CustomerMatch]) -> None:
        names = ", ".join(dict.fromkeys(m.name for m in matches))
        super().__init__(
            _(
                "A customer with the same name, phone or e-mail already exists: %(names)s. "
                "Choose it, or create a new customer anyway."
            )
            % {"names": names},
            field="party",
        )
        self.matches = matches


# --- default stages -----------------------------------------------------------------------

# (name, probability, outcome). Names are written in the organisation's language.
DEFAULT_STAGES: tuple[tuple[Any, int, str], ...] = (
    (gettext_lazy("Initial contact"), 10, PipelineStage.Outcome.OPEN),
    (gettext_lazy("Needs confirmed"), 25, PipelineStage.Outcome.OPEN),
    (gettext_lazy("Proposal and quote"), 50, PipelineStage.Outcome.OPEN),
    (gettext_lazy("Negotiation and approval"), 75, PipelineStage.Outcome.OPEN),
    (gettext_lazy("Won"), 100, PipelineStage.Outcome.WON),
    (gettext_lazy("Lost"), 0, PipelineStage.Outcome.LOST),
)


def _organisation(org: Any) -> Organisation:
    return org if isinstance(org, Organisation) else Organisation.objects.get(pk=org_pk(org))


def ensure_default_stages(org: Any) -> list[PipelineStage]:
    """Return the organisation's stages in order, creating the default ones when it has none.

    The defaults: 初步接洽 10%, 需求确认 25%, 方案报价 50%, 谈判审核 75% (open), 赢单 100%
    (won) and 输单 0% (lost), named in the organisation's language.
    """
    organisation = _organisation(org)
    with org_scope(organisation):
        stages = list(PipelineStage.objects.order_by("position", "id"))
        if stages:
            return stages
        try:
            with transaction.atomic(), translation.override(organisation.language or "zh-hans"):
                PipelineStage.objects.bulk_create(
                    [
                        PipelineStage(
                            org=organisation,
                            name=str(name),
                            position=index,
                            probability=probability,
                            outcome=outcome,
                        )
                        for index, (name, probability, outcome) in enumerate(DEFAULT_STAGES)
                    ]
                )
        except IntegrityError:  # another request created them at the same moment
            pass
        return list(PipelineStage.objects.order_by("position", "id"))


# --- references ------------------------------------------------------------------------------

_MISSING = object()


def _resolve(org_id: int, model: Any, value: Any, **extra: Any) -> Any:
    """The instance `value` names (instance or key) in the organisation, None for empty,
    `_MISSING` when it is of another organisation, deleted or does not exist."""
    if value is None or value == "":
        return None
    pk = getattr(value, "pk", value)
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return _MISSING
    found = model.objects.filter(org_id=org_id, pk=pk, **extra).first()
    return _MISSING if found is None else found


def _resolve_member(org_id: int, value: Any) -> Any:
    from guanxi.accounts.models import Membership, User

    if value is None or value == "":
        return None
    pk = getattr(value, "pk", value)
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return _MISSING
    if not Membership.objects.filter(org_id=org_id, user_id=pk, is_active=True).exists():
        return _MISSING
    return value if isinstance(value, User) else User.objects.get(pk=pk)


def _money(value: Any, field_name: str, errors: dict[str, list[str]]) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = to_decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        errors.setdefault(field_name, []).append(_("Enter a number."))
        return None
    if not number.is_finite():
        errors.setdefault(field_name, []).append(_("Enter a number."))
        return None
    if number < 0:
        errors.setdefault(field_name, []).append(_("The amount cannot be negative."))
    elif number > MAX_AMOUNT:
        errors.setdefault(field_name, []).append(_("The amount is too large."))
    elif number.as_tuple().exponent < -2:  # type: ignore[operator]
        errors.setdefault(field_name, []).append(_("Use at most two decimal places."))
    return number


def _check_date(value: Any, field_name: str, errors: dict[str, list[str]]) -> None:
    if value is not None and not (EARLIEST <= value <= LATEST):
        errors.setdefault(field_name, []).append(_("Enter a date between 1970 and 2100."))


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _check_unknown(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise PipelineError(
            _("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


# --- stages ------------------------------------------------------------------------------------

STAGE_FIELDS = frozenset({"name", "probability", "outcome", "is_active"})


def _validate_stage(stage: PipelineStage, errors: dict[str, list[str]]) -> None:
    stage.name = _text(stage.name)
    if not stage.name:
        errors.setdefault("name", []).append(_("This field is required."))
    elif len(stage.name) > 60:
        errors.setdefault("name", []).append(_("Use at most 60 characters."))
    elif (
        PipelineStage.objects.filter(org_id=stage.org_id, name=stage.name)
        .exclude(pk=stage.pk)
        .exists()
    ):
        errors.setdefault("name", []).append(_("Another stage already has this name."))
    try:
        probability = int(stage.probability)
    except (TypeError, ValueError):
        errors.setdefault("probability", []).append(_("Enter a whole number."))
    else:
        if not 0 <= probability <= 100:
            errors.setdefault("probability", []).append(_("The probability is 0–100%."))
        stage.probability = probability
    if stage.outcome not in PipelineStage.Outcome.values:
        errors.setdefault("outcome", []).append(_("Choose open, won or lost."))


@transaction.atomic
def create_stage(*, org: Any, actor: Any, data: Mapping[str, Any]) -> PipelineStage:
    """Add a stage at the end of the pipeline. Raise ValidationError with field messages."""
    _check_unknown(data, STAGE_FIELDS)
    organisation = _organisation(org)
    with org_scope(organisation):
        ensure_default_stages(organisation)
        last = PipelineStage.objects.aggregate(last=Max("position"))["last"]
        stage = PipelineStage(
            org=organisation,
            name=data.get("name", ""),
            probability=data.get("probability", 10),
            outcome=data.get("outcome") or PipelineStage.Outcome.OPEN,
            is_active=bool(data.get("is_active", True)),
            position=(last or 0) + 1,
        )
        errors: dict[str, list[str]] = {}
        _validate_stage(stage, errors)
        _raise(errors)
        stage.save()
        return stage


def _active_of_outcome(org_id: int, outcome: str, *, exclude: int | None = None) -> int:
    qs = PipelineStage.objects.filter(org_id=org_id, outcome=outcome, is_active=True)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.count()


@transaction.atomic
def update_stage(
    *, stage: PipelineStage, actor: Any, data: Mapping[str, Any], expected_version: int
) -> PipelineStage:
    """Rename a stage, change its default probability or outcome, (de)activate it.

    Refused: changing the outcome of a stage that holds opportunities; deactivating a stage
    that holds open opportunities, or the last active open, won or lost stage. Raise
    ValidationError, StageInUse, StaleEdit.
    """
    _check_unknown(data, STAGE_FIELDS)
    with org_scope(stage.org_id):
        old_outcome, was_active = stage.outcome, stage.is_active
        for key, value in data.items():
            setattr(stage, key, value)
        errors: dict[str, list[str]] = {}
        _validate_stage(stage, errors)
        _raise(errors)
        used = Opportunity.all_objects.filter(stage_id=stage.pk)
        if stage.outcome != old_outcome and used.exists():
            raise StageInUse(
                _("Opportunities are in this stage: its outcome cannot change. Add a new stage."),
                field="outcome",
            )
        leaves_outcome = was_active and (stage.outcome != old_outcome or not stage.is_active)
        if leaves_outcome and not _active_of_outcome(stage.org_id, old_outcome, exclude=stage.pk):
            raise StageInUse(
                _("The pipeline needs at least one active stage of each outcome."),
                field="is_active",
            )
        if was_active and not stage.is_active:
            open_count = used.filter(
                status=Opportunity.Status.OPEN, deleted_at__isnull=True
            ).count()
            if open_count:
                raise StageInUse(
                    _(
                        "%(count)s open opportunities are in this stage: move them to another "
                        "stage before deactivating it."
                    )
                    % {"count": open_count},
                    field="is_active",
                )
        return save_versioned(stage, expected_version=expected_version)


@transaction.atomic
def reorder_stages(*, org: Any, actor: Any, stage_ids: Sequence[int]) -> list[PipelineStage]:
    """Put the stages in the order of `stage_ids` (every stage of the organisation, once)."""
    with org_scope(org):
        stages = {s.pk: s for s in PipelineStage.objects.filter(org_id=org_pk(org))}
        ids = [int(pk) for pk in stage_ids]
        if sorted(ids) != sorted(stages):
            raise PipelineError(_("Send every stage of the pipeline exactly once."), field="stages")
        for position, pk in enumerate(ids):
            stage = stages[pk]
            if stage.position != position:
                stage.position = position
                stage.version += 1
                stage.save(update_fields=["position", "version", "updated_at"])
        return [stages[pk] for pk in ids]


@transaction.atomic
def move_stage(*, stage: PipelineStage, actor: Any, direction: str) -> list[PipelineStage]:
    """Move a stage one place up or down the pipeline."""
    with org_scope(stage.org_id):
        order = list(
            PipelineStage.objects.filter(org_id=stage.org_id)
            .order_by("position", "id")
            .values_list("pk", flat=True)
        )
        index = order.index(stage.pk)
        other = index - 1 if direction == "up" else index + 1
        if direction not in {"up", "down"}:
            raise PipelineError(_("Move a stage up or down."), field="direction")
        if 0 <= other < len(order):
            order[index], order[other] = order[other], order[index]
        return reorder_stages(org=stage.org_id, actor=actor, stage_ids=order)


# --- leads ------------------------------------------------------------------------------------

LEAD_FIELDS = frozenset(
    {
        "title",
        "person_name",
        "company",
        "phone",
        "email",
        "source",
        "estimated_amount",
        "notes",
        "owner",
    }
)


def _apply_lead(lead: Lead, data: Mapping[str, Any], errors: dict[str, list[str]]) -> None:
    _check_unknown(data, LEAD_FIELDS)
    for key, value in data.items():
        if key == "owner":
            owner = _resolve_member(lead.org_id, value)
            if owner is _MISSING:
                errors.setdefault("owner", []).append(
                    _("Choose an active member of your organisation.")
                )
            else:
                lead.owner = owner
        elif key == "estimated_amount":
            lead.estimated_amount = _money(value, key, errors)
        elif key == "notes":
            lead.notes = "" if value is None else str(value)
        else:
            setattr(lead, key, _text(value))


def _validate_lead(lead: Lead, errors: dict[str, list[str]]) -> None:
    from guanxi.parties.models import Party as PartyModel

    if not lead.title:
        errors.setdefault("title", []).append(_("This field is required."))
    if lead.source and lead.source not in PartyModel.Source.values:
        errors.setdefault("source", []).append(_("Choose one of the sources."))
    try:
        validate_phone(lead.phone)
    except ValidationError as error:
        errors.setdefault("phone", []).extend(error.messages)
    try:
        lead.full_clean(
            exclude=["org", "owner", "party", "contact", "opportunity", "deleted_by"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            known = errors.setdefault(name, [])
            known.extend(m for m in messages if m not in known)


@transaction.atomic
def create_lead(*, org: Any, actor: Any, data: Mapping[str, Any]) -> Lead:
    """Capture a lead (线索); the owner defaults to the actor. Raise ValidationError."""
    organisation = _organisation(org)
    with org_scope(organisation):
        lead = Lead(org=organisation)
        if "owner" not in data and getattr(actor, "pk", None) is not None:
            data = {**data, "owner": actor}
        errors: dict[str, list[str]] = {}
        _apply_lead(lead, data, errors)
        _validate_lead(lead, errors)
        _raise(errors)
        lead.save()
        return lead


def _refuse_converted(lead: Lead) -> None:
    if lead.status == Lead.Status.CONVERTED:
        raise PipelineError(_("This lead has been converted and cannot change any more."))


@transaction.atomic
def update_lead(*, lead: Lead, actor: Any, data: Mapping[str, Any], expected_version: int) -> Lead:
    """Change a lead that is not converted yet. Raise ValidationError, StaleEdit."""
    _refuse_converted(lead)
    with org_scope(lead.org_id):
        errors: dict[str, list[str]] = {}
        _apply_lead(lead, data, errors)
        _validate_lead(lead, errors)
        _raise(errors)
        return save_versioned(lead, expected_version=expected_version)


@transaction.atomic
def qualify_lead(*, lead: Lead, actor: Any, expected_version: int | None = None) -> Lead:
    """Mark a lead qualified (worth pursuing); a disqualified one may be qualified again."""
    _refuse_converted(lead)
    with org_scope(lead.org_id):
        lead.status = Lead.Status.QUALIFIED
        lead.disqualify_reason = ""
        return save_versioned(
            lead,
            expected_version=lead.version if expected_version is None else expected_version,
            update_fields=["status", "disqualify_reason"],
        )


@transaction.atomic
def disqualify_lead(
    *, lead: Lead, actor: Any, reason: str, expected_version: int | None = None
) -> Lead:
    """Mark a lead disqualified, with the reason (required)."""
    _refuse_converted(lead)
    reason = _text(reason)
    if not reason:
        raise ValidationError({"reason": [_("Say why the lead is disqualified.")]})
    if len(reason) > 200:
        raise ValidationError({"reason": [_("Use at most 200 characters.")]})
    with org_scope(lead.org_id):
        lead.status = Lead.Status.DISQUALIFIED
        lead.disqualify_reason = reason
        return save_versioned(
            lead,
            expected_version=lead.version if expected_version is None else expected_version,
            update_fields=["status", "disqualify_reason"],
        )


@transaction.atomic
def delete_lead(*, lead: Lead, actor: Any) -> Lead:
    """Move a lead to the recycle bin."""
    with org_scope(lead.org_id):
        return move_to_recycle_bin(obj=lead, actor=actor)  # type: ignore[return-value]


@dataclass(frozen=True)
class CustomerMatch:
    """An existing customer that looks like the one a lead would create."""

    party_id: int
    name: str
    kind: str  # "phone", "email" or "name"
    visible: bool


def matching_customers(
    *, org: Any, membership: MembershipLike | None, name: str, phone: str = "", email: str = ""
) -> list[CustomerMatch]:
    """Customers of the organisation with the same normalised name, phone or e-mail
    (the duplicate rules of guanxi.parties.merging), whether or not the member sees them."""
    from guanxi.parties.importing import MATCH_EMAIL, MATCH_NAME, MATCH_PHONE, existing_matches
    from guanxi.parties.merging import email_key, name_key, phone_key

    wanted = {
        MATCH_PHONE: {phone_key(phone)} - {""},
        MATCH_EMAIL: {email_key(email)} - {""},
        MATCH_NAME: {name_key(name)} - {""},
    }
    found = existing_matches(org_pk(org), wanted, membership)
    matches: dict[int, CustomerMatch] = {}
    for (kind, _key), match in sorted(found.items(), key=lambda item: item[1].party_id):
        matches.setdefault(
            match.party_id, CustomerMatch(match.party_id, match.name, kind, match.visible)
        )
    return list(matches.values())


def lead_customer_name(lead: Lead) -> str:
    return lead.company or lead.person_name or lead.title


def lead_matches(lead: Lead, membership: MembershipLike | None) -> list[CustomerMatch]:
    return matching_customers(
        org=lead.org_id,
        membership=membership,
        name=lead_customer_name(lead),
        phone=lead.phone,
        email=lead.email,
    )


def _phone_fields(phone: str) -> dict[str, str]:
    if not phone:
        return {}
    try:
        validate_mobile(phone)
    except ValidationError:
        return {"phone": phone}
    return {"mobile": phone}


@dataclass
class Conversion:
    lead: Lead
    party: Party
    contact: Contact | None
    opportunity: Opportunity
    created_party: bool = False
    warnings: list[str] = field(default_factory=list)


@transaction.atomic
def convert_lead(
    *,
    lead: Lead,
    membership: MembershipLike,
    actor: Any,
    expected_version: int,
    party: Party | None = None,
    create_new: bool = False,
    opportunity: Mapping[str, Any] | None = None,
    add_contact: bool = True,
) -> Conversion:
    """Turn a lead into a customer + contact + opportunity, in one transaction.

    `party` is an existing customer the member may see (chosen among the matches); without
    it a new customer is created from the lead, unless customers with the same name, phone
    or e-mail exist and `create_new` is not set (DuplicateCustomer lists them). The
    contact is the lead's contact person (an existing contact of the same name is reused).
    `opportunity` may give the opportunity's name, amount, close_date, stage and
    probability; it defaults to the lead's subject and estimated amount, in the first
    open stage. Raise ValidationError (nothing is written), DuplicateCustomer,
    PipelineError, StaleEdit.
    """
    from guanxi.parties.selectors import visible_parties
    from guanxi.parties.services import create_contact, create_party

    if lead.status == Lead.Status.CONVERTED:
        raise PipelineError(_("This lead has already been converted."))
    if lead.status == Lead.Status.DISQUALIFIED:
        raise PipelineError(_("This lead is disqualified: qualify it before converting it."))
    if lead.version != expected_version:
        raise StaleEdit()
    owner = lead.owner or actor
    with org_scope(lead.org_id):
        created_party = False
        if party is not None:
            chosen = visible_parties(membership).filter(pk=party.pk).first()
            if chosen is None:
                raise ValidationError({"party": [_("Choose a customer you may see.")]})
            party = chosen
        else:
            if not create_new:
                matches = lead_matches(lead, membership)
                if matches:
                    raise DuplicateCustomer(matches)
            data: dict[str, Any] = {
                "name": lead_customer_name(lead),
                "kind": Party.Kind.COMPANY if lead.company else Party.Kind.PERSON,
                "customer_type": (
                    Party.CustomerType.ENTERPRISE if lead.company else Party.CustomerType.INDIVIDUAL
                ),
                "email": lead.email,
                "owner": owner,
                "is_customer": True,
                **_phone_fields(lead.phone),
            }
            if lead.source in Party.Source.values:
                data["source"] = lead.source
            party = create_party(org=lead.org, actor=actor, data=data)
            created_party = True
        contact = None
        if add_contact and lead.person_name:
            contact = Contact.objects.filter(party=party, name=lead.person_name).first()
            if contact is None:
                contact = create_contact(
                    party=party,
                    actor=actor,
                    data={
                        "name": lead.person_name,
                        "email": lead.email,
                        "is_primary": created_party,
                        **_phone_fields(lead.phone),
                    },
                )
        wanted = dict(opportunity or {})
        opportunity_data: dict[str, Any] = {
            "name": wanted.pop("name", None) or lead.title,
            "party": party,
            "contact": contact,
            "amount": wanted.pop("amount", None) or lead.estimated_amount or Decimal("0"),
            "source": lead.source if lead.source in Party.Source.values else "",
            "owner": owner,
            "description": lead.notes,
            **wanted,
        }
        opp = create_opportunity(org=lead.org, actor=actor, data=opportunity_data)
        lead.status = Lead.Status.CONVERTED
        lead.converted_at = timezone.now()
        lead.party, lead.contact, lead.opportunity = party, contact, opp
        save_versioned(
            lead,
            expected_version=expected_version,
            update_fields=["status", "converted_at", "party", "contact", "opportunity"],
        )
        return Conversion(lead, party, contact, opp, created_party)


# --- opportunities ---------------------------------------------------------------------------

OPPORTUNITY_FIELDS = frozenset(
    {
        "name",
        "party",
        "contact",
        "stage",
        "probability",
        "amount",
        "close_date",
        "source",
        "description",
        "owner",
        "competitor",
    }
)


def _apply_opportunity(
    opp: Opportunity, data: Mapping[str, Any], errors: dict[str, list[str]]
) -> None:
    _check_unknown(data, OPPORTUNITY_FIELDS)
    org_id = opp.org_id
    for key, value in data.items():
        if key == "party":
            party = _resolve(org_id, Party, value, is_customer=True)
            if party is _MISSING:
                errors.setdefault("party", []).append(_("Choose a customer of your organisation."))
            elif party is None:
                errors.setdefault("party", []).append(_("This field is required."))
            else:
                opp.party = party
        elif key == "contact":
            contact = _resolve(org_id, Contact, value)
            if contact is _MISSING:
                errors.setdefault("contact", []).append(_("Choose a contact of your organisation."))
            else:
                opp.contact = contact
        elif key == "competitor":
            competitor = _resolve(org_id, Party, value, is_competitor=True)
            if competitor is _MISSING:
                errors.setdefault("competitor", []).append(
                    _("Choose a competitor of your organisation.")
                )
            else:
                opp.competitor = competitor
        elif key == "stage":
            stage = _resolve(org_id, PipelineStage, value)
            if stage is _MISSING or stage is None:
                errors.setdefault("stage", []).append(_("Choose a stage of your pipeline."))
            elif not stage.is_active and stage.pk != opp.stage_id:
                errors.setdefault("stage", []).append(_("This stage is not in use any more."))
            else:
                opp.stage = stage
        elif key == "owner":
            owner = _resolve_member(org_id, value)
            if owner is _MISSING:
                errors.setdefault("owner", []).append(
                    _("Choose an active member of your organisation.")
                )
            else:
                opp.owner = owner
        elif key == "amount":
            amount = _money(value, "amount", errors)
            opp.amount = amount if amount is not None else Decimal("0")
        elif key == "probability":
            if value is None or value == "":
                continue
            try:
                opp.probability = int(value)
            except (TypeError, ValueError):
                errors.setdefault("probability", []).append(_("Enter a whole number."))
        elif key == "close_date":
            opp.close_date = value or None
        elif key == "description":
            opp.description = "" if value is None else str(value)
        else:
            setattr(opp, key, _text(value))


def _validate_opportunity(opp: Opportunity, errors: dict[str, list[str]]) -> None:
    opp.name = _text(opp.name)
    if not opp.name:
        errors.setdefault("name", []).append(_("This field is required."))
    elif len(opp.name) > 200:
        errors.setdefault("name", []).append(_("Use at most 200 characters."))
    if opp.party_id is None and "party" not in errors:
        errors.setdefault("party", []).append(_("This field is required."))
    if opp.stage_id is None and "stage" not in errors:
        errors.setdefault("stage", []).append(_("Choose a stage of your pipeline."))
    if (
        opp.contact is not None
        and opp.party_id is not None
        and opp.contact.party_id != opp.party_id
        and "contact" not in errors
    ):
        errors.setdefault("contact", []).append(_("This contact does not belong to the customer."))
    if not 0 <= (opp.probability or 0) <= 100 and "probability" not in errors:
        errors.setdefault("probability", []).append(_("The probability is 0–100%."))
    if opp.source and opp.source not in Party.Source.values:
        errors.setdefault("source", []).append(_("Choose one of the sources."))
    if not isinstance(opp.close_date, datetime.date | None) and "close_date" not in errors:
        errors.setdefault("close_date", []).append(_("Enter a valid date."))
    else:
        _check_date(opp.close_date, "close_date", errors)


def _apply_outcome(opp: Opportunity, stage: PipelineStage, *, reason: str, now: Any) -> None:
    """Make the status, closing time and reason follow the stage's outcome."""
    if stage.outcome == PipelineStage.Outcome.OPEN:
        opp.status = Opportunity.Status.OPEN
        opp.closed_at = None
        opp.close_reason = ""
    else:
        opp.status = (
            Opportunity.Status.WON
            if stage.outcome == PipelineStage.Outcome.WON
            else Opportunity.Status.LOST
        )
        opp.closed_at = now
        opp.close_reason = reason


@dataclass
class LineInput:
    product: Any
    quantity: Any
    unit_price: Any = None
    discount_percent: Any = Decimal("0")
    tax_rate: Any = None
    description: str = ""


def _as_line(raw: Any) -> LineInput:
    if isinstance(raw, LineInput):
        return raw
    allowed = {"product", "quantity", "unit_price", "discount_percent", "tax_rate", "description"}
    _check_unknown(raw, allowed)
    return LineInput(
        product=raw.get("product"),
        quantity=raw.get("quantity"),
        unit_price=raw.get("unit_price"),
        discount_percent=raw.get("discount_percent")
        if raw.get("discount_percent") not in (None, "")
        else Decimal("0"),
        tax_rate=raw.get("tax_rate"),
        description=_text(raw.get("description")),
    )


def _priced_lines(
    org_id: int, lines: Sequence[Any], errors: dict[str, list[str]]
) -> list[OpportunityLine]:
    """Check and price the lines; errors are keyed `lines.<index>.<field>`."""
    from guanxi.catalog.models import Product
    from guanxi.catalog.services import ProductNotUsable, ensure_usable

    if len(lines) > MAX_LINES:
        errors.setdefault("lines", []).append(_("At most %(count)s lines.") % {"count": MAX_LINES})
        return []
    rows = []
    for index, raw in enumerate(lines):
        line = _as_line(raw)
        prefix = f"lines.{index}."
        product = _resolve(org_id, Product, line.product)
        if product is None or product is _MISSING:
            errors.setdefault(f"{prefix}product", []).append(
                _("Choose a product of your organisation.")
            )
            continue
        try:
            ensure_usable(product, org=org_id)
        except ProductNotUsable as error:
            errors.setdefault(f"{prefix}product", []).append(str(error.message))
            continue
        unit_price = product.list_price if line.unit_price in (None, "") else line.unit_price
        tax_rate = product.tax_rate if line.tax_rate in (None, "") else line.tax_rate
        problems = line_errors(line.quantity, unit_price, line.discount_percent, tax_rate)
        for name, messages in problems.items():
            errors.setdefault(f"{prefix}{name}", []).extend(messages)
        if problems:
            continue
        amounts = price_line(line.quantity, unit_price, line.discount_percent, tax_rate)
        rows.append(
            OpportunityLine(
                org_id=org_id,
                position=index,
                product=product,
                description=line.description[:200],
                quantity=to_decimal(line.quantity),
                unit_price=to_decimal(unit_price),
                discount_percent=to_decimal(line.discount_percent),
                tax_rate=to_decimal(tax_rate),
                net_amount=amounts.net,
                tax_amount=amounts.tax,
                total_amount=amounts.total,
            )
        )
    return rows


def _record_stage_change(
    opp: Opportunity, from_stage: PipelineStage | None, actor: Any, now: Any
) -> None:
    StageChange.objects.create(
        org_id=opp.org_id,
        opportunity=opp,
        from_stage=from_stage,
        to_stage=opp.stage,
        changed_at=now,
        changed_by=actor if getattr(actor, "pk", None) else None,
    )


def _alert(opp: Opportunity, actor: Any) -> None:
    from guanxi.sales.alerts import notify_big_deal

    notify_big_deal(opp.org_id, opp, opp.amount, opp.get_absolute_url(), actor=actor)


@transaction.atomic
def create_opportunity(
    *,
    org: Any,
    actor: Any,
    data: Mapping[str, Any],
    lines: Sequence[Any] | None = None,
) -> Opportunity:
    """Add an opportunity (销售机会).

    The stage defaults to the first open stage, the probability to the stage's, the owner
    to the actor. With `lines` (products with quantity, unit price, discount, tax rate)
    and no `amount`, the amount is the lines' total. A stage whose outcome is won or lost
    creates a closed opportunity. Raise ValidationError with field messages (lines as
    `lines.<n>.<field>`); nothing is written then.
    """
    organisation = _organisation(org)
    with org_scope(organisation):
        stages = ensure_default_stages(organisation)
        opp = Opportunity(org=organisation)
        data = dict(data)
        if "owner" not in data and getattr(actor, "pk", None) is not None:
            data["owner"] = actor
        if data.get("stage") in (None, ""):
            data["stage"] = next(
                (s for s in stages if s.is_active and s.outcome == PipelineStage.Outcome.OPEN),
                None,
            )
        errors: dict[str, list[str]] = {}
        _apply_opportunity(opp, data, errors)
        if data.get("probability") in (None, "") and opp.stage_id is not None:
            opp.probability = opp.stage.probability
        priced = _priced_lines(organisation.pk, lines or [], errors)
        if priced and data.get("amount") in (None, ""):
            opp.amount = sum((line.total_amount for line in priced), Decimal("0"))
        _validate_opportunity(opp, errors)
        _raise(errors)
        now = timezone.now()
        _apply_outcome(opp, opp.stage, reason="", now=now)
        opp.stage_entered_at = now
        opp.save()
        for line in priced:
            line.opportunity = opp
        OpportunityLine.objects.bulk_create(priced)
        _record_stage_change(opp, None, actor, now)
        _alert(opp, actor)
        return opp


@transaction.atomic
def update_opportunity(
    *,
    opp: Opportunity,
    actor: Any,
    data: Mapping[str, Any],
    expected_version: int,
    lines: Sequence[Any] | None = None,
) -> Opportunity:
    """Change an opportunity; `lines` (when given) replace its products.

    A new stage is a move (recorded, status and probability follow it unless a
    probability is given). A raised amount at or above the threshold alerts the managers.
    Raise ValidationError, StaleEdit.
    """
    with org_scope(opp.org_id):
        old_stage, old_amount = opp.stage, opp.amount
        errors: dict[str, list[str]] = {}
        _apply_opportunity(opp, data, errors)
        priced = _priced_lines(opp.org_id, lines, errors) if lines is not None else None
        if priced and data.get("amount") in (None, ""):
            opp.amount = sum((line.total_amount for line in priced), Decimal("0"))
        moved = opp.stage_id != old_stage.pk
        if moved and data.get("probability") in (None, ""):
            opp.probability = opp.stage.probability
        _validate_opportunity(opp, errors)
        if moved and opp.stage.outcome == PipelineStage.Outcome.LOST and not opp.close_reason:
            errors.setdefault("stage", []).append(
                _("Close it as lost with a reason instead (the Close button).")
            )
        _raise(errors)
        now = timezone.now()
        if moved:
            _apply_outcome(opp, opp.stage, reason=opp.close_reason, now=now)
            opp.stage_entered_at = now
        save_versioned(opp, expected_version=expected_version)
        if priced is not None:
            OpportunityLine.objects.filter(opportunity=opp).delete()
            for line in priced:
                line.opportunity = opp
            OpportunityLine.objects.bulk_create(priced)
        if moved:
            _record_stage_change(opp, old_stage, actor, now)
        if opp.amount > old_amount:
            _alert(opp, actor)
        return opp


@transaction.atomic
def move_opportunity(
    membership: MembershipLike,
    opp: Opportunity,
    stage: PipelineStage | int,
    version: int,
    *,
    actor: Any = None,
    reason: str = "",
) -> Opportunity:
    """Move an opportunity to `stage` (a kanban drag): saved at once.

    Records the StageChange, sets the probability to the stage's default, closes the
    opportunity as won or lost (with the time, and for a lost one the reason, which is
    then required) when the stage's outcome says so, reopens it on an open stage.
    Refused with StaleEdit when `version` is not the stored one (someone moved or edited
    it meanwhile), with Http404 for a record the member may not see, PermissionDenied
    without the right to change opportunities, ValidationError for a stage not in use.
    """
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    if not has_perm(membership, CHANGE, "opportunity"):
        raise PermissionDenied
    with org_scope(membership.org_id):
        if not visible(Opportunity.objects.filter(pk=opp.pk), membership, "opportunity").exists():
            raise Http404
        target = _resolve(membership.org_id, PipelineStage, stage)
        if target is None or target is _MISSING or not target.is_active:
            raise ValidationError({"stage": [_("Choose a stage of your pipeline.")]})
        reason = _text(reason)
        if len(reason) > 200:
            raise ValidationError({"reason": [_("Use at most 200 characters.")]})
        if target.outcome == PipelineStage.Outcome.LOST and not reason:
            raise ValidationError({"reason": [_("Say why the deal was lost.")]})
        current = Opportunity.objects.select_related("stage").get(pk=opp.pk)
        if current.version != version:
            raise StaleEdit(
                _(
                    "Someone else changed this opportunity meanwhile (it is now in “%(stage)s”). "
                    "Reload the page and move it again."
                )
                % {"stage": current.stage}
            )
        if current.stage_id == target.pk and not reason:
            return current
        now = timezone.now()
        from_stage = current.stage
        current.stage = target
        current.probability = target.probability
        current.stage_entered_at = now
        _apply_outcome(current, target, reason=reason, now=now)
        save_versioned(
            current,
            expected_version=version,
            update_fields=[
                "stage",
                "probability",
                "stage_entered_at",
                "status",
                "closed_at",
                "close_reason",
            ],
        )
        if from_stage.pk != target.pk:
            _record_stage_change(current, from_stage, actor or _user_of(membership), now)
        return current


def _user_of(membership: MembershipLike) -> Any:
    return getattr(membership, "user", None)


def close_stage(org: Any, outcome: str) -> PipelineStage | None:
    """The first active stage with the outcome won or lost."""
    with org_scope(org):
        return (
            PipelineStage.objects.filter(org_id=org_pk(org), outcome=outcome, is_active=True)
            .order_by("position", "id")
            .first()
        )


@transaction.atomic
def close_opportunity(
    membership: MembershipLike,
    opp: Opportunity,
    *,
    outcome: str,
    reason: str,
    version: int,
    actor: Any = None,
) -> Opportunity:
    """Close an opportunity as won or lost (with a reason; required when lost): a move to
    the pipeline's first active stage with that outcome."""
    if outcome not in {PipelineStage.Outcome.WON, PipelineStage.Outcome.LOST}:
        raise ValidationError({"outcome": [_("Choose won or lost.")]})
    stage = close_stage(membership.org_id, outcome)
    if stage is None:
        ensure_default_stages(membership.org_id)
        stage = close_stage(membership.org_id, outcome)
    if stage is None:
        raise PipelineError(_("The pipeline has no active stage for this outcome."))
    return move_opportunity(membership, opp, stage, version, actor=actor, reason=reason)


@transaction.atomic
def delete_opportunity(*, opp: Opportunity, actor: Any) -> Opportunity:
    """Move an opportunity to the recycle bin."""
    with org_scope(opp.org_id):
        return move_to_recycle_bin(obj=opp, actor=actor)  # type: ignore[return-value]


@transaction.atomic
def add_opportunity_activity(*, opp: Opportunity, actor: Any, data: Mapping[str, Any]) -> Any:
    """Log an activity (call, meeting, task …) on the opportunity's timeline.

    The activity is created by guanxi.activities.services.create_activity (its rules,
    the customer's last contact) for the opportunity's customer, and linked to the
    opportunity. Raise ValidationError with field messages.
    """
    from guanxi.activities.services import create_activity

    fields = {key: value for key, value in data.items() if key != "opportunity"}
    fields["party"] = opp.party
    if fields.get("contact") is None and opp.contact_id is not None:
        fields["contact"] = opp.contact
    activity = create_activity(org=opp.org, actor=actor, data=fields)
    with org_scope(opp.org_id):
        activity.opportunity = opp
        activity.save(update_fields=["opportunity"])
    return activity


# --- targets ------------------------------------------------------------------------------------

TARGET_FIELDS = frozenset({"user", "team", "period", "year", "number", "amount"})


def period_numbers(period: str) -> range:
    if period == SalesTarget.Period.MONTH:
        return range(1, 13)
    if period == SalesTarget.Period.QUARTER:
        return range(1, 5)
    return range(1, 2)


def _apply_target(
    target: SalesTarget, data: Mapping[str, Any], errors: dict[str, list[str]]
) -> None:
    from guanxi.accounts.models import Team

    _check_unknown(data, TARGET_FIELDS)
    for key, value in data.items():
        if key == "user":
            user = _resolve_member(target.org_id, value)
            if user is _MISSING:
                errors.setdefault("user", []).append(
                    _("Choose an active member of your organisation.")
                )
            else:
                target.user = user
        elif key == "team":
            team = _resolve(target.org_id, Team, value)
            if team is _MISSING:
                errors.setdefault("team", []).append(_("Choose a team of your organisation."))
            else:
                target.team = team
        elif key == "amount":
            target.amount = _money(value, "amount", errors)  # type: ignore[assignment]
        elif key in {"year", "number"}:
            try:
                setattr(target, key, int(value))
            except (TypeError, ValueError):
                errors.setdefault(key, []).append(_("Enter a whole number."))
        else:
            setattr(target, key, value)


def _validate_target(target: SalesTarget, errors: dict[str, list[str]]) -> None:
    if (target.user_id is None) == (target.team_id is None) and not (
        {"user", "team"} & set(errors)
    ):
        errors.setdefault("user", []).append(_("Choose either a person or a team."))
    if target.period not in SalesTarget.Period.values:
        errors.setdefault("period", []).append(_("Choose month, quarter or year."))
    elif "number" not in errors:
        if target.period == SalesTarget.Period.YEAR:
            target.number = 1
        elif target.number not in period_numbers(target.period):
            errors.setdefault("number", []).append(_("A month is 1–12, a quarter 1–4."))
    if "year" not in errors and not 2000 <= (target.year or 0) <= 2100:
        errors.setdefault("year", []).append(_("Enter a year between 2000 and 2100."))
    if target.amount is None and "amount" not in errors:
        errors.setdefault("amount", []).append(_("This field is required."))
    if not errors:
        subject: dict[str, Any] = {"user_id": target.user_id, "team_id": target.team_id}
        clash = SalesTarget.objects.filter(
            org_id=target.org_id,
            **subject,
            period=target.period,
            year=target.year,
            number=target.number,
        ).exclude(pk=target.pk)
        if clash.exists():
            errors.setdefault("amount", []).append(
                _("There is already a target for this period: change that one.")
            )


@transaction.atomic
def create_target(*, org: Any, actor: Any, data: Mapping[str, Any]) -> SalesTarget:
    """Set a sales target for a person or a team in a month, quarter or year."""
    organisation = _organisation(org)
    with org_scope(organisation):
        target = SalesTarget(org=organisation, number=1)
        errors: dict[str, list[str]] = {}
        _apply_target(target, data, errors)
        _validate_target(target, errors)
        _raise(errors)
        target.save()
        return target


@transaction.atomic
def update_target(
    *, target: SalesTarget, actor: Any, data: Mapping[str, Any], expected_version: int
) -> SalesTarget:
    """Change a target (usually its amount). Raise ValidationError, StaleEdit."""
    with org_scope(target.org_id):
        errors: dict[str, list[str]] = {}
        _apply_target(target, data, errors)
        _validate_target(target, errors)
        _raise(errors)
        return save_versioned(target, expected_version=expected_version)


@transaction.atomic
def delete_target(*, target: SalesTarget, actor: Any) -> None:
    """Remove a target (targets are plans, not records: they are deleted for good)."""
    with org_scope(target.org_id):
        target.delete()
