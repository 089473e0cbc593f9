"""The shared customer pool (公海, K1) and the handover of a departing rep's work.

Rules:

- A customer returns to the pool (owner cleared, `pool_entered_at` set, a RETURNED
  PoolEvent) when it has had no follow-up for the organisation's `pool_after_days`:
  its last contact (or, never contacted, its creation) and its last claim or handover
  are all older than that. Locked customers (B6: "keep this one") and restricted ones
  (B7: their data must not reach a shared list) never return on their own. 0 days
  switches the return off. The daily job is idempotent: a customer in the pool has no
  owner, so a second run finds nothing more to return.
- Anyone who may view customers sees the pool, even with "own records" visibility:
  pool customers have no owner, so own/team visibility would hide all of them and
  nobody could claim. The pool shows names, classification and dates, never phones or
  e-mails; those appear once the customer is claimed.
- Claiming needs the change permission, stops at the organisation's per-rep limit
  (counting the rep's current customers; 0 = no limit) and is refused when the rep
  already owns a customer with the same phone, e-mail or normalised name (named in the
  message). Two reps claiming at once: the first wins, the second is told.
- Releasing gives a customer back to the pool (RELEASED).
- Handover moves everything a departing rep owns to a colleague in one transaction:
  customers (HANDED_OVER per customer) and whatever later apps register with
  `register_handover_step` (open tasks and meetings from the activities app now;
  opportunities when the sales app exists).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_scopes import scopes_disabled

from guanxi.core.exceptions import DomainError
from guanxi.core.models import Organisation
from guanxi.core.permissions import CHANGE, VIEW, MembershipLike, has_perm
from guanxi.core.scoping import org_scope
from guanxi.parties.merging import email_key, name_key, phone_key
from guanxi.parties.models import Party, PartySettings, PoolEvent

DEFAULT_POOL_AFTER_DAYS = PartySettings._meta.get_field("pool_after_days").default
DEFAULT_CLAIM_LIMIT = PartySettings._meta.get_field("pool_claim_limit").default


# The object type whose permissions cover the pool report (view) and handover (change).
POOL_OBJECT_TYPE = "customer_pool"


def may_see_pool_report(membership: MembershipLike | None) -> bool:
    return has_perm(membership, VIEW, POOL_OBJECT_TYPE)


class PoolError(DomainError):
    status_code = 409
    code = "pool_refused"


# --- settings ------------------------------------------------------------------------------


def pool_settings(org: Any) -> PartySettings:
    """Return the organisation's customers-area settings row, creating it on first use."""
    org_id = getattr(org, "pk", org)
    with org_scope(org_id):
        try:
            with transaction.atomic():
                row, _created = PartySettings.objects.get_or_create(org_id=org_id)
        except IntegrityError:  # created at the same moment by another request
            row = PartySettings.objects.get(org_id=org_id)
        return row


@transaction.atomic
def update_pool_settings(
    *, org: Any, actor: Any, pool_after_days: int, pool_claim_limit: int
) -> PartySettings:
    """Change the pool rules (administrators). Only these two columns are written."""
    if pool_after_days < 0 or pool_after_days > 3650:
        raise DomainError(_("Choose between 0 and 3650 days."), field="pool_after_days")
    if pool_claim_limit < 0 or pool_claim_limit > 1_000_000:
        raise DomainError(_("Choose 0 (no limit) or a positive number."), field="pool_claim_limit")
    row = pool_settings(org)
    row.pool_after_days = pool_after_days
    row.pool_claim_limit = pool_claim_limit
    with org_scope(row.org_id):
        row.save(update_fields=["pool_after_days", "pool_claim_limit"])
    return row


# --- the daily return -----------------------------------------------------------------------


def idle_customers(org_id: int, days: int, now: datetime) -> QuerySet[Party]:
    """Owned customers without follow-up, claim or handover for `days` days."""
    cutoff = now - timedelta(days=days)
    recently_taken = PoolEvent.objects.filter(
        party=OuterRef("pk"),
        kind__in=[PoolEvent.Kind.CLAIMED, PoolEvent.Kind.HANDED_OVER],
        at__gte=cutoff,
    )
    with org_scope(org_id):
        return (
            Party.objects.filter(
                is_customer=True, owner__isnull=False, is_locked=False, is_restricted=False
            )
            .annotate(idle_since=Coalesce("last_contact_at", "created_at"))
            .filter(idle_since__lt=cutoff)
            .exclude(Exists(recently_taken))
        )


def return_idle_to_pool(*, now: datetime | None = None, org: Any = None) -> int:
    """Return idle customers of every organisation (or one) to the pool; return how many."""
    now = now or timezone.now()
    with scopes_disabled():
        orgs = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
        rules = dict(PartySettings.objects.values_list("org_id", "pool_after_days"))
    if org is not None:
        orgs = [getattr(org, "pk", org)]
    returned = 0
    for org_id in orgs:
        days = rules.get(org_id, DEFAULT_POOL_AFTER_DAYS)
        if days:
            returned += _return_org(org_id, days, now)
    return returned


def _return_org(org_id: int, days: int, now: datetime) -> int:
    returned = 0
    with org_scope(org_id):
        while True:
            with transaction.atomic():
                batch = list(idle_customers(org_id, days, now).order_by("pk")[:500])
                if not batch:
                    break
                _to_pool(
                    batch,
                    kind=PoolEvent.Kind.RETURNED,
                    actor=None,
                    now=now,
                    reason=_("Returned to the pool: no follow-up for %(days)s days")
                    % {"days": days},
                )
                returned += len(batch)
    return returned


def _to_pool(parties: list[Party], *, kind: str, actor: Any, now: datetime, reason: str) -> None:
    events = [
        PoolEvent(
            org_id=p.org_id,
            party=p,
            kind=kind,
            from_user_id=p.owner_id,
            actor=actor if getattr(actor, "pk", None) else None,
        )
        for p in parties
    ]
    for party in parties:
        party.owner = None
        party.pool_entered_at = now
        party.version += 1
        party.updated_at = now
    Party.objects.bulk_update(parties, ["owner", "pool_entered_at", "version", "updated_at"])
    PoolEvent.objects.bulk_create(events)
    Party.history.bulk_history_create(
        parties,
        update=True,
        default_user=actor if getattr(actor, "pk", None) else None,
        default_change_reason=reason,
        default_date=now,
    )


# --- the pool page -----------------------------------------------------------------------------


def pool_customers(membership: MembershipLike | None) -> QuerySet[Party]:
    """The customers in the pool, for anyone who may view customers (see the module rules)."""
    if membership is None or not has_perm(membership, VIEW, "party"):
        return Party.objects.none()
    return Party.objects.filter(
        org_id=membership.org_id, is_customer=True, owner__isnull=True
    ).order_by("-pool_entered_at", "short_name", "id")


def owned_count(org_id: int, user_id: int) -> int:
    with org_scope(org_id):
        return Party.objects.filter(is_customer=True, owner_id=user_id).count()


def duplicate_owned(party: Party, user_id: int) -> tuple[Party, str] | None:
    """A customer the rep owns with the same phone, e-mail or normalised name, and which."""
    phones = {phone_key(party.mobile), phone_key(party.phone)} - {""}
    email = email_key(party.email)
    name = name_key(party.name)
    candidates = (
        Party.objects.filter(is_customer=True, owner_id=user_id)
        .exclude(pk=party.pk)
        .values_list("pk", "name", "mobile", "phone", "email")
    )
    # One query over the rep's own customers (bounded by the claim limit in practice).
    for pk, other_name, mobile, phone, other_email in candidates.iterator(chunk_size=2000):
        if phones and phones & ({phone_key(mobile), phone_key(phone)} - {""}):
            return Party.objects.get(pk=pk), "phone"
        if email and email == email_key(other_email):
            return Party.objects.get(pk=pk), "email"
        if name and name == name_key(other_name):
            return Party.objects.get(pk=pk), "name"
    return None


@transaction.atomic
def claim_party(*, party: Party, membership: MembershipLike, actor: Any) -> Party:
    """Take a customer from the pool.

    Raise PoolError when the customer is not in the pool (any more), the rep's limit is
    reached, or the rep already owns the same customer; PermissionDenied without the
    change permission.
    """
    from django.core.exceptions import PermissionDenied

    if not has_perm(membership, CHANGE, "party"):
        raise PermissionDenied
    with org_scope(party.org_id):
        fresh = Party.objects.select_for_update().filter(pk=party.pk).first()
        if fresh is None or fresh.owner_id is not None or not fresh.is_customer:
            raise PoolError(_("This customer is no longer in the pool."))
        limit = pool_settings(party.org_id).pool_claim_limit
        owned = owned_count(party.org_id, membership.user_id)
        if limit and owned >= limit:
            raise PoolError(
                _(
                    "You already own %(owned)s customers; the limit is %(limit)s. Release "
                    "some to the pool before claiming more."
                )
                % {"owned": owned, "limit": limit}
            )
        clash = duplicate_owned(fresh, membership.user_id)
        if clash is not None:
            other, how = clash
            what = {"phone": _("phone number"), "email": _("e-mail address"), "name": _("name")}[
                how
            ]
            raise PoolError(
                _("You already own “%(name)s”, which has the same %(what)s.")
                % {"name": other.display_name, "what": what}
            )
        # The conditional update is the claim itself: of two claims, one matches.
        claimed = Party.objects.filter(pk=fresh.pk, owner__isnull=True).update(
            owner_id=membership.user_id
        )
        if claimed != 1:
            raise PoolError(_("Someone else has just claimed this customer."))
        fresh.owner_id = membership.user_id
        fresh.pool_entered_at = None
        fresh.version += 1
        fresh._change_reason = _("Claimed from the pool")  # type: ignore[attr-defined]
        fresh.save(update_fields=["owner", "pool_entered_at", "version", "updated_at"])
        PoolEvent.objects.create(
            org_id=fresh.org_id,
            party=fresh,
            kind=PoolEvent.Kind.CLAIMED,
            to_user_id=membership.user_id,
            actor=actor if getattr(actor, "pk", None) else None,
        )
        return fresh


@transaction.atomic
def release_party(*, party: Party, membership: MembershipLike, actor: Any) -> Party:
    """Give a customer back to the pool.

    The caller has already checked that the member sees the customer. Raise PoolError
    when it is already in the pool; PermissionDenied without the change permission.
    """
    from django.core.exceptions import PermissionDenied

    if not has_perm(membership, CHANGE, "party"):
        raise PermissionDenied
    with org_scope(party.org_id):
        fresh = Party.objects.select_for_update().filter(pk=party.pk).first()
        if fresh is None or fresh.owner_id is None:
            raise PoolError(_("This customer is already in the pool."))
        _to_pool(
            [fresh],
            kind=PoolEvent.Kind.RELEASED,
            actor=actor,
            now=timezone.now(),
            reason=_("Released to the pool"),
        )
        return fresh


# --- the report ---------------------------------------------------------------------------------


@dataclass
class PoolReportRow:
    month: datetime
    user_id: int | None
    user: str
    into_pool: int = 0  # returned or released from this rep
    claimed: int = 0  # taken from the pool by this rep
    handed_in: int = 0
    handed_out: int = 0


def pool_report(org: Any, *, months: int = 12, now: datetime | None = None) -> list[PoolReportRow]:
    """Pool inflow and outflow per rep and month, newest month first (from PoolEvent)."""
    from guanxi.accounts.models import User

    org_id = getattr(org, "pk", org)
    now = now or timezone.now()
    start = (
        timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        - timedelta(days=31 * (months - 1))
    ).replace(day=1)
    rows: dict[tuple[Any, Any], PoolReportRow] = {}
    with org_scope(org_id):
        events = (
            PoolEvent.objects.filter(at__gte=start)
            .annotate(month=TruncMonth("at", tzinfo=timezone.get_current_timezone()))
            .values("month", "kind", "from_user_id", "to_user_id")
            .annotate(n=Count("id"))
        )
        users: set[int] = set()
        counted = list(events)
        for item in counted:
            users.update(u for u in (item["from_user_id"], item["to_user_id"]) if u)
        names = {u.pk: str(u) for u in User.objects.filter(pk__in=users)}

    def row(month: Any, user_id: Any) -> PoolReportRow:
        key = (month, user_id)
        if key not in rows:
            rows[key] = PoolReportRow(month, user_id, names.get(user_id, "—"))
        return rows[key]

    for item in counted:
        kind, n = item["kind"], item["n"]
        if kind in (PoolEvent.Kind.RETURNED, PoolEvent.Kind.RELEASED) and item["from_user_id"]:
            row(item["month"], item["from_user_id"]).into_pool += n
        elif kind == PoolEvent.Kind.CLAIMED and item["to_user_id"]:
            row(item["month"], item["to_user_id"]).claimed += n
        elif kind == PoolEvent.Kind.HANDED_OVER:
            if item["to_user_id"]:
                row(item["month"], item["to_user_id"]).handed_in += n
            if item["from_user_id"]:
                row(item["month"], item["from_user_id"]).handed_out += n
    return sorted(rows.values(), key=lambda r: (-r.month.timestamp(), r.user))


# --- handover ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class HandoverStep:
    """One kind of work moved at a handover: `run` moves it and returns how many."""

    key: str
    label: str | Promise
    run: Callable[..., int]
    order: int = 100


_STEPS: dict[str, HandoverStep] = {}


def register_handover_step(
    key: str, label: str | Promise, run: Callable[..., int], *, order: int = 100
) -> HandoverStep:
    """Add what a handover moves (apps call this at start-up, e.g. open opportunities).

    `run(org_id=…, from_user_id=…, to_user_id=…, actor=…, now=…)` runs inside the
    handover's transaction and the organisation's scope; it returns how many records
    it moved.
    """
    step = HandoverStep(key=key, label=label, run=run, order=order)
    _STEPS[key] = step
    return step


def handover_steps() -> list[HandoverStep]:
    return sorted(_STEPS.values(), key=lambda s: (s.order, s.key))


def may_hand_over(membership: MembershipLike | None) -> bool:
    return has_perm(membership, CHANGE, POOL_OBJECT_TYPE)


class HandoverRefused(DomainError):
    code = "handover_refused"


@transaction.atomic
def hand_over(
    *, org: Any, from_user: Any, to_user: Any, actor: Any, steps: list[str] | None = None
) -> dict[str, int]:
    """Move a departing rep's customers and open work to a colleague, in one transaction.

    Return {step key: how many moved}. Raise HandoverRefused when both are the same
    person or the receiver is not an active member.
    """
    from guanxi.accounts.models import Membership

    org_id = getattr(org, "pk", org)
    from_id, to_id = getattr(from_user, "pk", from_user), getattr(to_user, "pk", to_user)
    if from_id == to_id:
        raise HandoverRefused(_("Choose two different people."), field="to_user")
    with org_scope(org_id):
        if not Membership.objects.filter(user_id=to_id, is_active=True).exists():
            raise HandoverRefused(
                _("The receiving person is not an active member."), field="to_user"
            )
        if not Membership.objects.filter(user_id=from_id).exists():
            raise HandoverRefused(_("Choose a member of this organisation."), field="from_user")
        now = timezone.now()
        chosen = [s for s in handover_steps() if steps is None or s.key in steps]
        return {
            step.key: step.run(
                org_id=org_id, from_user_id=from_id, to_user_id=to_id, actor=actor, now=now
            )
            for step in chosen
        }


def _hand_over_customers(
    *, org_id: int, from_user_id: int, to_user_id: int, actor: Any, now: datetime
) -> int:
    moved = 0
    reason = _("Handed over")
    ids = list(
        Party.all_objects.filter(owner_id=from_user_id).order_by("pk").values_list("pk", flat=True)
    )
    for start in range(0, len(ids), 500):
        parties = list(Party.all_objects.filter(pk__in=ids[start : start + 500]))
        events = [
            PoolEvent(
                org_id=org_id,
                party=p,
                kind=PoolEvent.Kind.HANDED_OVER,
                from_user_id=from_user_id,
                to_user_id=to_user_id,
                actor=actor if getattr(actor, "pk", None) else None,
            )
            for p in parties
        ]
        for party in parties:
            party.owner_id = to_user_id
            party.version += 1
            party.updated_at = now
        Party.all_objects.bulk_update(parties, ["owner", "version", "updated_at"])
        PoolEvent.objects.bulk_create(events)
        Party.history.bulk_history_create(
            parties,
            update=True,
            default_user=actor if getattr(actor, "pk", None) else None,
            default_change_reason=reason,
            default_date=now,
        )
        moved += len(parties)
    return moved


def _hand_over_open_activities(
    *, org_id: int, from_user_id: int, to_user_id: int, actor: Any, now: datetime
) -> int:
    try:
        from guanxi.activities.models import Activity
    except ImportError:  # the activities app is not installed
        return 0
    rows = list(Activity.objects.filter(owner_id=from_user_id, status=Activity.Status.PLANNED))
    for row in rows:
        row.owner_id = to_user_id
        row.version += 1
        row.updated_at = now
    if rows:
        Activity.objects.bulk_update(rows, ["owner", "version", "updated_at"], batch_size=500)
        history = getattr(Activity, "history", None)
        if history is not None:
            history.bulk_history_create(
                rows,
                update=True,
                default_user=actor if getattr(actor, "pk", None) else None,
                default_change_reason=_("Handed over"),
                default_date=now,
            )
    return len(rows)


register_handover_step("customers", gettext_lazy("Customers"), _hand_over_customers, order=10)


def _activities_installed() -> bool:
    from django.apps import apps

    return apps.is_installed("guanxi.activities")


if _activities_installed():
    register_handover_step(
        "open_activities",
        gettext_lazy("Open tasks, meetings and other planned activities"),
        _hand_over_open_activities,
        order=20,
    )
