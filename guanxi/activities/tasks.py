"""Background jobs of the activities app: the reminder runs, for every organisation."""

from __future__ import annotations

import logging

from django.utils import timezone
from django_tasks import task

from guanxi.activities.reminders import (
    for_every_organisation,
    run_birthday_reminders,
    run_reminders,
)

logger = logging.getLogger(__name__)


@task()
def send_reminders() -> int:
    """Create due task/meeting reminders and care follow-ups, then send the e-mails.

    Return how many notifications were created.
    """
    run = for_every_organisation(run_reminders, now=timezone.now())
    logger.info(
        "reminders: %s reminders, %s follow-ups, %s e-mails sent, %s failed",
        run.reminders,
        run.follow_ups,
        run.emails_sent,
        run.emails_failed,
    )
    return run.notifications


@task()
def send_birthday_reminders() -> int:
    """Create the coming birthdays' reminders, then send the e-mails. Return how many."""
    run = for_every_organisation(run_birthday_reminders, now=timezone.now())
    logger.info(
        "birthday reminders: %s created, %s e-mails sent, %s failed",
        run.birthdays,
        run.emails_sent,
        run.emails_failed,
    )
    return run.notifications
