"""Periodic jobs of the core app, registered at start-up."""

from django.utils.translation import gettext_lazy as _

from guanxi.core.periodic import register_periodic_job
from guanxi.core.tasks import prune_task_results, purge_recycle_bin

register_periodic_job(
    "core.purge_recycle_bin",
    "30 3 * * *",
    purge_recycle_bin,
    _("Delete records that have been in the recycle bin for more than 30 days."),
)
register_periodic_job(
    "core.prune_task_results",
    "45 3 * * *",
    prune_task_results,
    _("Delete finished background-job results older than two weeks."),
)
