"""Run the worker of the configured task backend: `manage.py worker`.

One command whatever the backend, so the Procfile, systemd units and the docs do not
change when an installation moves its queue to Redis:

- database backend (`django_tasks_db.DatabaseBackend`, the default): delegates to
  django-tasks-db's `db_worker`;
- Redis backend (`django_tasks_rq.RQBackend`, GUANXI_TASK_BACKEND=redis): delegates to
  django-rq's `rqworker` with django-tasks-rq's job class and RQ's scheduler (for
  tasks deferred with `run_after`);
- a backend that runs tasks in the web process (immediate, dummy): nothing to do; the
  command waits for a signal so a process manager (honcho) keeps the other processes up.

RQ worker class: the default is RQ's forking `Worker`. Each task runs in a child
process ("work horse") that exits after the task, so a task that leaks memory,
crashes the interpreter or hangs past its timeout is killed without taking the worker
down, and the worker's parent never holds a database connection (django-rq closes it
before the first fork). `--simple` selects RQ's `SimpleWorker`, which runs tasks in
the worker process itself: use it where fork() is unavailable or unwelcome (macOS
with Objective-C libraries, debuggers, in-process tests), at the price of that
isolation. The database worker always runs tasks in its own process.

SIGINT/SIGTERM: both workers finish the task in hand and exit (a second signal stops
at once); an idle worker exits immediately.
"""

from __future__ import annotations

import signal
import threading
import time
from argparse import ArgumentTypeError
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends


def _non_negative_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not 0 <= number < float("inf"):
        raise ArgumentTypeError(f"{value!r} is not a number of seconds (0 or more)")
    return number


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number <= 0:
        raise ArgumentTypeError(f"{value!r} is not a whole number above 0")
    return number


class Command(BaseCommand):
    help = (
        "Run the background task worker of the configured backend "
        "(database: db_worker; Redis: rqworker)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--backend",
            default=DEFAULT_TASK_BACKEND_ALIAS,
            help="alias in settings.TASKS (default: %(default)s)",
        )
        parser.add_argument(
            "--queue-name",
            default=None,
            help="comma-separated queues to work on (default: the backend's configured queues)",
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help="run the tasks waiting now, then exit (RQ: burst mode)",
        )
        parser.add_argument(
            "--interval",
            type=_non_negative_float,
            default=None,
            help="database backend: seconds between polls of an empty queue (default: 1)",
        )
        parser.add_argument(
            "--max-tasks",
            type=_positive_int,
            default=None,
            help="exit after running this many tasks",
        )
        parser.add_argument(
            "--worker-id", default=None, help="name of this worker (default: generated)"
        )
        parser.add_argument(
            "--simple",
            action="store_true",
            help="Redis backend: run tasks in the worker process instead of a forked child",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["backend"]
        try:
            backend = task_backends[alias]
        except Exception as exc:
            raise CommandError(f"unknown task backend {alias!r}: {exc}") from exc
        kind = _backend_kind(backend)
        queues = (
            [q.strip() for q in options["queue_name"].split(",") if q.strip()]
            if options["queue_name"]
            else sorted(backend.queues)
        )
        # The delegated workers install their own SIGINT/SIGTERM handlers and leave them
        # behind; put ours back when they return (matters when called from tests).
        saved = _save_signal_handlers()
        try:
            if kind == "database":
                self.run_database_worker(alias, queues, options)
            elif kind == "redis":
                self.run_rq_worker(alias, queues, options)
            else:
                self.wait_without_worker(backend, options)
        except KeyboardInterrupt:
            self.stdout.write("worker interrupted")
        finally:
            _restore_signal_handlers(saved)

    def _io(self) -> dict[str, Any]:
        return {"stdout": self.stdout._out, "stderr": self.stderr._out}

    def run_database_worker(self, alias: str, queues: list[str], options: dict[str, Any]) -> None:
        kwargs: dict[str, Any] = {
            "backend_name": alias,
            "queue_name": ",".join(queues) or "*",
            "interval": 1.0 if options["interval"] is None else options["interval"],
            "batch": options["batch"],
            "max_tasks": options["max_tasks"],
            "reload": False,
            "verbosity": options["verbosity"],
        }
        if options["batch"]:
            kwargs["startup_delay"] = False  # nobody else to stampede with
        if options["worker_id"]:
            kwargs["worker_id"] = options["worker_id"][:64]
        self.stdout.write(
            f"database task worker on queues {kwargs['queue_name']}"
            f"{' (batch)' if options['batch'] else ''}"
        )
        self.stdout.flush()
        call_command("db_worker", **kwargs, **self._io())

    def run_rq_worker(self, alias: str, queues: list[str], options: dict[str, Any]) -> None:
        from django.apps import apps

        if not apps.is_installed("django_rq"):
            raise CommandError("the Redis task backend needs django_rq in INSTALLED_APPS")
        worker_class = "rq.worker.SimpleWorker" if options["simple"] else "rq.worker.Worker"
        if options["interval"] is not None:
            self.stderr.write("--interval is ignored by the Redis worker (it blocks on the queue)")
        self.stdout.write(
            f"Redis task worker ({worker_class.rsplit('.', 1)[1]}) on queues {', '.join(queues)}"
            f"{' (burst)' if options['batch'] else ''}"
        )
        self.stdout.flush()
        call_command(
            "rqworker",
            *queues,
            job_class="django_tasks_rq.Job",
            worker_class=worker_class,
            burst=options["batch"],
            # RQ's built-in scheduler moves tasks enqueued with run_after to the queue.
            with_scheduler=True,
            max_jobs=options["max_tasks"],
            name=options["worker_id"],
            verbosity=options["verbosity"],
            **self._io(),
        )

    def wait_without_worker(self, backend: Any, options: dict[str, Any]) -> None:
        self.stdout.write(
            f"task backend {type(backend).__name__} needs no worker; "
            + ("nothing to do." if options["batch"] else "idle until stopped.")
        )
        self.stdout.flush()
        if options["batch"] or threading.current_thread() is not threading.main_thread():
            return
        received: list[int] = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda signum, frame: received.append(signum))
        while not received:
            time.sleep(0.5)


def _backend_kind(backend: Any) -> str:
    from django_tasks_db import DatabaseBackend

    if isinstance(backend, DatabaseBackend):
        return "database"
    try:
        from django_tasks_rq import RQBackend
    except ImportError:  # pragma: no cover - django-tasks-rq is a pinned requirement
        return "other"
    if isinstance(backend, RQBackend):
        return "redis"
    return "other"


def _save_signal_handlers() -> dict[int, Any]:
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}


def _restore_signal_handlers(saved: dict[int, Any]) -> None:
    for sig, handler in saved.items():
        if handler is not None:
            signal.signal(sig, handler)
