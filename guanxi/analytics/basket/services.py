"""Writing the basket analysis: the thresholds, starting a mining run and the run itself.

The run reads the baskets (purchase events, guanxi/analytics/facts.py) straight into
numpy arrays, mines them (mining.py) and replaces the organisation's rules in one
transaction, so the rules page shows either the old rules or the new ones, never a mix.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from guanxi.analytics.basket.mining import MiningResult, Thresholds, mine
from guanxi.analytics.basket.models import AssociationRule, BasketRun, BasketSettings
from guanxi.analytics.facts import purchase_events
from guanxi.analytics.registrations import ANALYTICS
from guanxi.core.permissions import CHANGE, MembershipLike, require_perm
from guanxi.stock.models import StockDocumentLine

logger = logging.getLogger(__name__)

SETTINGS_FIELDS = (
    "min_support",
    "min_count",
    "min_confidence",
    "min_lift",
    "max_rules",
    "pair_antecedents",
)
# A queued or running run older than this is taken as lost (a worker that died).
STALE_AFTER = datetime.timedelta(minutes=30)
_FETCH = 100_000


@transaction.atomic
def update_settings(membership: MembershipLike, data: dict[str, Any]) -> BasketSettings:
    """Change the organisation's mining thresholds; field errors change nothing."""
    require_perm(membership, CHANGE, ANALYTICS)
    found = BasketSettings.objects.select_for_update().filter(org_id=membership.org_id).first()
    current = found or BasketSettings(org_id=membership.org_id)
    unknown = set(data) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "Unknown setting."))
    for name, value in data.items():
        setattr(current, name, value)
    current.full_clean(exclude=["org"])
    current.save()
    return current


def active_run(org_id: int) -> BasketRun | None:
    since = timezone.now() - STALE_AFTER
    return (
        BasketRun.objects.filter(
            org_id=org_id,
            status__in=(BasketRun.Status.QUEUED, BasketRun.Status.RUNNING),
            created_at__gte=since,
        )
        .order_by("-created_at", "-id")
        .first()
    )


def request_mining(membership: MembershipLike) -> BasketRun:
    """Queue a mining run for the member's organisation (or return the one under way)."""
    require_perm(membership, CHANGE, ANALYTICS)
    return start_run(membership.org_id, requested_by_id=membership.user_id)


def start_run(org_id: int, requested_by_id: int | None = None) -> BasketRun:
    """Create a queued run and enqueue its job once the transaction commits."""
    from guanxi.analytics.basket.tasks import mine_basket_rules

    with scope(org=org_id), transaction.atomic():
        running = active_run(org_id)
        if running is not None:
            return running
        run = BasketRun.objects.create(org_id=org_id, requested_by_id=requested_by_id)
    transaction.on_commit(lambda: mine_basket_rules.enqueue(run.pk))
    return run


def load_baskets(org_id: int) -> tuple[np.ndarray, np.ndarray]:
    """(basket id, product id) of every line of the organisation's purchase events."""
    with scope(org=org_id):
        lines = StockDocumentLine.objects.filter(
            org_id=org_id, document__in=purchase_events().filter(org_id=org_id).values("pk")
        ).values_list("document_id", "product_id")
        sql, params = lines.query.sql_with_params()
    chunks: list[np.ndarray] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(_FETCH):
            chunks.append(np.asarray(rows, dtype=np.int64))
    if not chunks:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    data = np.concatenate(chunks)
    return data[:, 0], data[:, 1]


def _progress(run_id: int, percent: int) -> None:
    with scopes_disabled():
        BasketRun.objects.filter(pk=run_id).update(progress=percent)


def run_mining(run_id: int) -> BasketRun | None:
    """Mine one run's organisation and replace its rules. Returns the finished run."""
    with scopes_disabled():
        run = BasketRun.objects.filter(pk=run_id).first()
    if run is None or run.status not in (BasketRun.Status.QUEUED, BasketRun.Status.RUNNING):
        return run
    org_id = run.org_id
    try:
        with scope(org=org_id):
            settings = BasketSettings.objects.filter(org_id=org_id).first() or BasketSettings(
                org_id=org_id
            )
        thresholds = Thresholds(**settings.thresholds())
        with scopes_disabled():
            BasketRun.objects.filter(pk=run_id).update(
                status=BasketRun.Status.RUNNING,
                started_at=timezone.now(),
                progress=5,
                thresholds=settings.thresholds(),
            )
        baskets, products = load_baskets(org_id)
        _progress(run_id, 25)
        result = mine(baskets, products, thresholds, progress=lambda p: _progress(run_id, p))
        _replace_rules(run_id, org_id, result)
    except Exception as exc:
        logger.exception("basket mining run %s failed", run_id)
        with scopes_disabled():
            BasketRun.objects.filter(pk=run_id).update(
                status=BasketRun.Status.FAILED, finished_at=timezone.now(), error=str(exc)[:2000]
            )
        raise
    with scopes_disabled():
        return BasketRun.objects.get(pk=run_id)


@transaction.atomic
def _replace_rules(run_id: int, org_id: int, result: MiningResult) -> None:
    """Swap the organisation's rules for this run's, all at once."""
    now = timezone.now()
    with scopes_disabled():
        AssociationRule.objects.filter(org_id=org_id).delete()
        AssociationRule.objects.bulk_create(
            [
                AssociationRule(
                    org_id=org_id,
                    run_id=run_id,
                    antecedent_id=rule.antecedent,
                    antecedent_2_id=rule.antecedent_2,
                    consequent_id=rule.consequent,
                    count=rule.count,
                    antecedent_count=rule.antecedent_count,
                    consequent_count=rule.consequent_count,
                    support=rule.support,
                    confidence=rule.confidence,
                    lift=rule.lift,
                    mined_at=now,
                )
                for rule in result.rules
            ],
            batch_size=500,
        )
        BasketRun.objects.filter(pk=run_id).update(
            status=BasketRun.Status.DONE,
            progress=100,
            finished_at=now,
            baskets=result.baskets,
            products=result.products,
            rules=len(result.rules),
        )


def mine_every_organisation() -> int:
    """The nightly job: mine each organisation that has sales deliveries. Returns how
    many organisations were mined."""
    from guanxi.stock.models import StockDocument

    with scopes_disabled():
        org_ids = list(
            StockDocument.objects.filter(kind=StockDocument.Kind.SALES_DELIVERY)
            .values_list("org_id", flat=True)
            .distinct()
        )
    mined = 0
    for org_id in org_ids:
        with scopes_disabled():
            if active_run(org_id) is not None:
                continue
            run = BasketRun.objects.create(org_id=org_id)
        run_mining(run.pk)
        mined += 1
    return mined
