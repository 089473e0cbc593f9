"""The task backends really run guanxi's tasks, end to end, with `manage.py worker`.

The test settings run tasks immediately; these tests switch to the real backends:
the database backend (the default of an installation) always, and the Redis backend
when REDIS_URL points at a Redis server (CI sets it).
"""

from __future__ import annotations

import os
from datetime import timedelta
from io import StringIO
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import modify_settings, override_settings
from django.utils import timezone
from django_scopes import scopes_disabled
from django_tasks import TaskResultStatus

from guanxi.core.tasks import purge_recycle_bin
from tests.factories import make_member, make_org
from tests.testapp.factories import make_widget
from tests.testapp.models import Widget

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def recycle_bin(db):
    """Widgets of two organisations, in and out of the recycle bin; returns the names kept."""
    now = timezone.now()
    acme, other = make_org("Acme 贸易"), make_org("Other Co 其他公司")
    acme_owner = make_member(acme, "admin").user
    other_owner = make_member(other, "admin").user
    make_widget(acme, acme_owner, "acme alive")
    make_widget(acme, acme_owner, "acme 29 days", deleted_at=now - timedelta(days=29))
    make_widget(acme, acme_owner, "acme 31 days", deleted_at=now - timedelta(days=31))
    make_widget(other, other_owner, "other 29 days", deleted_at=now - timedelta(days=29))
    make_widget(other, other_owner, "other 40 days", deleted_at=now - timedelta(days=40))
    return {"acme alive", "acme 29 days", "other 29 days"}


def widget_names() -> set[str]:
    with scopes_disabled():
        return set(Widget.all_objects.values_list("name", flat=True))


# --- database backend ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the worker must see committed rows
@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("worker", {"batch": True}),
        ("db_worker", {"batch": True, "reload": False, "startup_delay": False}),
    ],
)
@override_settings(TASKS=DATABASE_TASKS)
def test_database_backend_purges_the_recycle_bin_across_organisations(
    recycle_bin, command, options
):
    from django_tasks_db.models import DBTaskResult

    result = purge_recycle_bin.enqueue()

    assert result.status == TaskResultStatus.READY
    assert DBTaskResult.objects.filter(id=result.id, status=TaskResultStatus.READY).exists()
    assert len(widget_names()) == 5  # nothing ran yet

    call_command(command, **options, stdout=StringIO(), stderr=StringIO())

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL, result.errors
    assert result.return_value == 2
    row = DBTaskResult.objects.get(id=result.id)
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.finished_at is not None
    assert widget_names() == recycle_bin


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS)
def test_database_backend_runs_nothing_enqueued_in_a_rolled_back_transaction(recycle_bin):
    from django_tasks_db.models import DBTaskResult

    with pytest.raises(RuntimeError), transaction.atomic():
        purge_recycle_bin.enqueue()
        raise RuntimeError("the request failed")

    assert not DBTaskResult.objects.exists()
    call_command("worker", "--batch", stdout=StringIO(), stderr=StringIO())
    assert len(widget_names()) == 5


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS)
def test_periodic_job_enqueued_by_the_scheduler_is_run_by_the_worker(recycle_bin):
    from guanxi.core.models import PeriodicJobState

    PeriodicJobState.objects.create(
        name="core.purge_recycle_bin", last_enqueued_at=timezone.now() - timedelta(days=2)
    )
    out = StringIO()

    call_command("scheduler", "--once", stdout=out)
    call_command("worker", "--batch", stdout=StringIO(), stderr=StringIO())

    assert "core.purge_recycle_bin" in out.getvalue()
    assert widget_names() == recycle_bin


@pytest.mark.django_db
def test_worker_on_a_backend_without_a_queue_has_nothing_to_do():
    out = StringIO()

    call_command("worker", "--batch", stdout=out)  # the test settings: immediate backend

    assert "needs no worker" in out.getvalue()


# --- Redis backend (RQ) ------------------------------------------------------------------

TEST_QUEUE = "guanxi-test"


def _redis_test_url() -> str:
    """REDIS_URL with its database number replaced by a dedicated one (default 15)."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("Redis backend test needs REDIS_URL (e.g. redis://127.0.0.1:6379/0)")
    db = os.environ.get("GUANXI_TEST_REDIS_DB", "15")
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


@pytest.fixture
def rq_backend():
    """TASKS on django-tasks-rq with one queue in a dedicated, emptied Redis database."""
    url = _redis_test_url()
    # django-tasks-rq looks results up through the "default" queue's connection, so
    # that one must exist (and point at the same Redis) whatever queues tasks use.
    rq_queues = {name: {"URL": url, "DEFAULT_TIMEOUT": 60} for name in ("default", TEST_QUEUE)}
    tasks = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [TEST_QUEUE]}}
    with (
        modify_settings(INSTALLED_APPS={"append": ["django_rq", "django_tasks_rq"]}),
        override_settings(RQ_QUEUES=rq_queues, TASKS=tasks),
    ):
        import django_rq

        connection = django_rq.get_connection(TEST_QUEUE)
        try:
            connection.ping()
        except Exception as exc:
            pytest.fail(f"REDIS_URL is set but Redis does not answer at {url}: {exc}")
        connection.flushdb()
        try:
            yield django_rq.get_queue(TEST_QUEUE)
        finally:
            connection.flushdb()


@pytest.mark.django_db(transaction=True)  # the in-process worker must see committed rows
def test_redis_backend_runs_a_task_with_a_burst_worker(rq_backend, recycle_bin):
    task = purge_recycle_bin.using(queue_name=TEST_QUEUE)

    result = task.enqueue()

    assert result.status == TaskResultStatus.READY
    assert rq_backend.count == 1
    assert len(widget_names()) == 5

    # --simple: RQ's SimpleWorker runs the task in this process (a forked work horse
    # would inherit pytest and the test database connection).
    call_command(
        "worker",
        "--batch",
        "--simple",
        "--queue-name",
        TEST_QUEUE,
        stdout=StringIO(),
        stderr=StringIO(),
    )

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL, result.errors
    assert result.return_value == 2
    assert rq_backend.count == 0
    assert widget_names() == recycle_bin


@pytest.mark.django_db
def test_prune_task_results_deletes_only_old_finished_results():
    from django_tasks_db.models import DBTaskResult

    from guanxi.core.tasks import TASK_RESULT_RETENTION_DAYS, prune_task_results

    now = timezone.now()
    old = now - timedelta(days=TASK_RESULT_RETENTION_DAYS + 1)
    recent = now - timedelta(days=TASK_RESULT_RETENTION_DAYS - 1)

    def result(status: str, finished_at):
        return DBTaskResult.objects.create(
            status=status,
            finished_at=finished_at,
            args_kwargs={"args": [], "kwargs": {}},
            task_path="guanxi.core.tasks.purge_recycle_bin",
            backend_name="default",
        )

    old_ok = result(TaskResultStatus.SUCCESSFUL, old)
    old_failed = result(TaskResultStatus.FAILED, old)
    kept = [
        result(TaskResultStatus.SUCCESSFUL, recent),
        result(TaskResultStatus.READY, None),
    ]

    with override_settings(TASKS=DATABASE_TASKS):
        assert prune_task_results.call() == 2

    remaining = set(DBTaskResult.objects.values_list("id", flat=True))
    assert remaining == {r.id for r in kept}
    assert old_ok.id not in remaining
    assert old_failed.id not in remaining


def test_prune_task_results_is_a_daily_job():
    from guanxi.core.periodic import periodic_jobs
    from guanxi.core.tasks import prune_task_results

    jobs = {job.name: job for job in periodic_jobs()}
    assert jobs["core.prune_task_results"].task is prune_task_results
