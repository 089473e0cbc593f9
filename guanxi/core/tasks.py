"""Background jobs of the core app."""

from __future__ import annotations

import logging

from django_tasks import task

from guanxi.core.recycle_bin import purge_expired

logger = logging.getLogger(__name__)


@task()
def purge_recycle_bin() -> int:
    """Delete for good what has been in the recycle bin longer than the retention period."""
    removed = purge_expired()
    logger.info("recycle bin: purged %s records", removed)
    return removed
