"""The periodic job registry and `manage.py scheduler`."""

from __future__ import annotations

import os
import signal
import threading
from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_tasks import default_task_backend, task

from guanxi.core import periodic
from guanxi.core.models import PeriodicJobState
from guanxi.core.periodic import enqueue_due_jobs, periodic_jobs, register_periodic_job

DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@task()
def tick() -> str:
    return "tick"


@task()
def tock() -> str:
    return "tock"


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def registry(monkeypatch):
    """An empty job registry for the test (the real one is restored afterwards)."""
    monkeypatch.setattr(periodic, "_JOBS", {})
    return periodic._JOBS


@pytest.fixture
def queue():
    """Tasks go to the dummy backend, which only records what was enqueued."""
    with override_settings(TASKS=DUMMY_TASKS):
        default_task_backend.clear()
        yield default_task_backend.results


def enqueued_paths(results) -> list[str]:
    return [r.task.module_path for r in results]


# --- registration ---------------------------------------------------------------


@pytest.mark.parametrize(
    "cron",
    [
        "",
        "bad",
        "61 * * * *",  # no minute 61
        "0 25 * * *",  # no hour 25
        "* * * *",  # four fields
        "*/10 * * * * *",  # six fields (seconds): not standard cron
        "0 0 30 2 *",  # 30 February never comes
        "H 3 * * *",  # Jenkins-style hash
    ],
)
def test_invalid_cron_is_rejected(registry, cron):
    with pytest.raises(ValueError, match="cron"):
        register_periodic_job("test.bad", cron, tick)
    assert registry == {}


@pytest.mark.parametrize("cron", ["30 3 * * *", "*/5 * * * MON-FRI", "0 0 1 */3 *", "@daily"])
def test_valid_cron_is_accepted(registry, cron):
    job = register_periodic_job("test.ok", cron, tick, "a test job")
    assert periodic_jobs() == [job]


def test_a_job_needs_a_task(registry):
    with pytest.raises(TypeError):
        register_periodic_job("test.not_a_task", "* * * * *", print)


def test_registering_the_same_job_twice_is_harmless_but_a_clash_is_refused(registry):
    register_periodic_job("test.job", "0 * * * *", tick)
    register_periodic_job("test.job", "0 * * * *", tick)  # the module imported again
    with pytest.raises(ValueError, match="already registered"):
        register_periodic_job("test.job", "0 * * * *", tock)
    with pytest.raises(ValueError, match="already registered"):
        register_periodic_job("test.job", "5 * * * *", tick)
    assert [j.task for j in periodic_jobs()] == [tick]


def test_jobs_are_listed_by_name(registry):
    register_periodic_job("b.second", "0 * * * *", tock)
    register_periodic_job("a.first", "0 * * * *", tick)
    assert [j.name for j in periodic_jobs()] == ["a.first", "b.second"]


def test_core_registers_the_recycle_bin_purge():
    from guanxi.core.tasks import purge_recycle_bin

    jobs = {j.name: j for j in periodic_jobs()}
    assert jobs["core.purge_recycle_bin"].task is purge_recycle_bin


def test_cron_is_evaluated_in_utc(registry):
    job = register_periodic_job("test.daily", "30 3 * * *", tick)
    shanghai = datetime(2026, 3, 1, 12, 0, tzinfo=UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    assert job.next_due(shanghai) == at(2, 3, 30)
    with pytest.raises(ValueError, match="aware"):
        job.next_due(datetime(2026, 3, 1, 12, 0))


# --- enqueue_due_jobs -------------------------------------------------------------


@pytest.mark.django_db
def test_first_sight_only_remembers(registry, queue):
    register_periodic_job("test.hourly", "0 * * * *", tick)

    assert enqueue_due_jobs(at(1, 10, 15)) == []

    assert queue == []
    state = PeriodicJobState.objects.get(name="test.hourly")
    assert state.last_enqueued_at == at(1, 10, 15)


@pytest.mark.django_db
def test_a_due_job_is_enqueued_once_per_slot(registry, queue):
    register_periodic_job("test.hourly", "0 * * * *", tick)
    enqueue_due_jobs(at(1, 10, 15))  # first sight

    assert enqueue_due_jobs(at(1, 10, 59, 59)) == []  # not yet
    assert enqueue_due_jobs(at(1, 11, 0, 10)) == ["test.hourly"]  # due
    assert enqueue_due_jobs(at(1, 11, 0, 40)) == []  # same slot, next pass
    assert enqueue_due_jobs(at(1, 11, 45)) == []
    assert enqueue_due_jobs(at(1, 12, 0, 5)) == ["test.hourly"]  # next slot

    assert enqueued_paths(queue) == [tick.module_path, tick.module_path]
    assert PeriodicJobState.objects.get(name="test.hourly").last_enqueued_at == at(1, 12, 0, 5)


@pytest.mark.django_db
def test_each_job_keeps_its_own_schedule(registry, queue):
    register_periodic_job("test.hourly", "0 * * * *", tick)
    register_periodic_job("test.daily", "30 3 * * *", tock)
    enqueue_due_jobs(at(1, 2, 0))

    assert enqueue_due_jobs(at(1, 3, 0, 5)) == ["test.hourly"]
    assert enqueue_due_jobs(at(1, 3, 30, 5)) == ["test.daily"]
    assert enqueue_due_jobs(at(1, 4, 0, 5)) == ["test.hourly"]
    assert enqueued_paths(queue) == [tick.module_path, tock.module_path, tick.module_path]


@pytest.mark.django_db
def test_a_restarted_scheduler_does_not_repeat_a_run(registry, queue, monkeypatch):
    register_periodic_job("test.daily", "30 3 * * *", tick)
    enqueue_due_jobs(at(1, 0, 0))
    assert enqueue_due_jobs(at(1, 3, 30, 20)) == ["test.daily"]

    # A new process: the registry is rebuilt from scratch, the database remembers.
    monkeypatch.setattr(periodic, "_JOBS", {})
    register_periodic_job("test.daily", "30 3 * * *", tick)

    assert enqueue_due_jobs(at(1, 3, 30, 50)) == []
    assert enqueue_due_jobs(at(2, 3, 30, 10)) == ["test.daily"]
    assert len(queue) == 2


@pytest.mark.django_db
def test_runs_missed_while_stopped_are_caught_up_once(registry, queue):
    register_periodic_job("test.hourly", "0 * * * *", tick)
    enqueue_due_jobs(at(1, 10, 15))

    # The scheduler was down for two days: one catch-up run, not 48.
    assert enqueue_due_jobs(at(3, 10, 20)) == ["test.hourly"]
    assert enqueue_due_jobs(at(3, 10, 50)) == []
    assert len(queue) == 1


@pytest.mark.django_db
def test_a_state_row_without_a_time_starts_the_schedule(registry, queue):
    PeriodicJobState.objects.create(name="test.hourly", last_enqueued_at=None)
    register_periodic_job("test.hourly", "0 * * * *", tick)

    assert enqueue_due_jobs(at(1, 10, 15)) == []
    assert enqueue_due_jobs(at(1, 11, 0, 5)) == ["test.hourly"]


class _BrokenQueueTask:
    module_path = "tests.core.test_periodic.broken"

    def __init__(self) -> None:
        self.calls = 0

    def enqueue(self):
        self.calls += 1
        raise ConnectionError("queue is down")


@pytest.mark.django_db
def test_a_job_that_cannot_be_enqueued_is_retried_and_does_not_block_others(registry, queue):
    broken = _BrokenQueueTask()
    register_periodic_job("a.broken", "0 * * * *", broken)
    register_periodic_job("b.fine", "0 * * * *", tick)
    enqueue_due_jobs(at(1, 10, 15))

    assert enqueue_due_jobs(at(1, 11, 0, 5)) == ["b.fine"]
    assert broken.calls == 1
    # Its state was not advanced: the next pass tries again.
    assert PeriodicJobState.objects.get(name="a.broken").last_enqueued_at == at(1, 10, 15)
    assert enqueue_due_jobs(at(1, 11, 0, 35)) == []
    assert broken.calls == 2


# --- manage.py scheduler ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_scheduler_once_enqueues_what_is_due(registry, queue):
    register_periodic_job("test.hourly", "0 * * * *", tick)
    register_periodic_job("test.yearly", "0 0 1 1 *", tock)
    long_ago = datetime.now(UTC) - timedelta(hours=3)
    PeriodicJobState.objects.create(name="test.hourly", last_enqueued_at=long_ago)
    PeriodicJobState.objects.create(name="test.yearly", last_enqueued_at=datetime.now(UTC))
    out = StringIO()

    call_command("scheduler", "--once", stdout=out)

    assert "enqueued: test.hourly" in out.getvalue()
    assert "test.yearly" not in out.getvalue()
    assert enqueued_paths(queue) == [tick.module_path]
    assert PeriodicJobState.objects.get(name="test.hourly").last_enqueued_at > long_ago

    call_command("scheduler", "--once", stdout=StringIO())  # the same slot: nothing new
    assert len(queue) == 1


@pytest.mark.django_db
def test_scheduler_once_on_a_fresh_installation_only_remembers(registry, queue):
    register_periodic_job("test.hourly", "0 * * * *", tick)
    out = StringIO()

    call_command("scheduler", "--once", "-v", "2", stdout=out)

    assert "nothing due" in out.getvalue()
    assert queue == []
    assert PeriodicJobState.objects.filter(name="test.hourly").exists()


@pytest.mark.django_db
def test_scheduler_list_shows_the_registered_jobs():
    out = StringIO()

    call_command("scheduler", "--list", stdout=out)

    text = out.getvalue()
    assert "core.purge_recycle_bin" in text
    assert "30 3 * * *" in text
    assert "guanxi.core.tasks.purge_recycle_bin" in text
    assert "last enqueued: never" in text


@pytest.mark.django_db(transaction=True)
def test_scheduler_loop_stops_cleanly_on_sigterm(registry, queue):
    register_periodic_job("test.hourly", "0 * * * *", tick)
    original = signal.getsignal(signal.SIGTERM)

    def send_sigterm_once_the_scheduler_listens() -> None:
        for _ in range(500):
            if signal.getsignal(signal.SIGTERM) is not original:
                os.kill(os.getpid(), signal.SIGTERM)
                return
            threading.Event().wait(0.01)

    sender = threading.Thread(target=send_sigterm_once_the_scheduler_listens)
    sender.start()
    out = StringIO()

    call_command("scheduler", "--interval", "3600", stdout=out)

    sender.join()
    assert "scheduler started" in out.getvalue()
    assert "scheduler stopped (SIGTERM)" in out.getvalue()
    assert signal.getsignal(signal.SIGTERM) is original  # handlers put back
