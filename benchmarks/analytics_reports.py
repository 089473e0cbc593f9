"""Grouped sales analysis at scale: the sales trend by month × product category, the
composition by category and the customer Pareto over N order lines, against the bare
SQL GROUP BY floor.

1. A temporary GUANXI_DATA_DIR (SQLite, or `--database-url` for a throw-away PostgreSQL)
   is migrated; one organisation with C customers (default 5,000), 500 products in 20
   categories and 20 salespeople gets posted sales deliveries (about 4 lines each, 3% of
   them returns) over two years until there are N lines (default 200,000; the issue's
   figure is `--report-lines 10000000`). Rows are written with `bulk_create` in batches
   (no services), then ANALYZE. The generation time is printed.
2. Measured in-process as the administrator (median of `--report-repeats` runs):
   - **trend, month × category**: `sales_selectors.trend(split="category", top=20)` over
     the last 24 months — the period's buckets, last year's buckets (YoY), the top
     categories and their buckets: four grouped statements;
   - **composition by category** and **Pareto of customers** (window functions);
   - **floor**: the same month × category sums as one bare `SELECT … GROUP BY` on the
     DB-API cursor (no YoY, no signs for returns, no reversal rules), and the bare
     per-customer `SUM … GROUP BY party_id` for the Pareto.
3. Prints the table with each figure's ratio to its floor; nothing is asserted.
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

TITLE = "Grouped sales analysis (trend month × category, composition, Pareto) vs the GROUP BY floor"
HERE = Path(__file__).resolve().parent


def add_arguments(parser) -> None:
    group = parser.add_argument_group("analytics_reports")
    group.add_argument("--report-lines", type=int, default=200_000, help="sales lines generated")
    group.add_argument("--report-customers", type=int, default=5_000, help="customers generated")
    group.add_argument("--report-repeats", type=int, default=3, help="timed runs per measurement")


def _child_run(mode: str, env: dict[str, str], payload: dict) -> dict:
    done = subprocess.run(
        [sys.executable, str(HERE / "analytics_reports.py"), "--child", mode, json.dumps(payload)],
        cwd=HERE.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=14400,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(
            f"analytics_reports {mode} failed:\n{done.stdout[-3000:]}{done.stderr[-5000:]}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(options) -> None:
    import shutil

    from _report import print_table
    from _server import guanxi_env, manage

    database_url = getattr(options, "database_url", None)
    work = Path(tempfile.mkdtemp(prefix="guanxi-bench-reports-"))
    env = guanxi_env(work / "data", database_url)
    try:
        print(f"  migrating a throw-away database in {work / 'data'} …")
        manage("migrate", "--no-input", "-v0", env=env, timeout=900)
        lines, customers = int(options.report_lines), int(options.report_customers)
        print(f"  generating {lines:,} sales lines for {customers:,} customers …")
        info = _child_run("generate", env, {"lines": lines, "customers": customers})
        print(f"  generated in {info['seconds']:.1f}s; {info['database']}")
        result = _child_run("measure", env, {"info": info, "repeats": int(options.report_repeats)})
        print_table(
            ["measurement", "median ms", "× floor", "rows"],
            [
                [label, f"{ms:,.1f}", ratio, f"{count:,}"]
                for label, ms, ratio, count in result["rows"]
            ],
            align="lrrr",
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
    """Write the organisation, people, customers, products and posted sales documents."""
    import datetime
    import random
    from decimal import Decimal

    from django.db import connection, transaction
    from django_scopes import scopes_disabled

    from guanxi.accounts.models import Membership, Role, User
    from guanxi.accounts.services import create_organisation
    from guanxi.catalog.models import Product, ProductCategory
    from guanxi.core.categories import add_category
    from guanxi.parties.models import Party
    from guanxi.stock.models import StockDocument, StockDocumentLine, Warehouse

    started = time.perf_counter()
    rng = random.Random(2026)
    today = datetime.date.today()  # noqa: DTZ011 (dates are relative only)
    target, customer_count = payload["lines"], payload["customers"]
    batch = 5000
    with scopes_disabled():
        org = create_organisation(name="Reports benchmark", actor=None)
        admin_role = Role.objects.get(org=org, code="admin")
        sales_role = Role.objects.get(org=org, code="sales")
        boss = User.objects.create(username="bench-boss")
        Membership.objects.create(org=org, user=boss, role=admin_role)
        people = []
        for i in range(20):
            user = User.objects.create(username=f"bench-sales-{i}")
            Membership.objects.create(org=org, user=user, role=sales_role)
            people.append(user.pk)
        warehouse = Warehouse.objects.create(org=org, code="W1", name="主仓库", is_default=True)
        categories = [
            add_category(model=ProductCategory, org=org, name=f"品类{i:02d}") for i in range(20)
        ]
        Product.objects.bulk_create(
            [
                Product(
                    org=org,
                    code=f"P{i:05d}",
                    name=f"产品{i:05d}",
                    list_price=Decimal(rng.randint(10, 2000)),
                    category=categories[i % 20],
                )
                for i in range(500)
            ]
        )
        products = list(Product.objects.filter(org=org).values_list("pk", "list_price"))
        Party.objects.bulk_create(
            [
                Party(
                    org=org,
                    name=f"客户{i:06d}",
                    short_name=f"客户{i:06d}",
                    is_customer=True,
                    owner_id=people[i % 20],
                )
                for i in range(customer_count)
            ],
            batch_size=batch,
        )
        parties = list(Party.objects.filter(org=org).values_list("pk", "owner_id"))
        written, number = 0, 0
        while written < target:
            with transaction.atomic():
                docs, plans = [], []
                while written + sum(len(p) for p in plans) < target and len(docs) < batch:
                    number += 1
                    party_id, owner_id = rng.choice(parties)
                    day = today - datetime.timedelta(days=rng.randint(0, 730))
                    kind = (
                        StockDocument.Kind.SALES_RETURN
                        if rng.random() < 0.03
                        else StockDocument.Kind.SALES_DELIVERY
                    )
                    lines = []
                    for _ in range(rng.randint(1, 7)):
                        product_id, price = rng.choice(products)
                        quantity = Decimal(rng.randint(1, 20))
                        lines.append((product_id, quantity, price))
                    net = sum((q * p for _id, q, p in lines), Decimal(0))
                    docs.append(
                        StockDocument(
                            org=org,
                            number=f"SD-{number:09d}",
                            kind=kind,
                            status=StockDocument.Status.POSTED,
                            date=day,
                            party_id=party_id,
                            owner_id=owner_id,
                            warehouse=warehouse,
                            subtotal=net,
                            tax_total=(net * Decimal("0.13")).quantize(Decimal("0.01")),
                            total=net + (net * Decimal("0.13")).quantize(Decimal("0.01")),
                        )
                    )
                    plans.append(lines)
                StockDocument.objects.bulk_create(docs, batch_size=batch)
                rows = []
                for doc, lines in zip(docs, plans, strict=True):
                    for position, (product_id, quantity, price) in enumerate(lines):
                        net = quantity * price
                        rows.append(
                            StockDocumentLine(
                                org=org,
                                document_id=doc.pk,
                                position=position,
                                product_id=product_id,
                                quantity=quantity,
                                unit_price=price,
                                net_amount=net,
                                tax_amount=(net * Decimal("0.13")).quantize(Decimal("0.01")),
                                total_amount=net
                                + (net * Decimal("0.13")).quantize(Decimal("0.01")),
                                unit_cost=(price * Decimal("0.6")).quantize(Decimal("0.0001")),
                            )
                        )
                StockDocumentLine.objects.bulk_create(rows, batch_size=batch)
                written += len(rows)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "org_id": org.pk,
        "lines": written,
        "documents": number,
        "seconds": time.perf_counter() - started,
        "database": f"{connection.vendor} {connection.settings_dict['NAME']}",
    }


def _median_ms(function, repeats: int) -> tuple[float, int]:
    function()  # warm up: the first call imports the URLconf (drill-down links), caches
    times, count = [], 0
    for _ in range(max(1, repeats)):
        started = time.perf_counter()
        count = function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), count


def _measure(payload: dict) -> dict:
    import datetime

    from django.db import connection
    from django_scopes import scope

    from guanxi.accounts.models import Membership
    from guanxi.analytics import sales_selectors as sel

    info, repeats = payload["info"], payload["repeats"]
    today = datetime.date.today()  # noqa: DTZ011
    first = (today.replace(day=1) - datetime.timedelta(days=700)).replace(day=1)
    filters = sel.SalesFilters(first, today)
    rows = []
    month = (
        "substr(d.date, 1, 7)" if connection.vendor == "sqlite" else "date_trunc('month', d.date)"
    )

    def floor_trend() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {month}, p.category_id, SUM(l.net_amount) "  # noqa: S608
                "FROM stock_stockdocumentline l "
                "JOIN stock_stockdocument d ON d.id = l.document_id "
                "JOIN catalog_product p ON p.id = l.product_id "
                "WHERE d.org_id = %s AND d.kind IN ('sales_delivery', 'sales_return') "
                "AND d.status IN ('posted', 'reversed') AND d.date BETWEEN %s AND %s "
                "GROUP BY 1, 2",
                [info["org_id"], filters.date_from, filters.date_to],
            )
            return len(cursor.fetchall())

    def floor_parties() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT d.party_id, SUM(l.net_amount) FROM stock_stockdocumentline l "
                "JOIN stock_stockdocument d ON d.id = l.document_id "
                "WHERE d.org_id = %s AND d.kind IN ('sales_delivery', 'sales_return') "
                "AND d.status IN ('posted', 'reversed') AND d.date BETWEEN %s AND %s "
                "GROUP BY d.party_id",
                [info["org_id"], filters.date_from, filters.date_to],
            )
            return len(cursor.fetchall())

    with scope(org=info["org_id"]):
        boss = Membership.objects.select_related("role").get(
            org_id=info["org_id"], user__username="bench-boss"
        )
        floor_ms, floor_count = _median_ms(floor_trend, repeats)
        trend_ms, _n = _median_ms(
            lambda: len(sel.trend(boss, filters, grain="month", split="category", top=20).series),
            repeats,
        )
        comp_ms, comp_n = _median_ms(
            lambda: len(sel.composition(boss, filters, dimension="category", top=20).slices),
            repeats,
        )
        party_floor_ms, party_count = _median_ms(floor_parties, repeats)
        pareto_ms, _p = _median_ms(lambda: sel.pareto(boss, filters).count, repeats)
    rows.append(("floor: month × category GROUP BY (groups)", floor_ms, "1.0", floor_count))
    rows.append(
        (
            "trend month × category, with YoY (categories)",
            trend_ms,
            f"{trend_ms / floor_ms:.1f}",
            _n,
        )
    )
    rows.append(("composition by category (slices)", comp_ms, f"{comp_ms / floor_ms:.1f}", comp_n))
    rows.append(("floor: per-customer GROUP BY (customers)", party_floor_ms, "1.0", party_count))
    rows.append(
        (
            "Pareto of customers, window functions (customers)",
            pareto_ms,
            f"{pareto_ms / party_floor_ms:.1f}",
            _p,
        )
    )
    return {"rows": rows}


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "--child":
    _setup()
    mode, argument = sys.argv[2], json.loads(sys.argv[3])
    if mode == "generate":
        print(json.dumps(_generate(argument)))
    elif mode == "measure":
        print(json.dumps(_measure(argument)))
