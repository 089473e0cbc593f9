"""Writes of the customer-metrics part: refreshes (with their progress), the analysis
settings, and the visit plan of the churn-risk list.

Pages, the API, the nightly job and the demo seeder all come through here.
"""

from __future__ import annotations

import datetime
import functools
import logging
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.analytics import metrics
from guanxi.analytics.models import AnalyticsSettings, MetricsRun
from guanxi.core.models import Organisation
from guanxi.core.permissions import MembershipLike, visible
from guanxi.core.scoping import org_scope

logger = logging.getLogger(__name__)

# A queued or running refresh younger than this is reused instead of starting another.
RUN_REUSE_MINUTES = 30
# Months of the lifetime-value expectations stored per customer.
HORIZONS = (3, 6, 12)

SETTINGS_FIELDS = (
    "tier_method",
    "tier_vip_percent",
    "tier_major_percent",
    "tier_ordinary_percent",
    "quadrant_value_threshold",
    "quadrant_frequency_threshold",
    "lapse_days",
    "terminated_days",
    "decline_drop",
    "maturity_purchases",
    "maturity_days",
    "churn_weight",
    "churn_threshold",
)


# --- settings --------------------------------------------------------------------------


def get_settings(org: Organisation | int) -> AnalyticsSettings:
    """The organisation's analysis settings (created with the defaults on first use)."""
    org_id = org if isinstance(org, int) else org.pk
    with org_scope(org_id):
        found = AnalyticsSettings.objects.filter(org_id=org_id).first()
        if found is not None:
            return found
        config, _created = AnalyticsSettings.objects.get_or_create(org_id=org_id)
        return config


def validate_settings(config: AnalyticsSettings) -> None:
    """Field checks and the rules between fields; ValidationError with field messages."""
    errors: dict[str, list[str]] = {}
    try:
        config.full_clean(exclude=["org"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        errors.update(error.message_dict)

    def add(field: str, message: str) -> None:
        if field not in errors:
            errors.setdefault(field, []).append(message)

    cuts = ("tier_vip_percent", "tier_major_percent", "tier_ordinary_percent")
    values = [getattr(config, name) for name in cuts]
    if not any(name in errors for name in cuts):
        for name, value in zip(cuts, values, strict=True):
            if value is not None and not (0 < Decimal(value) <= 100):
                add(name, _("Enter a percentage above 0 and at most 100."))
        if not any(name in errors for name in cuts) and not (values[0] < values[1] < values[2]):
            add(
                "tier_major_percent",
                _("The cut-offs must rise: VIP below major, major below ordinary."),
            )
    if (
        "terminated_days" not in errors
        and "lapse_days" not in errors
        and config.terminated_days <= config.lapse_days
    ):
        add("terminated_days", _("A customer must be lapsed before being terminated."))
    if "lapse_days" not in errors and config.lapse_days < 1:
        add("lapse_days", _("Enter at least one day."))
    if config.quadrant_value_threshold is not None and config.quadrant_value_threshold < 0:
        add("quadrant_value_threshold", _("The amount cannot be negative."))
    if config.quadrant_frequency_threshold is not None and config.quadrant_frequency_threshold < 2:
        add("quadrant_frequency_threshold", _("A repeat buyer has bought at least twice."))
    if "maturity_purchases" not in errors and config.maturity_purchases < 2:
        add("maturity_purchases", _("A mature customer has bought at least twice."))
    if errors:
        raise ValidationError(errors)


def _clean(field: str, value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        if value == "" and field in ("quadrant_value_threshold", "quadrant_frequency_threshold"):
            return None
    if field in ("tier_vip_percent", "tier_major_percent", "tier_ordinary_percent") or (
        field == "quadrant_value_threshold" and value is not None
    ):
        try:
            return Decimal(str(value))
        except (InvalidOperation, ValueError):
            return value  # full_clean reports it on the field
    return value


@transaction.atomic
def update_settings(
    *, org: Organisation | int, actor: Any, data: Mapping[str, Any]
) -> AnalyticsSettings:
    """Change some settings. Raise ValidationError (per field) and save nothing on bad input."""
    config = get_settings(org)
    unknown = set(data) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationError(
            {name: [_("This setting does not exist.")] for name in sorted(unknown)}
        )
    for name, value in data.items():
        setattr(config, name, _clean(name, value))
    validate_settings(config)
    with org_scope(config.org_id):
        config.save()
    return config


# --- refresh -------------------------------------------------------------------------------


def apply_clv(
    org: Organisation, rows: list[metrics.Row], as_of: datetime.date, *, refit: bool = False
) -> str:
    """Score every buyer with the lifetime-value model (clv_services): P(alive) and the
    expectations. The model is fitted again when `refit`, or when the stored fit is not
    of this week (`needs_refit`); otherwise the stored parameters are used.

    Returns the fit's status; without a usable fit the rows keep None (the churn risk then
    rests on the purchase-rate drop alone).
    """
    import numpy as np

    from guanxi.analytics import clv
    from guanxi.analytics.clv_services import (
        PERIOD_DAYS,
        fit_clv_model,
        fit_params,
        latest_fit,
        load_purchases,
        needs_refit,
    )

    # The purchases are read once: the fit and the scoring share their summary.
    purchases = load_purchases(org, as_of)
    fit = latest_fit(org)
    if refit or needs_refit(fit, as_of):
        fit = fit_clv_model(org, as_of, purchases=purchases)
    assert fit is not None  # noqa: S101 (fit_clv_model always returns the saved row)
    bg, gg = fit_params(fit)
    if bg is None:
        return str(fit.status)
    summary = purchases.summary
    if not len(summary):
        return str(fit.status)
    with np.errstate(all="ignore"):
        # The clv part's one-pass scoring (each distinct customer history evaluated once).
        scores = clv.score(
            bg,
            gg,
            summary.frequency,
            summary.recency,
            summary.T,
            summary.monetary_value,
            horizons_months=HORIZONS,
            periods_per_month=clv.DAYS_PER_MONTH / PERIOD_DAYS,
        )
    # Whole columns are rounded and converted at once; rows then pick their index.
    alive = _float_list(np.clip(scores["p_alive"], 0.0, 1.0))
    expected = {m: _float_list(scores[f"expected_purchases_{m}m"]) for m in HORIZONS}
    spend = scores.get("expected_average_value")
    spend_list = _money_list(spend) if spend is not None else None
    values = {
        m: _money_list(found)
        for m in HORIZONS
        if (found := scores.get(f"expected_value_{m}m")) is not None
    }
    index = {pid: i for i, pid in enumerate(summary.customer_ids.tolist())}
    for row in rows:
        i = index.get(row.party_id)
        if i is None:
            continue
        row.p_alive = alive[i]
        row.expected_purchases = {m: found[i] for m, found in expected.items()}
        if spend_list is not None:
            row.expected_average_value = spend_list[i]
            row.expected_value = {m: found[i] for m, found in values.items()}
    return str(fit.status)


def _float_list(values: Any, places: int = 4) -> list[float | None]:
    """Rounded to `places`; NaN and infinities become None."""
    import numpy as np

    array = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(array).tolist()
    rounded = [round(v, places) for v in array.tolist()]
    return [v if ok else None for v, ok in zip(rounded, finite, strict=True)]


def _money_list(values: Any) -> list[Decimal | None]:
    """To the cent; NaN and infinities become None."""
    cent = metrics.CENT
    return [None if v is None else Decimal(repr(v)).quantize(cent) for v in _float_list(values, 2)]


def refresh_now(
    org: Organisation,
    *,
    run: MetricsRun | None = None,
    as_of: datetime.date | None = None,
    with_clv: bool = True,
    refit: bool = False,
) -> metrics.ComputeResult:
    """Recompute every customer's metrics of `org` now (the task, the demo, tests).

    The lifetime-value model is refitted when `refit` or when its fit is not of this week.
    """
    with org_scope(org):
        config = get_settings(org)

        def progress(percent: int, step: str) -> None:
            if run is not None:
                MetricsRun.objects.filter(pk=run.pk).update(
                    progress=min(max(percent, 0), 100), step=step
                )

        return metrics.compute(
            org,
            config,
            as_of=as_of,
            progress=progress,
            clv=functools.partial(apply_clv, refit=refit) if with_clv else None,
        )


@transaction.atomic
def start_refresh(*, org: Organisation, actor: Any) -> MetricsRun:
    """Queue a refresh (or return the one already queued or running) and enqueue the job."""
    from guanxi.analytics.tasks import refresh_metrics

    with org_scope(org):
        recent = timezone.now() - datetime.timedelta(minutes=RUN_REUSE_MINUTES)
        pending = (
            MetricsRun.objects.filter(
                org=org,
                status__in=(MetricsRun.Status.QUEUED, MetricsRun.Status.RUNNING),
                created_at__gte=recent,
            )
            .order_by("-created_at")
            .first()
        )
        if pending is not None:
            return pending
        run = MetricsRun.objects.create(
            org=org, requested_by=actor if getattr(actor, "pk", None) else None
        )
    org_id, run_id = org.pk, run.pk
    transaction.on_commit(lambda: refresh_metrics.enqueue(org_id, run_id))
    return run


def run_refresh(org_id: int, run_id: int | None = None) -> MetricsRun | None:
    """Carry out a refresh, recording its progress and outcome on its MetricsRun."""
    org = Organisation.objects.filter(pk=org_id).first()
    if org is None:
        return None
    with org_scope(org):
        run = (
            MetricsRun.objects.filter(pk=run_id, org=org).first()
            if run_id is not None
            else MetricsRun.objects.create(org=org)
        )
        if run is None or run.status in (MetricsRun.Status.DONE, MetricsRun.Status.FAILED):
            return run
        MetricsRun.objects.filter(pk=run.pk).update(
            status=MetricsRun.Status.RUNNING, started_at=timezone.now(), progress=1, step="start"
        )
        try:
            result = refresh_now(org, run=run)
        except Exception as exc:
            logger.exception("metrics refresh %s of org %s failed", run.pk, org_id)
            MetricsRun.objects.filter(pk=run.pk).update(
                status=MetricsRun.Status.FAILED,
                finished_at=timezone.now(),
                error=str(exc)[:2000],
                step="failed",
            )
        else:
            MetricsRun.objects.filter(pk=run.pk).update(
                status=MetricsRun.Status.DONE,
                finished_at=timezone.now(),
                progress=100,
                step="done",
                customers=result.customers,
            )
        run.refresh_from_db()
        return run


# --- visit plan ------------------------------------------------------------------------


def _visit_time(org: Organisation, day: datetime.date) -> datetime.datetime:
    import zoneinfo

    try:
        zone = zoneinfo.ZoneInfo(org.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("Asia/Shanghai")
    return datetime.datetime.combine(day, datetime.time(10, 0), tzinfo=zone)


@transaction.atomic
def plan_visits(
    *,
    org: Organisation,
    actor: Any,
    membership: MembershipLike,
    party_ids: Sequence[Any],
    due_date: Any,
    note: str = "",
) -> list[Any]:
    """Create one visit task per selected customer (assignee: the customer's owner, else
    the actor), all or none. Raise ValidationError per field on bad input: no customer
    selected, a customer the member may not see (reported as not found), a date in the
    past or missing."""
    from guanxi.accounts.models import Membership
    from guanxi.activities.models import Activity
    from guanxi.activities.services import create_activity
    from guanxi.parties.models import Party

    errors: dict[str, list[str]] = {}
    ids: list[int] = []
    for value in party_ids or ():
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            errors["customers"] = [_("Select customers from the list.")]
            break
    ids = list(dict.fromkeys(ids))
    if not ids and "customers" not in errors:
        errors["customers"] = [_("Select at least one customer.")]
    day: datetime.date | None = None
    if isinstance(due_date, datetime.date):
        day = due_date
    elif due_date:
        try:
            day = datetime.date.fromisoformat(str(due_date).strip())
        except ValueError:
            errors["due_date"] = [_("Enter a valid date.")]
    else:
        errors["due_date"] = [_("Choose the day of the visit.")]
    if day is not None and day < metrics.org_today(org):
        errors["due_date"] = [_("The visit cannot be in the past.")]
    with org_scope(org):
        parties = {}
        if ids:
            parties = {
                p.pk: p for p in visible(Party.objects.filter(pk__in=ids), membership, "party")
            }
            if len(parties) != len(ids) and "customers" not in errors:
                errors["customers"] = [_("Some selected customers were not found.")]
        if errors or day is None:
            raise ValidationError(errors)
        due_at = _visit_time(org, day)
        members = set(
            Membership.objects.filter(org_id=org.pk, is_active=True).values_list(
                "user_id", flat=True
            )
        )
        created = []
        for party_id in ids:
            party = parties[party_id]
            created.append(
                create_activity(
                    org=org,
                    actor=actor,
                    data={
                        "kind": Activity.Kind.TASK,
                        "subject": _("Visit %(customer)s (churn risk)") % {"customer": party.name},
                        "body": note.strip(),
                        "party": party,
                        "owner": party.owner_id if party.owner_id in members else actor,
                        "due_at": due_at,
                        "priority": Activity.Priority.HIGH,
                    },
                )
            )
        return created
