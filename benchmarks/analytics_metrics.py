"""Customer-metrics refresh at scale: the full refresh against the bare RFM aggregation in
SQL and the same RFM in DuckDB.

1. A temporary GUANXI_DATA_DIR (SQLite, or `--database-url` for a throw-away PostgreSQL)
   is migrated; one organisation gets C customers (default 20,000) and posted sales
   deliveries with L order lines in all (default 200,000; the issue's figures are
   `--metrics-customers 200000 --metrics-lines 10000000`), two lines per delivery on average, dated over
   two years, 3 % of the documents being returns. Customers buy with skewed frequency
   (weight 1/rank^0.8), a tenth never buy. Rows are written with raw multi-row INSERTs in
   batches (no services, no history), then ANALYZE. The generation time is printed.
2. Measured in-process (median of `--repeats` runs), after one untimed read of the
   documents so that every figure comes from a warm page cache:
   - **refresh with a refit**: `metrics_services.refresh_now(refit=True)` — the SQL pass
     (purchase events, signed net sales and gross profit from the documents' covering
     index), the ranking (quintile scores, cumulative shares), classification, reading
     every purchase event into numpy, the BG/NBD and Gamma-Gamma fit with its holdout
     check, the scoring, and the upsert of every customer's row; the nightly job does
     this once a week;
   - **nightly refresh**: the same, scored with the stored fit of this week (no fit);
   - **refresh without the lifetime-value model**: no purchase events read, no scores;
   - **floor, documents**: `SELECT party_id, MIN(date), MAX(date), COUNT(*),
     SUM(total − tax_total) … GROUP BY party_id` over the posted deliveries — the bare RFM;
   - **floor, lines**: monetary and gross profit from the order lines joined to their
     documents, `GROUP BY party_id` — what RFM plus gross profit must read;
   - **DuckDB**: the documents' RFM and the lines' sums in DuckDB on copies of the same
     rows (copied through CSV files; the copy is not timed).
3. Prints the table with each figure's ratio to the documents floor; nothing is asserted.
   The issue's aim: a full refresh within 3× of the bare RFM aggregation.
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

TITLE = "Customer metrics refresh (SQL pass + upsert) vs the bare RFM aggregation and DuckDB"
HERE = Path(__file__).resolve().parent


def add_arguments(parser) -> None:
    group = parser.add_argument_group("analytics_metrics")
    group.add_argument("--metrics-customers", type=int, default=20_000, help="customers generated")
    group.add_argument("--metrics-lines", type=int, default=200_000, help="order lines generated")
    group.add_argument("--metrics-repeats", type=int, default=3, help="timed runs per measurement")
    group.add_argument(
        "--metrics-reuse",
        metavar="DATA_DIR",
        help="measure a data directory kept by an earlier run (--keep) instead of generating; "
        "it is migrated first (SQLite only)",
    )


def _child_run(mode: str, env: dict[str, str], payload: dict) -> dict:
    done = subprocess.run(
        [sys.executable, str(HERE / "analytics_metrics.py"), "--child", mode, json.dumps(payload)],
        cwd=HERE.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=14400,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(
            f"analytics_metrics {mode} failed:\n{done.stdout[-3000:]}{done.stderr[-5000:]}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(options) -> None:
    import shutil

    from _report import print_table
    from _server import guanxi_env, manage

    database_url = getattr(options, "database_url", None)
    reuse = getattr(options, "metrics_reuse", None)
    work = (
        Path(reuse).resolve().parent
        if reuse
        else Path(tempfile.mkdtemp(prefix="guanxi-bench-metrics-"))
    )
    env = guanxi_env(work / "data", None if reuse else database_url)
    try:
        print(
            f"  migrating {'the kept' if reuse else 'a throw-away'} database in {work / 'data'} …"
        )
        manage("migrate", "--no-input", "-v0", env=env, timeout=3600)
        if reuse:
            info = _child_run("describe", env, {})
            print(f"  reusing {info['documents']:,} documents; {info['database']}")
        else:
            customers, lines = int(options.metrics_customers), int(options.metrics_lines)
            print(f"  generating {lines:,} order lines for {customers:,} customers …")
            info = _child_run("generate", env, {"customers": customers, "lines": lines})
            print(
                f"  generated {info['documents']:,} documents in {info['seconds']:.1f}s; "
                f"{info['database']}"
            )
        payload = {"info": info, "repeats": int(options.metrics_repeats), "work": str(work)}
        result = _child_run("measure", env, payload)
        floor = next(ms for label, ms, _n in result["rows"] if label.startswith("floor, documents"))
        print_table(
            ["measurement", "median ms", "rows", "× floor"],
            [
                [label, f"{ms:,.1f}", f"{count:,}", f"{ms / floor:,.2f}"]
                for label, ms, count in result["rows"]
            ],
            align="lrrr",
        )
        print(f"  lifetime-value model: {result['clv_status']}")
    finally:
        if not getattr(options, "keep", False) and not reuse:
            shutil.rmtree(work, ignore_errors=True)


# --- in the child process ----------------------------------------------------------------


def _setup() -> None:
    sys.path.insert(0, str(HERE.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings")
    import django

    django.setup()


def _insert(cursor, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    if not rows:
        return
    # SQLite takes at most 32,766 parameters per statement.
    per = max(1, 30_000 // len(columns))
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "  # noqa: S608 (fixed names)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        cursor.execute(head + ", ".join([one] * len(chunk)), [v for row in chunk for v in row])


def _generate(payload: dict) -> dict:
    """Write the organisation, customers, products, documents and lines with raw SQL."""
    import datetime
    import itertools
    import random

    from django.db import connection, transaction
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from guanxi.accounts.services import create_organisation
    from guanxi.catalog.models import Product
    from guanxi.parties.models import Party
    from guanxi.stock.models import StockDocument, Warehouse

    started = time.perf_counter()
    rng = random.Random(2026)
    today = datetime.date.today()  # noqa: DTZ011 (dates are relative only)
    n_customers, n_lines = payload["customers"], payload["lines"]
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    with scopes_disabled():
        org = create_organisation(name="Metrics benchmark", actor=None)
        warehouse = Warehouse.objects.create(org=org, code="W1", name="主仓库", is_default=True)
        Party.objects.bulk_create(
            [
                Party(org=org, name=f"客户{i:07d}", short_name=f"客户{i:07d}", is_customer=True)
                for i in range(n_customers)
            ],
            batch_size=5000,
        )
        party_ids = list(Party.objects.filter(org=org).order_by("pk").values_list("pk", flat=True))
        Product.objects.bulk_create(
            [Product(org=org, code=f"P{i:05d}", name=f"产品{i}") for i in range(500)]
        )
        product_ids = list(Product.objects.filter(org=org).values_list("pk", flat=True))
    buyers = party_ids[: max(1, int(len(party_ids) * 0.9))]
    cumulative = list(itertools.accumulate(1 / (rank + 1) ** 0.8 for rank in range(len(buyers))))
    rng.shuffle(buyers)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM stock_stockdocument")
        next_doc = cursor.fetchone()[0] + 1
    doc_columns = (
        "id", "created_at", "updated_at", "org_id", "version", "number", "kind", "status",
        "date", "party_id", "warehouse_id", "notes", "subtotal", "discount_total",
        "tax_total", "total", "cost_total", "posted_at",
    )  # fmt: skip
    line_columns = (
        "org_id", "position", "product_id", "description", "quantity", "unit_price",
        "discount_percent", "tax_rate", "net_amount", "tax_amount", "total_amount",
        "document_id", "unit_cost", "reservation_consumed", "serials",
    )  # fmt: skip
    written, documents = 0, 0
    batch_lines = 50_000
    while written < n_lines:
        docs, lines = [], []
        with transaction.atomic(), connection.cursor() as cursor:
            target = min(batch_lines, n_lines - written)
            made = 0
            while made < target:
                doc_id = next_doc
                next_doc += 1
                party = rng.choices(buyers, cum_weights=cumulative)[0]
                day = today - datetime.timedelta(days=rng.randint(0, 730))
                kind = (
                    StockDocument.Kind.SALES_RETURN
                    if rng.random() < 0.03
                    else StockDocument.Kind.SALES_DELIVERY
                )
                count = min(rng.choice((1, 1, 2, 2, 3, 3)), target - made)
                net_total = cost_total = 0
                for position in range(count):
                    quantity = rng.randint(1, 10)
                    price = rng.randint(10, 500)
                    net = quantity * price
                    net_total += net
                    unit_cost = round(price * 0.7, 2)
                    cost_total += round(quantity * unit_cost, 2)
                    tax = round(net * 0.13, 2)
                    lines.append(
                        (
                            org.pk, position, rng.choice(product_ids), "", quantity, price,
                            0, 13, net, tax, round(net + tax, 2), doc_id,
                            unit_cost, 0, "[]",
                        )
                    )  # fmt: skip
                tax_total = round(net_total * 0.13, 2)
                docs.append(
                    (
                        doc_id, now, now, org.pk, 1, f"SD-{doc_id:09d}", kind,
                        StockDocument.Status.POSTED, ops.adapt_datefield_value(day), party,
                        warehouse.pk, "", net_total, 0, tax_total,
                        round(net_total + tax_total, 2), round(cost_total, 2), now,
                    )
                )  # fmt: skip
                made += count
            _insert(cursor, "stock_stockdocument", doc_columns, docs)
            _insert(cursor, "stock_stockdocumentline", line_columns, lines)
            written += made
            documents += len(docs)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('stock_stockdocument', 'id'), "
                "(SELECT MAX(id) FROM stock_stockdocument))"
            )
        cursor.execute("ANALYZE")
    return {
        "org_id": org.pk,
        "documents": documents,
        "lines": written,
        "seconds": time.perf_counter() - started,
        "database": f"{connection.vendor} {connection.settings_dict['NAME']}",
    }


def _describe() -> dict:
    """The kept data directory's organisation (the benchmark's, the latest one)."""
    from django.db import connection
    from django_scopes import scopes_disabled

    from guanxi.core.models import Organisation
    from guanxi.stock.models import StockDocument

    org = Organisation.objects.order_by("-pk").first()
    with scopes_disabled():
        documents = StockDocument.objects.filter(org_id=org.pk).count()
    return {
        "org_id": org.pk,
        "documents": documents,
        "database": f"{connection.vendor} {connection.settings_dict['NAME']}",
    }


def _median_ms(function, repeats: int) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(max(1, repeats)):
        started = time.perf_counter()
        count = function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), count


FLOOR_DOCUMENTS = """
SELECT party_id, MIN(date), MAX(date), COUNT(*), SUM(total - tax_total)
FROM stock_stockdocument
WHERE org_id = %s AND kind = 'sales_delivery' AND status = 'posted' AND party_id IS NOT NULL
GROUP BY party_id
"""
FLOOR_LINES = """
SELECT d.party_id, SUM(l.net_amount), SUM(l.net_amount - l.quantity * l.unit_cost)
FROM stock_stockdocumentline l JOIN stock_stockdocument d ON d.id = l.document_id
WHERE d.org_id = %s AND d.kind IN ('sales_delivery', 'sales_return')
  AND d.status IN ('posted', 'reversed') AND d.party_id IS NOT NULL
GROUP BY d.party_id
"""


def _duckdb(work: Path, org_id: int, repeats: int) -> list[tuple[str, float, int]]:
    """The same two aggregations in DuckDB, on CSV copies of the rows (copy not timed)."""
    import csv

    import duckdb
    from django.db import connection

    docs_csv, lines_csv = work / "docs.csv", work / "lines.csv"
    with connection.cursor() as cursor, docs_csv.open("w", newline="") as out:
        cursor.execute(
            "SELECT id, party_id, date, kind, status, total - tax_total FROM stock_stockdocument "
            "WHERE org_id = %s AND party_id IS NOT NULL",
            [org_id],
        )
        writer = csv.writer(out)
        writer.writerow(["id", "party_id", "date", "kind", "status", "net"])
        writer.writerows(cursor.fetchall())
    with connection.cursor() as cursor, lines_csv.open("w", newline="") as out:
        cursor.execute(
            "SELECT document_id, net_amount, quantity * unit_cost FROM stock_stockdocumentline "
            "WHERE org_id = %s",
            [org_id],
        )
        writer = csv.writer(out)
        writer.writerow(["document_id", "net_amount", "cost"])
        writer.writerows(cursor.fetchall())
    con = duckdb.connect()
    con.execute("CREATE TABLE docs AS SELECT * FROM read_csv_auto(?)", [str(docs_csv)])
    con.execute("CREATE TABLE lines AS SELECT * FROM read_csv_auto(?)", [str(lines_csv)])
    rfm = (
        "SELECT party_id, MIN(date), MAX(date), COUNT(*), SUM(net) FROM docs "
        "WHERE kind = 'sales_delivery' AND status = 'posted' GROUP BY party_id"
    )
    sums = (
        "SELECT d.party_id, SUM(l.net_amount), SUM(l.net_amount - l.cost) FROM lines l "
        "JOIN docs d ON d.id = l.document_id GROUP BY d.party_id"
    )
    rows = []
    ms, count = _median_ms(lambda: len(con.execute(rfm).fetchall()), repeats)
    rows.append(("DuckDB: RFM over documents (customers)", ms, count))
    ms, count = _median_ms(lambda: len(con.execute(sums).fetchall()), repeats)
    rows.append(("DuckDB: net sales and profit over lines (customers)", ms, count))
    con.close()
    return rows


def _measure(payload: dict) -> dict:
    from django.db import connection

    from guanxi.analytics.metrics_services import refresh_now
    from guanxi.core.models import Organisation

    info, repeats = payload["info"], payload["repeats"]
    org = Organisation.objects.get(pk=info["org_id"])
    rows = []
    status = {"clv": ""}
    with connection.cursor() as cursor:
        # Warm-up (not timed): every measurement then reads from a warm page cache.
        cursor.execute(FLOOR_DOCUMENTS, [info["org_id"]])
        cursor.fetchall()

    def refitting() -> int:
        result = refresh_now(org, refit=True)
        status["clv"] = result.clv_status
        return result.customers

    ms, count = _median_ms(refitting, repeats)
    rows.append(("refresh with a refit of the CLV model (weekly; customers)", ms, count))
    ms, count = _median_ms(lambda: refresh_now(org).customers, repeats)
    rows.append(("nightly refresh, scored with this week's CLV fit (customers)", ms, count))
    ms, count = _median_ms(lambda: refresh_now(org, with_clv=False).customers, repeats)
    rows.append(("refresh without the CLV model (customers)", ms, count))

    def floor(sql: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, [info["org_id"]])
            return len(cursor.fetchall())

    ms, count = _median_ms(lambda: floor(FLOOR_DOCUMENTS), repeats)
    rows.append(("floor, documents: bare RFM GROUP BY party (customers)", ms, count))
    ms, count = _median_ms(lambda: floor(FLOOR_LINES), repeats)
    rows.append(("floor, lines: net sales and profit GROUP BY party (customers)", ms, count))
    rows.extend(_duckdb(Path(payload["work"]), info["org_id"], repeats))
    return {"rows": rows, "clv_status": status["clv"]}


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "--child":
    _setup()
    mode, argument = sys.argv[2], json.loads(sys.argv[3])
    if mode == "generate":
        print(json.dumps(_generate(argument)))
    elif mode == "describe":
        print(json.dumps(_describe()))
    elif mode == "measure":
        print(json.dumps(_measure(argument)))
