"""Enqueue periodic jobs when they fall due: `manage.py scheduler`.

Run exactly one scheduler per installation next to the worker(s) (the Procfile does).
A second one started by mistake does no harm: each job's state row is locked while it
is examined, so a run is enqueued once. The scheduler only enqueues; the worker runs.
"""

from __future__ import annotations

import logging
import signal
import time
from argparse import ArgumentTypeError
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connections
from django.utils import timezone

from guanxi.core.periodic import enqueue_due_jobs, periodic_jobs

logger = logging.getLogger("guanxi.scheduler")


def _tidy_connections() -> None:
    """Drop broken or expired database connections between passes, as a request would.

    Not inside an outer transaction (a caller's `atomic`, a test): closing there would
    doom that transaction.
    """
    if not any(conn.in_atomic_block for conn in connections.all(initialized_only=True)):
        close_old_connections()


class _Stop(BaseException):
    """Raised by the signal handler to leave the loop (not an Exception: never swallowed)."""


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not 0 < number < float("inf"):
        raise ArgumentTypeError(f"{value!r} is not a positive number of seconds")
    return number


class Command(BaseCommand):
    help = "Enqueue the registered periodic jobs when they fall due (loop; --once for one pass)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=_positive_float,
            default=30.0,
            help="seconds between two passes (default: %(default)s)",
        )
        parser.add_argument("--once", action="store_true", help="run one pass and exit")
        parser.add_argument(
            "--list", action="store_true", help="list the registered jobs and their next run"
        )

    verbosity = 1

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = options["verbosity"]
        if options["list"]:
            self.list_jobs()
            return
        if options["once"]:
            self.run_pass()
            return
        self.loop(options["interval"])

    def list_jobs(self) -> None:
        from guanxi.core.models import PeriodicJobState

        jobs = periodic_jobs()
        last = dict(
            PeriodicJobState.objects.filter(name__in=[j.name for j in jobs]).values_list(
                "name", "last_enqueued_at"
            )
        )
        now = timezone.now()
        if not jobs:
            self.stdout.write("no periodic jobs registered")
            return
        for job in jobs:
            previous = last.get(job.name)
            self.stdout.write(
                f"{job.name}  [{job.cron}]  {job.task_path}\n"
                f"    {job.description}\n"
                f"    last enqueued: {previous.isoformat() if previous else 'never'}; "
                f"next: {job.next_due(previous or now).isoformat()} (UTC)"
            )

    def run_pass(self) -> list[str]:
        _tidy_connections()
        try:
            enqueued = enqueue_due_jobs()
        finally:
            _tidy_connections()
        stamp = timezone.now().isoformat(timespec="seconds")
        if enqueued:
            self.stdout.write(f"{stamp} enqueued: {', '.join(enqueued)}")
        elif self.verbosity >= 2:
            self.stdout.write(f"{stamp} nothing due")
        self.stdout.flush()
        return enqueued

    def loop(self, interval: float) -> None:
        """Run a pass every `interval` seconds until SIGINT or SIGTERM.

        A signal during the sleep stops at once; a signal during a pass lets the pass
        finish (its transactions commit) and then stops; a second signal stops at once.
        """
        busy = stopping = False
        received: list[str] = []

        def _stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            received.append(signal.Signals(signum).name)  # no I/O in a signal handler
            if busy and not stopping:
                stopping = True
                return
            raise _Stop

        previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        names = ", ".join(job.name for job in periodic_jobs()) or "none"
        self.stdout.write(f"scheduler started: every {interval:g}s; jobs: {names}")
        self.stdout.flush()
        try:
            while not stopping:
                started = time.monotonic()
                busy = True
                try:
                    self.run_pass()
                except Exception:  # the database may be away for a moment; keep going
                    logger.exception("scheduler pass failed; trying again in %ss", interval)
                finally:
                    busy = False
                if stopping:
                    break
                time.sleep(max(0.0, interval - (time.monotonic() - started)))
        except _Stop:
            pass
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write(f"scheduler stopped ({', '.join(received) or 'done'})")
        self.stdout.flush()
