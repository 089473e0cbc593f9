"""HTTP pages: requests/second and latency of real guanxi pages, against a minimal Django view.

1. A temporary GUANXI_DATA_DIR (SQLite) gets `migrate`, `bootstrap`, `seed_demo` and
   `collectstatic`, exactly as `make demo` does.
2. gunicorn serves guanxi with the Procfile's options on a free loopback port.
3. A demo user signs in through a real POST to /accounts/login/ (CSRF token, session
   cookie), and the load generator measures, with that session:
   - the home page `/`, the first page every user sees;
   - an API list, `/api/v1/users` (falls back to `/api/v1/openapi.json`, and says so,
     while the users endpoint does not exist yet).
4. A second gunicorn, same options, serves `minimal_app.py` (one Django view, no
   database, no middleware), measured the same way: the baseline of the ratios.
"""

from __future__ import annotations

import http.client
import os
import platform
import re
import shutil
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from _loadgen import Measurement, measure
from _report import print_table
from _server import (
    BENCHMARKS,
    BenchmarkError,
    guanxi_env,
    gunicorn,
    gunicorn_command_line,
    manage,
)

TITLE = "HTTP pages (gunicorn, signed-in pages and API vs a minimal Django view)"

API_TARGET = "/api/v1/users"
API_FALLBACK = "/api/v1/openapi.json"


def add_arguments(parser) -> None:
    group = parser.add_argument_group("http_pages")
    group.add_argument("--user", default="manager", help="demo user to sign in as")
    group.add_argument(
        "--database-url",
        default=None,
        help="benchmark on this (throw-away!) database instead of a temporary SQLite file",
    )
    group.add_argument(
        "--keep", action="store_true", help="keep the temporary data directory and logs"
    )


def run(options) -> None:
    work = Path(tempfile.mkdtemp(prefix="guanxi-bench-"))
    data_dir = work / "data"
    env = guanxi_env(data_dir, options.database_url)
    started = time.monotonic()
    try:
        print(f"  preparing {data_dir} (migrate, bootstrap, seed_demo, collectstatic) …")
        manage("migrate", "--no-input", "-v0", env=env)
        manage("bootstrap", env=env)
        manage("seed_demo", env=env)
        manage("collectstatic", "--no-input", "-v0", env=env)
        password = manage(
            "shell",
            "-v0",
            "-c",
            "from guanxi.core.demo import DEMO_PASSWORD; print(DEMO_PASSWORD)",
            env=env,
        ).strip()
        print(
            f"  ready in {time.monotonic() - started:.0f}s; serving with {gunicorn_command_line()}"
        )

        results: list[Measurement] = []
        with gunicorn(
            "guanxi.wsgi", env=env, log_path=work / "guanxi.log", ready_path="/accounts/login/"
        ) as port:
            session = sign_in(port, options.user, password)
            cookie = {"Cookie": session}
            results.append(
                measure(
                    "home page (signed in)", "127.0.0.1", port, "/", headers=cookie, **load(options)
                )
            )
            api_path, note = API_TARGET, ""
            if status_of(port, API_TARGET, cookie) == 404:
                api_path = API_FALLBACK
                note = f"{API_TARGET} answers 404 (not built yet): measured {API_FALLBACK}"
            api = measure(
                "API list (signed in)", "127.0.0.1", port, api_path, headers=cookie, **load(options)
            )
            api.note = note
            results.append(api)

        minimal_env = {k: v for k, v in env.items() if k != "DJANGO_SETTINGS_MODULE"}
        with gunicorn(
            "minimal_app:application",
            env=minimal_env,
            cwd=BENCHMARKS,
            log_path=work / "minimal.log",
        ) as port:
            baseline = measure("minimal Django view", "127.0.0.1", port, "/", **load(options))
        results.append(baseline)

        report(results, baseline, options)
    finally:
        if options.keep:
            print(f"  kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def load(options) -> dict:
    return {
        "requests": options.requests,
        "concurrency": options.concurrency,
        "warmup": options.warmup,
        "max_seconds": options.max_seconds,
    }


def sign_in(port: int, username: str, password: str) -> str:
    """Sign in through the login form; return the Cookie header of the session."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/accounts/login/")
        response = conn.getresponse()
        page = response.read().decode()
        cookies = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if response.status != 200 or not match or "csrftoken" not in cookies:
            raise BenchmarkError(f"login page: HTTP {response.status}, no CSRF token")
        body = urlencode(
            {"csrfmiddlewaretoken": match.group(1), "username": username, "password": password}
        )
        conn.request(
            "POST",
            "/accounts/login/",
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={cookies['csrftoken'].value}",
                "Referer": f"http://127.0.0.1:{port}/accounts/login/",
                "Origin": f"http://127.0.0.1:{port}",
            },
        )
        response = conn.getresponse()
        response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
        if response.status != 302 or "sessionid" not in cookies:
            raise BenchmarkError(
                f"signing in as {username} failed: HTTP {response.status}, "
                f"Location {response.getheader('Location')}"
            )
        session = "; ".join(f"{k}={cookies[k].value}" for k in ("csrftoken", "sessionid"))
    finally:
        conn.close()
    status = status_of(port, "/", {"Cookie": session})
    if status != 200:
        raise BenchmarkError(f"signed in as {username}, but / answers HTTP {status}")
    return session


def status_of(port: int, path: str, headers: dict[str, str]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}×" if base else "n/a"


def report(results: list[Measurement], baseline: Measurement, options) -> None:
    rows = []
    for m in results:
        rows.append(
            [
                m.label,
                m.path,
                f"{m.rps:,.0f}",
                ratio(m.rps, baseline.rps),
                f"{m.p50:.1f}",
                ratio(m.p50, baseline.p50),
                f"{m.p99:.1f}",
                ratio(m.p99, baseline.p99),
                f"{m.requests}" + (" (time limit)" if m.stopped_early else ""),
                str(m.errors) + (f" {dict(m.statuses)}" if m.errors else ""),
            ]
        )
    print_table(
        [
            "target",
            "path",
            "req/s",
            "× min",
            "p50 ms",
            "× min",
            "p99 ms",
            "× min",
            "requests",
            "errors",
        ],
        rows,
        align="llrrrrrrrl",
    )
    print(
        f"  load: {options.requests} requests per target after {options.warmup} warm-up, "
        f"{options.concurrency} keep-alive connections, at most {options.max_seconds:g}s each; "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{'PostgreSQL' if options.database_url else 'SQLite'}"
    )
    print("  × min: req/s as a fraction of the minimal view's; latency as a multiple of it")
    for m in results:
        if m.note:
            print(f"  NOTE: {m.note}")
