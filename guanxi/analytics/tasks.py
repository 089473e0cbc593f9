"""Background jobs of the analytics area's customer metrics: one organisation's refresh
(started from the refresh button or the API) and the nightly refresh of every
organisation."""

from __future__ import annotations

import logging

from django_scopes import scopes_disabled
from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def refresh_metrics(org_id: int, run_id: int | None = None) -> int:
    """Recompute the customer metrics of one organisation; return how many customers."""
    from guanxi.analytics.metrics_services import run_refresh

    run = run_refresh(org_id, run_id)
    if run is None:
        return 0
    logger.info(
        "metrics refresh %s of org %s: %s (%s customers)", run.pk, org_id, run.status, run.customers
    )
    return run.customers


@task()
def refresh_all_metrics() -> int:
    """The nightly refresh: every organisation in turn. Return how many were refreshed."""
    from guanxi.analytics.metrics_services import run_refresh
    from guanxi.core.models import Organisation

    with scopes_disabled():
        org_ids = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
    done = 0
    for org_id in org_ids:
        run = run_refresh(org_id)
        if run is not None and run.status == run.Status.DONE:
            done += 1
    return done
