"""Background jobs of the core app."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from guanxi.core.recycle_bin import purge_expired

logger = logging.getLogger(__name__)


@task()
def purge_recycle_bin() -> int:
    """Delete for good what has been in the recycle bin longer than the retention period."""
    removed = purge_expired()
    logger.info("recycle bin: purged %s records", removed)
    return removed


# Finished results are only useful for a while (progress bars, the last error); the
# table would otherwise grow by every job forever.
TASK_RESULT_RETENTION_DAYS = 14


@task()
def prune_task_results() -> int:
    """Delete finished background-job results older than the retention period.

    The same rule as django-tasks-db's `prune_db_task_results` command. Only the database
    backend keeps results in our database; with the Redis backend they expire in Redis.
    """
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - timedelta(days=TASK_RESULT_RETENTION_DAYS)
    aliases = [b.alias for b in task_backends.all() if isinstance(b, DatabaseBackend)]
    pruned, _ = (
        DBTaskResult.objects.finished()
        .filter(backend_name__in=aliases, finished_at__lte=cutoff)
        .delete()
    )
    logger.info("task results: pruned %s", pruned)
    return pruned
