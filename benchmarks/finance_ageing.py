"""Receivables ageing at scale: the per-party ageing and one party's open items over a
large party ledger, against the bare SQL floor.

1. A temporary GUANXI_DATA_DIR (SQLite, or `--database-url` for a throw-away PostgreSQL)
   is migrated; one organisation with P customers (default 10,000) gets posted sales
   deliveries and receipts until the party ledger has N rows (default 1,000,000; the
   issue's figure is `--ledger-rows 10000000`): most deliveries are paid in full by an
   allocated receipt, some in part, some not at all, some receipts are left on account,
   dated over two years. Rows are written with `bulk_create` in batches (no services,
   no history), then ANALYZE. The generation time is printed.
2. Measured in-process (median of `--repeats` runs):
   - **ageing, all customers**: `guanxi.finance.openitems.ageing_by_party` (the one
     grouped statement behind the Receivables page);
   - **one customer's open items**: `party_open_items` for the customer with the most
     documents;
   - **floor**: `SELECT party_id, SUM(amount) FROM finance_partyledgerentry GROUP BY
     party_id` on the DB-API cursor — the balance per party without open items or
     buckets, the least any ageing has to read.
3. Prints the table; nothing is asserted.
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

TITLE = "Receivables ageing over a large party ledger (open items in SQL vs the SUM floor)"
HERE = Path(__file__).resolve().parent


def add_arguments(parser) -> None:
    group = parser.add_argument_group("finance_ageing")
    group.add_argument(
        "--ledger-rows", type=int, default=1_000_000, help="party-ledger rows generated"
    )
    group.add_argument("--parties", type=int, default=10_000, help="customers generated")
    group.add_argument("--repeats", type=int, default=5, help="timed runs per measurement")


def _child_run(mode: str, env: dict[str, str], payload: dict) -> dict:
    done = subprocess.run(
        [sys.executable, str(HERE / "finance_ageing.py"), "--child", mode, json.dumps(payload)],
        cwd=HERE.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=14400,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(
            f"finance_ageing {mode} failed:\n{done.stdout[-3000:]}{done.stderr[-5000:]}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(options) -> None:
    import shutil

    from _report import print_table
    from _server import guanxi_env, manage

    database_url = getattr(options, "database_url", None)
    work = Path(tempfile.mkdtemp(prefix="guanxi-bench-ageing-"))
    env = guanxi_env(work / "data", database_url)
    try:
        print(f"  migrating a throw-away database in {work / 'data'} …")
        manage("migrate", "--no-input", "-v0", env=env, timeout=900)
        rows, parties = int(options.ledger_rows), int(options.parties)
        print(f"  generating {rows:,} ledger rows for {parties:,} customers …")
        info = _child_run("generate", env, {"ledger_rows": rows, "parties": parties})
        print(f"  generated in {info['seconds']:.1f}s; {info['database']}")
        result = _child_run("measure", env, {"info": info, "repeats": int(options.repeats)})
        print_table(
            ["measurement", "median ms", "rows"],
            [[label, f"{ms:,.1f}", f"{count:,}"] for label, ms, count in result["rows"]],
            align="lrr",
        )
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
    """Write the organisation, customers, deliveries, receipts and allocations."""
    import datetime
    import random
    from decimal import Decimal

    from django.db import connection, transaction
    from django.db.models import Count
    from django_scopes import scopes_disabled

    from guanxi.accounts.services import create_organisation
    from guanxi.finance.models import Allocation, MoneyDocument, PartyLedgerEntry
    from guanxi.parties.models import Party
    from guanxi.stock.models import StockDocument, Warehouse

    started = time.perf_counter()
    rng = random.Random(2026)
    today = datetime.date.today()  # noqa: DTZ011 (dates are relative only)
    target, party_count = payload["ledger_rows"], payload["parties"]
    batch = 5000
    with scopes_disabled():
        org = create_organisation(name="Ageing benchmark", actor=None)
        warehouse = Warehouse.objects.create(org=org, code="W1", name="主仓库", is_default=True)
        Party.objects.bulk_create(
            [
                Party(org=org, name=f"客户{i:06d}", short_name=f"客户{i:06d}", is_customer=True)
                for i in range(party_count)
            ],
            batch_size=batch,
        )
        party_ids = list(Party.objects.filter(org=org).values_list("pk", flat=True))
        written = 0
        number = 0
        while written < target:
            with transaction.atomic():
                docs, moneys, plans = [], [], []
                for _ in range(min(batch, target - written)):
                    number += 1
                    party_id = rng.choice(party_ids)
                    day = today - datetime.timedelta(days=rng.randint(0, 730))
                    total = Decimal(rng.randint(100, 50000))
                    docs.append(
                        StockDocument(
                            org=org,
                            number=f"SD-{number:09d}",
                            kind=StockDocument.Kind.SALES_DELIVERY,
                            status=StockDocument.Status.POSTED,
                            date=day,
                            due_date=day + datetime.timedelta(days=30),
                            party_id=party_id,
                            warehouse=warehouse,
                            subtotal=total,
                            total=total,
                        )
                    )
                    share = rng.random()
                    if share < 0.85:
                        paid = total if share < 0.75 else (total / 2).quantize(Decimal("1"))
                        extra = Decimal(rng.choice((0, 0, 0, 100)))
                        pay_day = min(today, day + datetime.timedelta(days=rng.randint(5, 90)))
                        moneys.append(
                            MoneyDocument(
                                org=org,
                                number=f"RC-{number:09d}",
                                kind=MoneyDocument.Kind.RECEIPT,
                                status=MoneyDocument.Status.POSTED,
                                party_id=party_id,
                                date=pay_day,
                                amount=paid + extra,
                            )
                        )
                        plans.append((len(docs) - 1, len(moneys) - 1, paid))
                StockDocument.objects.bulk_create(docs)
                MoneyDocument.objects.bulk_create(moneys)
                ledger = [
                    PartyLedgerEntry(
                        org=org,
                        party_id=d.party_id,
                        book="receivable",
                        date=d.date,
                        due_date=d.due_date,
                        amount=d.total,
                        stock_document=d,
                    )
                    for d in docs
                ] + [
                    PartyLedgerEntry(
                        org=org,
                        party_id=m.party_id,
                        book="receivable",
                        date=m.date,
                        amount=-m.amount,
                        money_document=m,
                    )
                    for m in moneys
                ]
                PartyLedgerEntry.objects.bulk_create(ledger)
                Allocation.objects.bulk_create(
                    [
                        Allocation(
                            org=org,
                            money_document=moneys[m],
                            stock_document=docs[d],
                            amount=paid,
                            date=moneys[m].date,
                        )
                        for d, m, paid in plans
                    ]
                )
                written += len(ledger)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        busiest = (
            PartyLedgerEntry.objects.filter(org=org)
            .values("party_id")
            .order_by()
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()
        )
    return {
        "org_id": org.pk,
        "party_id": busiest["party_id"] if busiest else None,
        "rows": written,
        "seconds": time.perf_counter() - started,
        "database": f"{connection.vendor} {connection.settings_dict['NAME']}",
    }


def _median_ms(function, repeats: int) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(max(1, repeats)):
        started = time.perf_counter()
        count = function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), count


def _measure(payload: dict) -> dict:
    from django.db import connection
    from django_scopes import scope

    from guanxi.finance.openitems import ageing_by_party, party_open_items

    info, repeats = payload["info"], payload["repeats"]
    rows = []
    with scope(org=info["org_id"]):
        ms, count = _median_ms(lambda: len(ageing_by_party("receivable")), repeats)
        rows.append(("ageing, all customers (parties)", ms, count))
        if info["party_id"]:
            ms, count = _median_ms(
                lambda: len(party_open_items(info["party_id"], "receivable")), repeats
            )
            rows.append(("one customer's open items (items)", ms, count))

    def floor() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT party_id, SUM(amount) FROM finance_partyledgerentry "
                "WHERE org_id = %s AND book = 'receivable' GROUP BY party_id",
                [info["org_id"]],
            )
            return len(cursor.fetchall())

    ms, count = _median_ms(floor, repeats)
    rows.append(("floor: SUM(amount) GROUP BY party (parties)", ms, count))
    return {"rows": rows}


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "--child":
    _setup()
    mode, argument = sys.argv[2], json.loads(sys.argv[3])
    if mode == "generate":
        print(json.dumps(_generate(argument)))
    elif mode == "measure":
        print(json.dumps(_measure(argument)))
