"""A registry of periodic jobs, run by `manage.py scheduler`.

Apps register a task (a django-tasks `@task`) with a cron expression, usually in a
`periodic_jobs.py` module imported from their `AppConfig.ready()`; the scheduler
enqueues it on the configured task backend when it falls due. The last run is kept in
the database (one `PeriodicJobState` row per job), so a restarted scheduler neither
repeats nor forgets a run, and two schedulers started by mistake do not both enqueue
the same run: the row is locked while a job is examined (`select_for_update` on
PostgreSQL; on SQLite the `IMMEDIATE` transaction takes the write lock at `BEGIN`).

Cron expressions are standard five-field cron (minute hour day month weekday) or an
`@hourly`/`@daily`/`@weekly`/`@monthly`/`@yearly` alias, evaluated in UTC.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from croniter import croniter
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise

from guanxi.core.models import PeriodicJobState

logger = logging.getLogger(__name__)

_CRON_ALIASES = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    cron: str
    task: Any  # a django_tasks Task
    description: str | Promise = ""

    def next_due(self, after: datetime) -> datetime:
        """Return the first run strictly after `after`, as an aware UTC datetime."""
        return croniter(self.cron, _as_utc(after)).get_next(datetime)

    @property
    def task_path(self) -> str:
        return str(getattr(self.task, "module_path", repr(self.task)))


_JOBS: dict[str, PeriodicJob] = {}


def _as_utc(moment: datetime) -> datetime:
    if timezone.is_naive(moment):
        raise ValueError(f"periodic jobs need aware datetimes, got {moment!r}")
    return moment.astimezone(UTC)


def _validate_cron(name: str, cron: str) -> None:
    expression = cron.strip()
    if expression.lower() in _CRON_ALIASES:
        return
    # croniter also accepts six and seven fields (seconds, years) and dates that never
    # happen (30 February); the registry wants plain cron that really fires.
    if len(expression.split()) != 5 or not croniter.is_valid(expression, strict=True):
        raise ValueError(f"invalid cron expression for {name}: {cron!r}")
    try:
        croniter(expression, datetime(2000, 1, 1, tzinfo=UTC)).get_next(datetime)
    except Exception as exc:  # croniter raises its own errors for dates that never come
        raise ValueError(f"cron expression for {name} never fires: {cron!r}") from exc


def register_periodic_job(
    name: str, cron: str, task: Any, description: str | Promise = ""
) -> PeriodicJob:
    """Run `task` on the schedule `cron` (standard five-field cron, in UTC).

    Registering the same name again with the same task and schedule is harmless (a
    module imported twice); registering a different job under a name already taken
    raises ValueError rather than silently replacing the first one.
    """
    if not name or len(name) > PeriodicJobState._meta.get_field("name").max_length:  # type: ignore[operator]
        raise ValueError(f"invalid periodic job name: {name!r}")
    _validate_cron(name, cron)
    if not hasattr(task, "enqueue"):
        raise TypeError(f"periodic job {name} needs a django-tasks task, got {task!r}")
    job = PeriodicJob(name=name, cron=cron.strip(), task=task, description=description)
    existing = _JOBS.get(name)
    if existing is not None and (existing.cron, existing.task_path) != (job.cron, job.task_path):
        raise ValueError(f"periodic job {name} is already registered ({existing.task_path})")
    _JOBS[name] = job
    return job


def periodic_jobs() -> list[PeriodicJob]:
    return sorted(_JOBS.values(), key=lambda j: j.name)


def enqueue_due_jobs(now: datetime | None = None) -> list[str]:
    """Enqueue every job whose next run after its last enqueue is not in the future.

    Return the names of the jobs enqueued. A job seen for the first time is only
    remembered, not run, so installing guanxi does not fire every job at once. A job
    whose runs were missed while no scheduler was running is enqueued once, not once
    per missed run. A job that cannot be enqueued (the queue is down) is logged and
    tried again on the next pass; the other jobs still run.
    """
    now = _as_utc(now or timezone.now())
    enqueued = []
    for job in periodic_jobs():
        try:
            if _enqueue_if_due(job, now):
                enqueued.append(job.name)
        except Exception:
            logger.exception("periodic job %s: could not be enqueued", job.name)
    return enqueued


def _enqueue_if_due(job: PeriodicJob, now: datetime) -> bool:
    with transaction.atomic():
        state, created = PeriodicJobState.objects.select_for_update().get_or_create(
            name=job.name, defaults={"last_enqueued_at": now}
        )
        if created or state.last_enqueued_at is None:
            if not created:
                state.last_enqueued_at = now
                state.save(update_fields=["last_enqueued_at"])
            logger.info("periodic job %s: first seen, next run %s", job.name, job.next_due(now))
            return False
        due = job.next_due(state.last_enqueued_at)
        if due > now:
            return False
        # Enqueued inside the transaction: with the database backend the task row and
        # the new state commit together; with Redis a failed commit at worst repeats one run.
        result = job.task.enqueue()
        state.last_enqueued_at = now
        state.save(update_fields=["last_enqueued_at"])
    logger.info(
        "periodic job %s: enqueued %s (due %s, task id %s)",
        job.name,
        job.task_path,
        due.isoformat(),
        getattr(result, "id", "?"),
    )
    return True
