"""Stock queries over a large stock ledger: stock on hand, a product's ledger page, stock
age and on hand as of a day, against the bare SQL floor.

1. A temporary GUANXI_DATA_DIR (SQLite, or `--database-url` for a throw-away PostgreSQL)
   is migrated; one organisation with 3 warehouses and `--stock-products` products
   (default 2,000) gets posted documents of 5 lines until the stock ledger has N rows
   (default 1,000,000; the issue's figure is `--stock-ledger-rows 10000000`, which needs about
   10 GB of disk on SQLite and an hour to generate): 30% receipts, 70% deliveries over
   two years, and the stock levels that posting would have left. Rows go in with
   `executemany` in batches (no services, no history), then ANALYZE.
2. Measured in-process (median of `--stock-repeats` runs):
   - **stock on hand page**: the first page of `selectors.stock_levels` (50 rows, keyset)
     and `level_totals` — what the Stock on hand page runs; it reads the stock levels
     that posting keeps, not the ledger, so it does not grow with the ledger;
   - **product ledger page**: the first 50 ledger rows of the busiest product, newest
     first, with the running balance (`with_running_balance`);
   - **stock age**: `selectors.stock_ageing` over every warehouse (windowed SQL over the
     incoming rows);
   - **on hand as of a day from the ledger**: SUM(quantity) per product and warehouse up to
     a year ago, through the ORM;
   - **floor**: `SELECT product_id, warehouse_id, SUM(quantity) … GROUP BY` on the DB-API
     cursor — the least any ledger-wide stock figure has to read.
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

TITLE = "Stock on hand, product ledger and stock age over a large stock ledger"
HERE = Path(__file__).resolve().parent


def add_arguments(parser) -> None:
    group = parser.add_argument_group("stock_queries")
    group.add_argument(
        "--stock-ledger-rows",
        type=int,
        default=1_000_000,
        help="stock-ledger rows generated (the issue's figure is 10000000)",
    )
    group.add_argument("--stock-products", type=int, default=2_000, help="products generated")
    group.add_argument(
        "--stock-repeats", type=int, default=5, help="timed runs per stock measurement"
    )


def _child(mode: str, env: dict[str, str], payload: dict) -> dict:
    done = subprocess.run(
        [sys.executable, str(HERE / "stock_queries.py"), "--child", mode, json.dumps(payload)],
        cwd=HERE.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=6 * 3600,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(
            f"stock_queries {mode} failed:\n{done.stdout[-3000:]}{done.stderr[-5000:]}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(options) -> None:
    import shutil

    from _report import print_table
    from _server import guanxi_env, manage

    database_url = getattr(options, "database_url", None)
    work = Path(tempfile.mkdtemp(prefix="guanxi-bench-stock-"))
    env = guanxi_env(work / "data", database_url)
    try:
        print(f"  migrating a throw-away database in {work / 'data'} …")
        manage("migrate", "--no-input", "-v0", env=env, timeout=900)
        rows, products = int(options.stock_ledger_rows), int(options.stock_products)
        print(f"  generating {rows:,} stock-ledger rows over {products:,} products …")
        info = _child("generate", env, {"ledger_rows": rows, "products": products})
        print(f"  generated in {info['seconds']:.1f}s; {info['database']}")
        result = _child("measure", env, {"info": info, "repeats": int(options.stock_repeats)})
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
    import datetime
    import random
    from decimal import Decimal

    from django.db import connection, transaction
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from guanxi.accounts.services import create_organisation
    from guanxi.catalog.models import Product
    from guanxi.parties.models import Party
    from guanxi.stock.models import StockLevel, Warehouse

    started = time.perf_counter()
    rng = random.Random(2026)
    today = datetime.date.today()  # noqa: DTZ011 (dates are relative only)
    target, product_count = payload["ledger_rows"], payload["products"]
    with scopes_disabled():
        org = create_organisation(name="Stock benchmark", actor=None)
        warehouses = [
            Warehouse.objects.create(org=org, code=f"W{i}", name=f"仓库{i}", is_default=i == 1)
            for i in (1, 2, 3)
        ]
        supplier = Party.objects.create(
            org=org, name="供应商", short_name="供应商", is_customer=False, is_supplier=True
        )
        Party.objects.bulk_create(
            [Party(org=org, name=f"客户{i:04d}", short_name=f"客户{i:04d}") for i in range(500)]
        )
        customers = list(
            Party.objects.filter(org=org, is_customer=True).values_list("pk", flat=True)
        )
        Product.objects.bulk_create(
            [
                Product(org=org, code=f"P{i:06d}", name=f"商品{i:06d}", cost_price=Decimal("50"))
                for i in range(product_count)
            ],
            batch_size=5000,
        )
        products = list(Product.objects.filter(org=org).values_list("pk", flat=True))
        warehouse_ids = [w.pk for w in warehouses]
        balances: dict[tuple[int, int], int] = {}
        tables = {
            "doc": "stock_stockdocument",
            "line": "stock_stockdocumentline",
            "ledger": "stock_stockledgerentry",
        }
        now = timezone.now()
        documents = target // 5
        batch = 2000
        written = 0
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {tables['doc']}")  # noqa: S608
            doc_id = cursor.fetchone()[0]
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {tables['line']}")  # noqa: S608
            line_id = cursor.fetchone()[0]
        for start in range(0, documents, batch):
            docs, lines, ledger = [], [], []
            for n in range(start, min(documents, start + batch)):
                doc_id += 1
                receipt = rng.random() < 0.3
                kind = "purchase_receipt" if receipt else "sales_delivery"
                day = today - datetime.timedelta(days=730 - n * 730 // max(documents, 1))
                warehouse_id = rng.choice(warehouse_ids)
                party_id = supplier.pk if receipt else rng.choice(customers)
                docs.append(
                    (org.pk, f"X-{n:09d}", kind, "posted", day, party_id, warehouse_id, now, now)
                )
                for position, product_id in enumerate(rng.sample(products, 5)):
                    line_id += 1
                    quantity = rng.randint(20, 60) if receipt else -rng.randint(1, 10)
                    lines.append(
                        (
                            org.pk,
                            doc_id,
                            position,
                            product_id,
                            abs(quantity),
                            50,
                            50 * abs(quantity),
                        )
                    )
                    ledger.append(
                        (
                            org.pk,
                            doc_id,
                            line_id,
                            product_id,
                            warehouse_id,
                            party_id,
                            kind,
                            day,
                            quantity,
                            50,
                            50 * quantity,
                            50 * abs(quantity),
                            now,
                        )
                    )
                    key = (product_id, warehouse_id)
                    balances[key] = balances.get(key, 0) + quantity
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {tables['doc']} (org_id, number, kind, status, date, party_id, "  # noqa: S608
                    "warehouse_id, created_at, updated_at, version, subtotal, discount_total, "
                    "tax_total, total, notes) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 1, 0, 0, "
                    "0, 0, '')",
                    docs,
                )
                cursor.executemany(
                    f"INSERT INTO {tables['line']} (org_id, document_id, position, product_id, "  # noqa: S608
                    "quantity, unit_price, discount_percent, tax_rate, net_amount, tax_amount, "
                    "total_amount, description, unit_cost, reservation_consumed, serials) VALUES "
                    "(%s, %s, %s, %s, %s, %s, 0, 0, %s, 0, 0, '', 50, 0, '[]')",
                    [(*row[:6], row[6]) for row in lines],
                )
                cursor.executemany(
                    f"INSERT INTO {tables['ledger']} (org_id, document_id, line_id, product_id, "  # noqa: S608
                    "warehouse_id, party_id, kind, date, quantity, unit_cost, value, "
                    "sales_amount, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
                    "%s, %s, %s)",
                    ledger,
                )
            written += len(ledger)
        StockLevel.objects.bulk_create(
            [
                StockLevel(
                    org=org,
                    product_id=p,
                    warehouse_id=w,
                    on_hand=q,
                    average_cost=Decimal("50"),
                )
                for (p, w), q in balances.items()
            ],
            batch_size=5000,
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        busiest = max(
            products, key=lambda p: sum(balances.get((p, w), 0) != 0 for w in warehouse_ids)
        )
    return {
        "org_id": org.pk,
        "product_id": busiest,
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
    import datetime

    from django.db import connection
    from django.db.models import Sum
    from django_scopes import scope

    from guanxi.stock import selectors

    info, repeats = payload["info"], payload["repeats"]
    org_id = info["org_id"]
    today = datetime.date.today()  # noqa: DTZ011
    rows = []
    with scope(org=org_id):

        def on_hand_page() -> int:
            qs = selectors.stock_levels(org_id)
            page = selectors.keyset_page(qs, selectors.LEVEL_ORDER, None, 50)
            selectors.level_totals(qs)
            return len(page.items)

        ms, count = _median_ms(on_hand_page, repeats)
        rows.append(("stock on hand page: 50 rows + totals", ms, count))

        def ledger_page() -> int:
            base = selectors.ledger_entries(
                org_id, selectors.LedgerFilters(product_id=info["product_id"])
            )
            page = selectors.keyset_page(base, selectors.LEDGER_ORDER, None, 50)
            return len(selectors.with_running_balance(page, base.order_by()))

        ms, count = _median_ms(ledger_page, repeats)
        rows.append(("one product's ledger page + running balance", ms, count))

        ms, count = _median_ms(lambda: len(selectors.stock_ageing(org_id, as_of=today)), repeats)
        rows.append(("stock age, all warehouses (products)", ms, count))

        year_ago = today - datetime.timedelta(days=365)

        def as_of() -> int:
            return len(
                list(
                    selectors.ledger_entries(org_id, selectors.LedgerFilters(date_to=year_ago))
                    .order_by()
                    .values("product_id", "warehouse_id")
                    .annotate(on_hand=Sum("quantity"))
                )
            )

        ms, count = _median_ms(as_of, repeats)
        rows.append(("on hand a year ago, from the ledger (levels)", ms, count))

    def floor() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT product_id, warehouse_id, SUM(quantity) FROM stock_stockledgerentry "
                "WHERE org_id = %s GROUP BY product_id, warehouse_id",
                [org_id],
            )
            return len(cursor.fetchall())

    ms, count = _median_ms(floor, repeats)
    rows.append(("floor: SUM(quantity) GROUP BY product, warehouse", ms, count))
    return {"rows": rows}


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "--child":
    _setup()
    mode, argument = sys.argv[2], json.loads(sys.argv[3])
    print(json.dumps({"generate": _generate, "measure": _measure}[mode](argument)))
