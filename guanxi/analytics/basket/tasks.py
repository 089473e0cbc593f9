"""Background jobs of the basket analysis: one mining run, and the nightly run over every
organisation (registered in registrations.py)."""

from __future__ import annotations

import logging

from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def mine_basket_rules(run_id: int) -> int:
    """Run one queued mining run; return how many rules it kept."""
    from guanxi.analytics.basket.services import run_mining

    run = run_mining(run_id)
    return run.rules if run is not None else 0


@task()
def mine_all_basket_rules() -> int:
    """Mine the rules of every organisation with sales deliveries (nightly)."""
    from guanxi.analytics.basket.services import mine_every_organisation

    mined = mine_every_organisation()
    logger.info("basket rules mined for %s organisations", mined)
    return mined
