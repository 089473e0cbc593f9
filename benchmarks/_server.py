"""Helpers for workloads that serve guanxi: a throw-away data directory, manage.py,
gunicorn started with the Procfile's options on a free loopback port."""

from __future__ import annotations

import contextlib
import http.client
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
PYTHON = sys.executable


class BenchmarkError(RuntimeError):
    pass


def guanxi_env(data_dir: Path, database_url: str | None = None) -> dict[str, str]:
    """The environment of a guanxi process working on `data_dir` (never the user's var/).

    DATABASE_URL is dropped unless given explicitly: the workload migrates and seeds the
    database, which must be a throw-away one.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "GUANXI_DEBUG", "GUANXI_TESTING"}
    }
    env.update(
        GUANXI_DATA_DIR=str(data_dir),
        GUANXI_TASK_BACKEND="database",
        GUANXI_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="guanxi.settings",
        PYTHONUNBUFFERED="1",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def manage(*args: str, env: dict[str, str], timeout: float = 600) -> str:
    """Run `manage.py args…`; return its standard output, raise with its output on failure."""
    done = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode:
        raise BenchmarkError(
            f"manage.py {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return done.stdout


def procfile_gunicorn_options(procfile: Path = ROOT / "Procfile") -> list[str]:
    """The gunicorn options of the Procfile's `web:` line, without the app and --bind.

    The line must read `web: gunicorn APP [options]`, the application first.
    """
    for line in procfile.read_text().splitlines():
        if line.startswith("web:"):
            words = shlex.split(line.removeprefix("web:"))
            break
    else:
        raise BenchmarkError(f"no web: line in {procfile}")
    if len(words) < 2 or Path(words[0]).name != "gunicorn" or words[1].startswith("-"):
        raise BenchmarkError(f"the web: line of {procfile} is not `gunicorn APP [options]`")
    options: list[str] = []
    skip_next = False
    for word in words[2:]:
        if skip_next:
            skip_next = False
        elif word in {"--bind", "-b"}:
            skip_next = True
        elif not word.startswith("--bind="):
            options.append(word)
    return options


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def gunicorn(
    app: str,
    *,
    env: dict[str, str],
    log_path: Path,
    cwd: Path = ROOT,
    ready_path: str = "/",
    startup_timeout: float = 60,
) -> Iterator[int]:
    """Serve `app` with the Procfile's gunicorn options on a free loopback port; yield it."""
    port = free_port()
    command = [
        PYTHON,
        "-m",
        "gunicorn",
        app,
        "--bind",
        f"127.0.0.1:{port}",
        *procfile_gunicorn_options(),
    ]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_serving(process, port, ready_path, startup_timeout, log_path)
        yield port
    finally:
        _stop(process)


def gunicorn_command_line() -> str:
    return "gunicorn APP --bind 127.0.0.1:PORT " + " ".join(procfile_gunicorn_options())


def _wait_until_serving(
    process: subprocess.Popen, port: int, path: str, timeout: float, log_path: Path
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchmarkError(f"gunicorn exited ({process.returncode}):\n{_tail(log_path)}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            status = conn.getresponse().status
            conn.close()
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchmarkError(f"gunicorn did not answer within {timeout:g}s:\n{_tail(log_path)}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
