"""Periodic jobs of the activities app, registered at start-up."""

from django.utils.translation import gettext_lazy as _

from guanxi.activities.tasks import send_birthday_reminders, send_reminders
from guanxi.core.periodic import register_periodic_job

register_periodic_job(
    "activities.reminders",
    "*/5 * * * *",
    send_reminders,
    _("Remind owners of tasks, meetings and care follow-ups that fall due."),
)
register_periodic_job(
    "activities.birthdays",
    "20 * * * *",
    send_birthday_reminders,
    _("Remind customer owners of their contacts' coming birthdays (solar and lunar)."),
)
