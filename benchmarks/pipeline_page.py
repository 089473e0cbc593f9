"""The sales pipeline (kanban) page and the opportunity list with many open opportunities.

1. A temporary GUANXI_DATA_DIR (SQLite, or `--database-url` for a throw-away PostgreSQL)
   is migrated; one organisation gets the default stages, 500 customers, 20 salespeople
   and `--pipeline-opportunities` open opportunities (default 10,000, the issue's figure),
   spread over the open stages, written with bulk_create (no services, no history).
2. Measured in-process with Django's test client, signed in as an administrator (who
   sees every opportunity), median of `--pipeline-repeats` runs, with the number of SQL
   queries each page ran:
   - **kanban page** `/sales/pipeline/`: every open stage's column (its first cards) and
     the count, Σ amount and weighted Σ per column;
   - **opportunity list** `/sales/opportunities/`: the first page;
   - **floor**: the bare SQL the kanban cannot do without: one grouped COUNT/SUM over
     the open opportunities plus the first 50 cards of each stage, on the DB-API cursor.
3. Prints the table and the ratio page / floor; nothing is asserted.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TITLE = "Sales pipeline (kanban) and opportunity list with 10,000 open opportunities"
HERE = Path(__file__).resolve().parent


def add_arguments(parser) -> None:
    group = parser.add_argument_group("pipeline_page")
    group.add_argument(
        "--pipeline-opportunities", type=int, default=10_000, help="open opportunities generated"
    )
    group.add_argument("--pipeline-repeats", type=int, default=15, help="timed runs per page")


def _child(mode: str, env: dict[str, str], payload: dict) -> dict:
    done = subprocess.run(
        [sys.executable, str(HERE / "pipeline_page.py"), "--child", mode, json.dumps(payload)],
        cwd=HERE.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(
            f"pipeline_page {mode} failed:\n{done.stdout[-3000:]}{done.stderr[-5000:]}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(options) -> None:
    import shutil

    from _report import print_table
    from _server import guanxi_env, manage

    database_url = getattr(options, "database_url", None)
    work = Path(tempfile.mkdtemp(prefix="guanxi-bench-pipeline-"))
    env = guanxi_env(work / "data", database_url)
    try:
        print(f"  migrating a throw-away database in {work / 'data'} …")
        manage("migrate", "--no-input", "-v0", env=env, timeout=900)
        manage("collectstatic", "--no-input", "-v0", env=env, timeout=900)
        count = int(options.pipeline_opportunities)
        print(f"  generating {count:,} open opportunities …")
        info = _child("generate", env, {"opportunities": count})
        print(f"  generated in {info['seconds']:.1f}s; {info['database']}")
        result = _child("measure", env, {"info": info, "repeats": int(options.pipeline_repeats)})
        floor = result["floor_ms"]
        rows = [
            [label, f"{ms:,.1f}", str(queries), f"{ms / floor:,.1f}×" if floor else "–"]
            for label, ms, queries in result["rows"]
        ]
        rows.append(
            ["floor: grouped totals + 50 cards per stage (bare SQL)", f"{floor:,.1f}", "–", "1.0×"]
        )
        print_table(["measurement", "median ms", "queries", "vs floor"], rows, align="lrrr")
    finally:
        if not getattr(options, "keep", False):
            shutil.rmtree(work, ignore_errors=True)


# --- in the child process ----------------------------------------------------------------


def _setup() -> None:
    sys.path.insert(0, str(HERE.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings")
    import django

    django.setup()


def _generate(payload: dict) -> dict:
    import datetime
    import random
    from decimal import Decimal

    from django.db import connection
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from guanxi.accounts.models import Membership, Role, User
    from guanxi.accounts.services import create_organisation
    from guanxi.parties.models import Party
    from guanxi.sales.models import Opportunity, PipelineStage
    from guanxi.sales.pipeline_services import ensure_default_stages

    started = time.perf_counter()
    rng = random.Random(2026)
    today = datetime.date.today()  # noqa: DTZ011 (dates are relative only)
    with scopes_disabled():
        org = create_organisation(name="Pipeline benchmark", actor=None)
        ensure_default_stages(org)
        admin = User.objects.create_user(username="bench-admin", password=None)
        Membership.objects.create(org=org, user=admin, role=Role.objects.get(org=org, code="admin"))
        sales_role = Role.objects.get(org=org, code="sales")
        people = []
        for i in range(20):
            user = User.objects.create_user(username=f"bench-sales-{i}", password=None)
            Membership.objects.create(org=org, user=user, role=sales_role)
            people.append(user)
        Party.objects.bulk_create(
            [Party(org=org, name=f"客户{i:04d}", short_name=f"客户{i:04d}") for i in range(500)]
        )
        customers = list(Party.objects.filter(org=org).values_list("pk", flat=True))
        stages = list(PipelineStage.objects.filter(org=org, outcome="open").order_by("position"))
        now = timezone.now()
        Opportunity.objects.bulk_create(
            [
                Opportunity(
                    org=org,
                    name=f"商机{n:06d}",
                    party_id=rng.choice(customers),
                    stage=(stage := rng.choice(stages)),
                    probability=stage.probability,
                    amount=Decimal(rng.randint(1_000, 500_000)),
                    close_date=today + datetime.timedelta(days=rng.randint(0, 180)),
                    owner=rng.choice(people),
                    stage_entered_at=now,
                )
                for n in range(payload["opportunities"])
            ],
            batch_size=2000,
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "seconds": time.perf_counter() - started,
        "database": connection.vendor,
        "org": org.pk,
        "admin": admin.pk,
    }


def _measure(payload: dict) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from guanxi.accounts.models import User

    info, repeats = payload["info"], payload["repeats"]
    client = Client(SERVER_NAME="localhost")
    client.force_login(User.objects.get(pk=info["admin"]))

    def page(url: str) -> tuple[float, int]:
        response = client.get(url)  # warm-up (and a check that the page works)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        times = []
        for _ in range(repeats):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times), len(queries.captured_queries)

    rows = []
    for label, url in (
        ("kanban page /sales/pipeline/", "/sales/pipeline/"),
        ("opportunity list /sales/opportunities/", "/sales/opportunities/"),
    ):
        ms, queries = page(url)
        rows.append((label, ms, queries))

    def floor() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT stage_id, COUNT(*), SUM(amount) FROM sales_opportunity "
                "WHERE org_id = %s AND status = 'open' AND deleted_at IS NULL "
                "GROUP BY stage_id",
                [info["org"]],
            )
            stage_ids = [row[0] for row in cursor.fetchall()]
            for stage_id in stage_ids:
                cursor.execute(
                    "SELECT id, name, party_id, amount, close_date, owner_id "
                    "FROM sales_opportunity WHERE org_id = %s AND status = 'open' "
                    "AND deleted_at IS NULL AND stage_id = %s ORDER BY id DESC LIMIT 50",
                    [info["org"], stage_id],
                )
                cursor.fetchall()

    floor()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        floor()
        times.append((time.perf_counter() - started) * 1000)
    return {"rows": rows, "floor_ms": statistics.median(times)}


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "--child":
    _setup()
    handler = {"generate": _generate, "measure": _measure}[sys.argv[2]]
    print(json.dumps(handler(json.loads(sys.argv[3]))))
