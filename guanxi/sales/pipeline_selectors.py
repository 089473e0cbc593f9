"""Reads of the sales pipeline, narrowed by the permission service (ARCHITECTURE rule 2).

Leads and opportunities are owned records (object types `lead` and `opportunity`, owner
field `owner`): a member sees their own, their team's or the whole organisation's, as
their role says, on every page, the kanban and the API. Targets (`sales_target`) are
seen the same way by their person; a team's target is seen by its members too.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from guanxi.api.pagination import InvalidCursor, KeysetPagination
from guanxi.core.permissions import (
    ADD,
    VIEW,
    MembershipLike,
    Visibility,
    get_visible_or_404,
    has_perm,
    is_org_admin,
    visible,
)
from guanxi.core.scoping import org_scope
from guanxi.sales.models import (
    Lead,
    Opportunity,
    PipelineStage,
    SalesTarget,
    StageChange,
)

ZERO = Decimal("0")
CENT = Decimal("0.01")
LEAD_ORDER: tuple[str, ...] = ("-created_at", "-id")
# Sort keys of the opportunity list: (ordering, label key).
OPPORTUNITY_SORTS: dict[str, tuple[str, ...]] = {
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "close_date": ("close_date", "id"),
    "-close_date": ("-close_date", "-id"),
    "-amount": ("-amount", "-id"),
    "amount": ("amount", "id"),
    "name": ("name", "id"),
}
DEFAULT_SORT = "-created"
# How many cards a kanban column shows; the column's totals count them all.
CARDS_PER_COLUMN = 50


# --- paging ----------------------------------------------------------------------------------


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def keyset_page(qs: QuerySet[Any], ordering: Sequence[str], cursor: str | None, limit: int) -> Page:
    """One page of `qs` after `cursor` (the API's cursor format); a cursor that does not
    decode starts again from the first page."""
    paginator = KeysetPagination(ordering=ordering)
    try:
        result = paginator.paginate_queryset(
            qs,
            paginator.Input(cursor=cursor or None, limit=limit),
            request=None,  # type: ignore[arg-type]
        )
    except InvalidCursor:
        result = paginator.paginate_queryset(
            qs,
            paginator.Input(cursor=None, limit=limit),
            request=None,  # type: ignore[arg-type]
        )
    return Page(items=result["items"], next_cursor=result["next_cursor"])


# --- leads -------------------------------------------------------------------------------------


def visible_leads(membership: MembershipLike | None) -> QuerySet[Lead]:
    return visible(Lead.objects.select_related("owner"), membership, "lead")


def get_lead_for_user(membership: MembershipLike | None, pk: Any) -> Lead:
    queryset = Lead.objects.select_related("owner", "party", "contact", "opportunity")
    return get_visible_or_404(queryset, membership, "lead", pk=pk)


def filtered_leads(
    membership: MembershipLike | None, *, status: str | None = None, query: str = ""
) -> QuerySet[Lead]:
    qs = visible_leads(membership)
    if status:
        qs = qs.filter(status=status)
    for word in (query or "").split()[:5]:
        qs = qs.filter(
            Q(title__icontains=word)
            | Q(company__icontains=word)
            | Q(person_name__icontains=word)
            | Q(phone__icontains=word)
            | Q(email__icontains=word)
        )
    return qs.order_by(*LEAD_ORDER)


def lead_status_counts(membership: MembershipLike | None) -> dict[str, int]:
    rows = visible_leads(membership).order_by().values("status").annotate(n=Count("id"))
    counts = {row["status"]: row["n"] for row in rows}
    counts["all"] = sum(counts.values())
    return counts


# --- stages ------------------------------------------------------------------------------------


def stages_of(org: Any, *, active_only: bool = False) -> list[PipelineStage]:
    with org_scope(org):
        qs = PipelineStage.objects.all()
        if active_only:
            qs = qs.filter(is_active=True)
        return list(qs.order_by("position", "id"))


# --- opportunities ---------------------------------------------------------------------------


def visible_opportunities(membership: MembershipLike | None) -> QuerySet[Opportunity]:
    return visible(
        Opportunity.objects.select_related("party", "contact", "stage", "owner"),
        membership,
        "opportunity",
    )


def get_opportunity_for_user(membership: MembershipLike | None, pk: Any) -> Opportunity:
    return get_visible_or_404(
        Opportunity.objects.select_related("party", "contact", "stage", "owner", "competitor"),
        membership,
        "opportunity",
        pk=pk,
    )


@dataclass(frozen=True)
class OpportunityFilters:
    stage_id: int | None = None
    status: str | None = None
    owner_id: int | None = None
    party_id: int | None = None
    close_month: datetime.date | None = None  # any day of the month
    query: str = ""


def month_bounds(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    start = day.replace(day=1)
    end = (start + datetime.timedelta(days=32)).replace(day=1)
    return start, end


def filtered_opportunities(
    membership: MembershipLike | None, filters: OpportunityFilters
) -> QuerySet[Opportunity]:
    qs = visible_opportunities(membership)
    if filters.stage_id is not None:
        qs = qs.filter(stage_id=filters.stage_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.owner_id is not None:
        qs = qs.filter(owner_id=filters.owner_id)
    if filters.party_id is not None:
        qs = qs.filter(party_id=filters.party_id)
    if filters.close_month is not None:
        start, end = month_bounds(filters.close_month)
        qs = qs.filter(close_date__gte=start, close_date__lt=end)
    for word in (filters.query or "").split()[:5]:
        qs = qs.filter(Q(name__icontains=word) | Q(party__search_text__icontains=word.lower()))
    return qs


def weighted_expression() -> Any:
    return ExpressionWrapper(
        F("amount") * F("probability") / Value(Decimal("100")),
        output_field=DecimalField(max_digits=18, decimal_places=4),
    )


@dataclass
class Totals:
    count: int = 0
    amount: Decimal = ZERO
    weighted: Decimal = ZERO

    def as_dict(self) -> dict[str, str | int]:
        return {
            "count": self.count,
            "amount": f"{self.amount:.2f}",
            "weighted": f"{self.weighted:.2f}",
        }


def _totals(row: Mapping[str, Any]) -> Totals:
    return Totals(
        count=row["n"] or 0,
        amount=(row["sum_amount"] or ZERO).quantize(CENT),
        weighted=(row["sum_weighted"] or ZERO).quantize(CENT),
    )


def totals_by_stage(qs: QuerySet[Opportunity]) -> dict[int, Totals]:
    """Count, Σ amount and Σ amount × probability per stage, in one grouped query."""
    rows = (
        qs.order_by()
        .values("stage_id")
        .annotate(n=Count("id"), sum_amount=Sum("amount"), sum_weighted=Sum(weighted_expression()))
    )
    return {row["stage_id"]: _totals(row) for row in rows}


@dataclass
class Column:
    stage: PipelineStage
    cards: list[Opportunity] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)

    @property
    def more(self) -> int:
        return max(0, self.totals.count - len(self.cards))


@dataclass
class Board:
    columns: list[Column]  # open stages, in order
    won: list[Column]  # drop zones: cards closed this month
    lost: list[Column]
    totals: Totals


# What a kanban card shows: loading only these keeps a board of hundreds of cards light.
CARD_FIELDS = (
    "id",
    "org_id",
    "version",
    "name",
    "amount",
    "probability",
    "close_date",
    "closed_at",
    "status",
    "stage_id",
    "party__id",
    "party__name",
    "party__short_name",
    "owner__id",
    "owner__username",
    "owner__display_name",
    "owner__first_name",
    "owner__last_name",
)


def _cards(qs: QuerySet[Opportunity]) -> list[Opportunity]:
    """The cards of one column, with their links built once per board rather than by a URL
    reversal per card in the template."""
    from django.urls import reverse

    cards = list(qs.select_related(None).select_related("party", "owner").only(*CARD_FIELDS))
    move, detail = (
        reverse(name, args=[0]) for name in ("sales:opportunity_move", "sales:opportunity_detail")
    )
    for opp in cards:
        opp.move_url = move.replace("/0/", f"/{opp.pk}/", 1)  # type: ignore[attr-defined]
        opp.detail_url = detail.replace("/0/", f"/{opp.pk}/", 1)  # type: ignore[attr-defined]
    return cards


def pipeline_board(
    membership: MembershipLike,
    filters: OpportunityFilters,
    *,
    per_column: int = CARDS_PER_COLUMN,
    today: datetime.date | None = None,
) -> Board:
    """The kanban: a column per active open stage with its open opportunities (the soonest
    closing first) and totals, and won/lost drop zones with this month's closed deals.

    A fixed number of queries whatever the number of opportunities: the totals are one
    grouped query, the cards one query per column (at most `per_column` each).
    """
    from guanxi.sales.pipeline_services import ensure_default_stages

    stages = [s for s in ensure_default_stages(membership.org_id) if s.is_active]
    base = filtered_opportunities(membership, filters)
    open_qs = base.filter(status=Opportunity.Status.OPEN)
    open_totals = totals_by_stage(open_qs)
    today = today or timezone.localdate()
    start, end = month_bounds(today)
    closed_qs = base.exclude(status=Opportunity.Status.OPEN).filter(
        closed_at__date__gte=start, closed_at__date__lt=end
    )
    closed_totals = totals_by_stage(closed_qs)
    columns: list[Column] = []
    won: list[Column] = []
    lost: list[Column] = []
    overall = Totals()
    for stage in stages:
        if stage.outcome == PipelineStage.Outcome.OPEN:
            totals = open_totals.get(stage.pk, Totals())
            cards = _cards(
                open_qs.filter(stage_id=stage.pk).order_by(
                    F("close_date").asc(nulls_last=True), "id"
                )[:per_column]
            )
            columns.append(Column(stage, cards, totals))
            overall.count += totals.count
            overall.amount += totals.amount
            overall.weighted += totals.weighted
        else:
            totals = closed_totals.get(stage.pk, Totals())
            cards = _cards(closed_qs.filter(stage_id=stage.pk).order_by("-closed_at", "-id")[:5])
            zone = Column(stage, cards, totals)
            (won if stage.outcome == PipelineStage.Outcome.WON else lost).append(zone)
    return Board(columns=columns, won=won, lost=lost, totals=overall)


def stage_totals(membership: MembershipLike, filters: OpportunityFilters) -> dict[int, Totals]:
    """The kanban columns' totals (open stages: open deals; won/lost: this month's)."""
    base = filtered_opportunities(membership, filters)
    totals = totals_by_stage(base.filter(status=Opportunity.Status.OPEN))
    start, end = month_bounds(timezone.localdate())
    closed = totals_by_stage(
        base.exclude(status=Opportunity.Status.OPEN).filter(
            closed_at__date__gte=start, closed_at__date__lt=end
        )
    )
    for stage_id, value in closed.items():
        totals.setdefault(stage_id, value)
    return totals


def opportunity_activities(membership: MembershipLike | None, opp: Opportunity) -> QuerySet[Any]:
    """The activities linked to the opportunity that the member may see, newest first."""
    from guanxi.activities.selectors import TIMELINE_ORDER, visible_activities

    return (
        visible_activities(membership)
        .filter(opportunity_id=opp.pk)
        .select_related("party", "contact", "owner")
        .order_by(*TIMELINE_ORDER)
    )


def stage_changes_of(opp: Opportunity) -> list[StageChange]:
    with org_scope(opp.org_id):
        return list(
            StageChange.objects.filter(opportunity=opp)
            .select_related("from_stage", "to_stage", "changed_by")
            .order_by("-changed_at", "-id")
        )


def party_opportunities(membership: MembershipLike | None, party: Any) -> QuerySet[Opportunity]:
    return (
        visible_opportunities(membership)
        .filter(party_id=party.pk)
        .order_by("status", "-created_at", "-id")
    )


# --- targets and attainment ------------------------------------------------------------------

COUNTED_ORDER_STATUSES: tuple[str, ...] = ("confirmed", "completed")


def period_bounds(period: str, year: int, number: int) -> tuple[datetime.date, datetime.date]:
    """[start, end) of a month, quarter or year."""
    if period == SalesTarget.Period.MONTH:
        start = datetime.date(year, number, 1)
        return start, month_bounds(start)[1]
    if period == SalesTarget.Period.QUARTER:
        start = datetime.date(year, 3 * (number - 1) + 1, 1)
        end_month = start.month + 3
        end = datetime.date(year + 1, 1, 1) if end_month > 12 else datetime.date(year, end_month, 1)
        return start, end
    return datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)


def current_period(period: str, today: datetime.date) -> tuple[int, int]:
    if period == SalesTarget.Period.MONTH:
        return today.year, today.month
    if period == SalesTarget.Period.QUARTER:
        return today.year, (today.month - 1) // 3 + 1
    return today.year, 1


def visible_targets(membership: MembershipLike | None) -> QuerySet[SalesTarget]:
    """Targets the member may see: by role visibility on the person, plus their own team's."""
    if membership is None or not has_perm(membership, VIEW, "sales_target"):
        return SalesTarget.objects.none()
    qs = SalesTarget.objects.filter(org_id=membership.org_id).select_related("user", "team")
    if is_org_admin(membership) or membership.role.visibility == Visibility.ORG:
        return qs
    people = visible(qs.filter(user__isnull=False), membership, "sales_target")
    team = qs.filter(team_id=membership.team_id) if membership.team_id else qs.none()
    return (people | team).distinct()


def may_edit_targets(membership: MembershipLike | None) -> bool:
    return has_perm(membership, ADD, "sales_target")


def team_user_ids(org_id: int, team_ids: Iterable[int]) -> dict[int, set[int]]:
    from guanxi.accounts.models import Membership

    result: dict[int, set[int]] = {}
    rows = Membership.objects.filter(org_id=org_id, team_id__in=list(team_ids)).values_list(
        "team_id", "user_id"
    )
    for team_id, user_id in rows:
        result.setdefault(team_id, set()).add(user_id)
    return result


def monthly_order_totals(
    org_id: int, user_ids: Iterable[int], start: datetime.date, end: datetime.date
) -> dict[tuple[int, datetime.date], Decimal]:
    """Σ confirmed and completed order totals per (owner, first day of month), in one query."""
    from guanxi.sales.models import Order

    users = sorted(set(user_ids))
    if not users:
        return {}
    with org_scope(org_id):
        rows = (
            Order.objects.filter(
                org_id=org_id,
                status__in=COUNTED_ORDER_STATUSES,
                owner_id__in=users,
                date__gte=start,
                date__lt=end,
            )
            .annotate(month=TruncMonth("date"))
            .order_by()
            .values("owner_id", "month")
            .annotate(total=Coalesce(Sum("total"), Value(ZERO)))
        )
        result: dict[tuple[int, datetime.date], Decimal] = {}
        for row in rows:
            month = row["month"]
            if isinstance(month, datetime.datetime):
                month = month.date()
            result[(row["owner_id"], month)] = row["total"]
        return result


@dataclass
class Attainment:
    """A target (or none) and what was reached in its period."""

    period: str
    year: int
    number: int
    target: Decimal | None
    attained: Decimal
    target_obj: SalesTarget | None = None
    label: str = ""

    @property
    def gap(self) -> Decimal | None:
        if self.target is None:
            return None
        return max(ZERO, self.target - self.attained)

    @property
    def percent(self) -> int | None:
        if not self.target:
            return None
        return int((self.attained * 100 / self.target).to_integral_value())

    @property
    def bar_percent(self) -> int:
        return min(100, self.percent or 0)


def _sum_months(
    totals: dict[tuple[int, datetime.date], Decimal],
    users: Iterable[int],
    start: datetime.date,
    end: datetime.date,
) -> Decimal:
    users = set(users)
    return sum(
        (
            value
            for (user_id, month), value in totals.items()
            if user_id in users and start <= month < end
        ),
        ZERO,
    ).quantize(CENT)


def attainments_of(org_id: int, targets: Sequence[SalesTarget]) -> list[Attainment]:
    """Each target with the Σ of its person's (or team's) confirmed orders in its period.

    Two queries whatever the number of targets: the teams' members and the orders
    grouped by owner and month.
    """
    if not targets:
        return []
    teams = team_user_ids(org_id, {t.team_id for t in targets if t.team_id})
    users: set[int] = {t.user_id for t in targets if t.user_id} | {
        u for members in teams.values() for u in members
    }
    bounds = [period_bounds(t.period, t.year, t.number) for t in targets]
    totals = monthly_order_totals(
        org_id, users, min(b[0] for b in bounds), max(b[1] for b in bounds)
    )
    result = []
    for target, (start, end) in zip(targets, bounds, strict=True):
        who = {target.user_id} if target.user_id else teams.get(target.team_id or 0, set())
        result.append(
            Attainment(
                period=target.period,
                year=target.year,
                number=target.number,
                target=target.amount,
                attained=_sum_months(totals, who, start, end),
                target_obj=target,
            )
        )
    return result


def attainment_for(
    org_id: int,
    *,
    user_id: int | None = None,
    team_id: int | None = None,
    period: str,
    year: int,
    number: int,
) -> Attainment:
    """The attainment of a person or team in one period, with their target when set."""
    with org_scope(org_id):
        subject: dict[str, Any] = {"user_id": user_id, "team_id": team_id}
        target = SalesTarget.objects.filter(
            org_id=org_id, period=period, year=year, number=number, **subject
        ).first()
    if team_id is not None:
        who = team_user_ids(org_id, [team_id]).get(team_id, set())
    else:
        who = {user_id} if user_id else set()
    start, end = period_bounds(period, year, number)
    totals = monthly_order_totals(org_id, who, start, end)
    return Attainment(
        period=period,
        year=year,
        number=number,
        target=target.amount if target else None,
        attained=_sum_months(totals, who, start, end),
        target_obj=target,
    )


@dataclass
class PersonRow:
    membership: Any
    month: Attainment
    quarter: Attainment
    year: Attainment
    pipeline: Totals


def sales_people(membership: MembershipLike) -> list[Any]:
    """The members whose sales the member may see: the team's or the organisation's
    members who may add opportunities."""
    from guanxi.accounts.models import Membership

    qs = Membership.objects.filter(org_id=membership.org_id, is_active=True).select_related(
        "user", "role", "team"
    )
    if not (is_org_admin(membership) or membership.role.visibility == Visibility.ORG):
        if membership.role.visibility == Visibility.TEAM and membership.team_id:
            qs = qs.filter(team_id=membership.team_id)
        else:
            qs = qs.filter(user_id=membership.user_id)
    return [m for m in qs.order_by("user__username") if has_perm(m, ADD, "opportunity")]


def people_overview(membership: MembershipLike, today: datetime.date) -> list[PersonRow]:
    """Per person: this month's, quarter's and year's target and attainment, and their
    open pipeline. A fixed number of queries whatever the number of people."""
    people = sales_people(membership)
    if not people:
        return []
    org_id = membership.org_id
    user_ids = [m.user_id for m in people]
    periods = {p: current_period(p, today) for p in SalesTarget.Period.values}
    with org_scope(org_id):
        targets = {
            (t.user_id, t.period): t.amount
            for t in SalesTarget.objects.filter(
                org_id=org_id, user_id__in=user_ids, year=today.year
            )
            if (t.year, t.number) == periods[t.period]
        }
        totals = monthly_order_totals(
            org_id, user_ids, datetime.date(today.year, 1, 1), datetime.date(today.year + 1, 1, 1)
        )
        pipeline = {
            row["owner_id"]: _totals(row)
            for row in Opportunity.objects.filter(
                org_id=org_id, status=Opportunity.Status.OPEN, owner_id__in=user_ids
            )
            .order_by()
            .values("owner_id")
            .annotate(
                n=Count("id"), sum_amount=Sum("amount"), sum_weighted=Sum(weighted_expression())
            )
        }
    rows = []
    for member in people:
        values = {}
        for period, (year, number) in periods.items():
            start, end = period_bounds(period, year, number)
            values[period] = Attainment(
                period=period,
                year=year,
                number=number,
                target=targets.get((member.user_id, period)),
                attained=_sum_months(totals, {member.user_id}, start, end),
            )
        rows.append(
            PersonRow(
                membership=member,
                month=values[SalesTarget.Period.MONTH],
                quarter=values[SalesTarget.Period.QUARTER],
                year=values[SalesTarget.Period.YEAR],
                pipeline=pipeline.get(member.user_id, Totals()),
            )
        )
    return rows


@dataclass
class Overview:
    mine: list[Attainment]
    pipeline: Board | None
    won_this_month: Totals
    people: list[PersonRow]


def my_attainments(membership: MembershipLike, today: datetime.date) -> list[Attainment]:
    result = []
    for period in SalesTarget.Period.values:
        year, number = current_period(period, today)
        result.append(
            attainment_for(
                membership.org_id,
                user_id=membership.user_id,
                period=period,
                year=year,
                number=number,
            )
        )
    return result
