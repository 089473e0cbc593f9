"""Background jobs of the customers area: import checks and runs, the daily pool return."""

from __future__ import annotations

import logging

from django.db import transaction
from django_scopes import scopes_disabled
from django_tasks import task

from guanxi.parties.models import ImportJob

logger = logging.getLogger(__name__)


def _job(job_id: int) -> ImportJob | None:
    with scopes_disabled():
        return ImportJob.objects.filter(pk=job_id).first()


@task()
def check_import(job_id: int) -> int:
    """The dry run of an import: store every bad row on the job. Return the bad rows."""
    from guanxi.parties.importing import run_check

    job = _job(job_id)
    if job is None or job.status != ImportJob.Status.MAPPED:
        return 0
    try:
        job = run_check(job)
    except Exception:
        logger.exception("import %s: the check failed", job_id)
        _mark_failed(job_id)
        raise
    return int((job.mapping or {}).get("error_rows", 0))


@task()
def run_import(job_id: int) -> int:
    """Import a checked file, all rows or none. Return how many customers were created."""
    from guanxi.parties.importing import run_import as run

    job = _job(job_id)
    if job is None or job.status != ImportJob.Status.RUNNING:
        return 0
    try:
        job = run(job)
    except Exception:
        logger.exception("import %s: the run failed", job_id)
        _mark_failed(job_id)
        raise
    logger.info(
        "import %s: %s created, %s updated, %s skipped (%s)",
        job_id,
        job.created_count,
        job.updated_count,
        job.skipped_count,
        job.status,
    )
    return job.created_count


def _mark_failed(job_id: int) -> None:
    from django.utils import timezone

    with scopes_disabled():
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED, finished_at=timezone.now()
        )


def enqueue_check(job: ImportJob) -> None:
    """Start the dry run once the mapping is committed."""
    transaction.on_commit(lambda: check_import.enqueue(job.pk))


def enqueue_run(job: ImportJob) -> None:
    transaction.on_commit(lambda: run_import.enqueue(job.pk))


@task()
def return_idle_customers() -> int:
    """Return customers without follow-up for the organisation's N days to the pool (K1)."""
    from guanxi.parties.pool import return_idle_to_pool

    returned = return_idle_to_pool()
    logger.info("customer pool: %s customers returned", returned)
    return returned
