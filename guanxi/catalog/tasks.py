"""Background jobs of the products area: the import's dry run and its real run."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled
from django_tasks import task

from guanxi.catalog.models import ProductImportJob

logger = logging.getLogger(__name__)


def _job(job_id: int) -> ProductImportJob | None:
    with scopes_disabled():
        return ProductImportJob.objects.filter(pk=job_id).first()


def _mark_failed(job_id: int) -> None:
    with scopes_disabled():
        ProductImportJob.objects.filter(pk=job_id).update(
            status=ProductImportJob.Status.FAILED, finished_at=timezone.now()
        )


@task()
def check_product_import(job_id: int) -> int:
    """The dry run of a product import: store every bad row on the job."""
    from guanxi.catalog.importing import run_check

    job = _job(job_id)
    if job is None or job.status != ProductImportJob.Status.MAPPED:
        return 0
    try:
        job = run_check(job)
    except Exception:
        logger.exception("product import %s: the check failed", job_id)
        _mark_failed(job_id)
        raise
    return int((job.mapping or {}).get("error_rows", 0))


@task()
def run_product_import(job_id: int) -> int:
    """Import a checked file, all rows or none. Return how many products were created."""
    from guanxi.catalog.importing import run_import

    job = _job(job_id)
    if job is None or job.status != ProductImportJob.Status.RUNNING:
        return 0
    try:
        job = run_import(job)
    except Exception:
        logger.exception("product import %s: the run failed", job_id)
        _mark_failed(job_id)
        raise
    logger.info(
        "product import %s: %s created, %s updated, %s skipped (%s)",
        job_id,
        job.created_count,
        job.updated_count,
        job.skipped_count,
        job.status,
    )
    return job.created_count


def enqueue_check(job: ProductImportJob) -> None:
    """Start the dry run once the mapping is committed."""
    transaction.on_commit(lambda: check_product_import.enqueue(job.pk))


def enqueue_run(job: ProductImportJob) -> None:
    transaction.on_commit(lambda: run_product_import.enqueue(job.pk))
