"""Customer import: a generated CSV of N rows (default 100,000), end to end, against the raw floor.

1. A temporary GUANXI_DATA_DIR (SQLite, or `--database-url` for a throw-away PostgreSQL)
   is migrated; an organisation and an administrator are created.
2. A CSV (UTF-8, Chinese headers) of N customers, each with a contact, is generated:
   company names, cities, levels, sources, mobile numbers and e-mails.
3. Measured, in a child process with Django set up:
   - **import**: `read_table` → `analyse` (validation, owners, categories, duplicates by
     phone/e-mail/name against the database and within the file) → `prepare_for_write`
     (search text, pinyin, index letters) → `write` (parties, contacts, their first
     history versions, in one transaction): everything the real run does except the
     task queue;
   - **raw floor**: the same rows (parties, contacts and both history tables, values
     already prepared) inserted with the database driver's `executemany` on a bare
     cursor, in a transaction that is rolled back: what the database alone costs.
4. Prints rows/second for each and the ratio (import ÷ floor time; the issue asks for
   at most 10×, i.e. ≥ 37k rows/s where the floor is ~370k rows/s).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TITLE = "Customer import (CSV → customers + contacts + history) vs raw inserts"
HERE = Path(__file__).resolve().parent


def add_arguments(parser) -> None:
    parser.add_argument(
        "--import-rows", type=int, default=100_000, help="rows in the generated CSV"
    )


def run(options) -> None:
    from _report import print_table
    from _server import ROOT, guanxi_env, manage

    rows = int(getattr(options, "import_rows", 100_000))
    with tempfile.TemporaryDirectory(prefix="guanxi-bench-import-") as data_dir:
        env = guanxi_env(Path(data_dir), getattr(options, "database_url", None))
        print(f"  migrating a throw-away database in {data_dir} …")
        manage("migrate", "--no-input", "-v0", env=env, timeout=900)
        print(f"  importing {rows:,} rows (this takes a while on a small machine) …")
        done = subprocess.run(
            [sys.executable, str(HERE / "customer_import.py"), "--child", str(rows)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"the import benchmark failed:\n{done.stdout}{done.stderr}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
    n = result["rows"]
    table = []
    for label, key in (
        ("read the CSV", "read"),
        ("check rows + duplicates", "analyse"),
        ("search text, pinyin, index letters", "prepare"),
        ("write (the transaction: inserts, history)", "write"),
        ("import, end to end", "import"),
        ("raw executemany: parties only", "executemany_parties"),
        ("raw executemany: parties, contacts, history", "executemany"),
        ("raw multi-row INSERT: parties only", "multirow_parties"),
        ("raw multi-row INSERT: parties, contacts, history", "multirow"),
    ):
        seconds = result[key]
        table.append([label, f"{seconds:.2f}", f"{n / seconds:,.0f}"])
    print_table(["step", "seconds", "rows/s"], table, "lrr")
    print(
        f"  import ÷ floor: {result['import'] / result['floor']:.1f}× the time of the raw inserts "
        f"of the same rows ({result['import'] / result['floor_parties']:.1f}× parties alone); "
        f"{result['created']:,} customers and {result['contacts']:,} contacts created, "
        f"{result['database']}"
    )


# --- the child process (Django set up against the throw-away data directory) ----------------


def _csv(rows: int) -> bytes:
    import csv
    import io
    import random

    rng = random.Random(20260501)
    cities = ["上海", "北京", "广州", "深圳", "杭州", "南京", "成都", "武汉", "西安", "苏州"]
    words = "华为中兴联想海尔美的格力长虹康佳创维小米腾讯阿里百度京东网易新浪搜狐金山用友浪潮"
    trades = ["贸易", "科技", "电子", "实业", "物流", "商贸", "网络", "信息技术", "机械", "化工"]
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红兰"
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        ["客户名称", "手机", "邮箱", "城市", "级别", "来源", "联系人", "联系人手机", "备注"]
    )
    for i in range(rows):
        city = rng.choice(cities)
        name = f"{city}{''.join(rng.sample(words, 2))}{rng.choice(trades)}{i}有限公司"
        writer.writerow(
            [
                name,
                f"13{rng.randint(0, 9)}{i:08d}",
                f"sales{i}@example.com",
                city,
                rng.choice(["重要", "普通", "重点客户", ""]),
                rng.choice(["展会", "网站", "转介绍", ""]),
                rng.choice(surnames) + "".join(rng.sample(given, rng.choice([1, 2]))),
                f"18{rng.randint(0, 9)}{i:08d}",
                "" if i % 3 else "老客户",
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _child(rows: int) -> None:
    sys.path.insert(0, str(HERE.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings")
    import django

    django.setup()
    from django.db import connection, transaction
    from django_scopes import scopes_disabled

    from guanxi.accounts.models import Membership, Role, User
    from guanxi.accounts.services import create_organisation
    from guanxi.parties import importing
    from guanxi.parties.models import Contact, Party

    data = _csv(rows)
    with scopes_disabled():
        org = create_organisation(name="Import benchmark", actor=None)
        user = User.objects.create(username="bench-import")
        member = Membership.objects.create(
            org=org, user=user, role=Role.objects.get(org=org, code="admin")
        )
    result: dict[str, object] = {"rows": rows, "database": connection.vendor}

    start = time.perf_counter()
    table = importing.read_table(data, "csv")
    result["read"] = time.perf_counter() - start
    columns = importing.auto_mapping(table.headers, [])
    mark = time.perf_counter()
    analysis = importing.analyse(
        org_id=org.pk, table=table, columns=columns, policy="skip", options={}, membership=member
    )
    result["analyse"] = time.perf_counter() - mark
    if analysis.error_count:
        raise SystemExit(f"the generated file has errors: {analysis.problems[:3]}")
    mark = time.perf_counter()
    importing.prepare_for_write(analysis)
    result["prepare"] = time.perf_counter() - mark
    mark = time.perf_counter()
    with transaction.atomic():
        written = importing.write(analysis, org_id=org.pk, actor=user)
        result["write"] = time.perf_counter() - mark
        result["import"] = time.perf_counter() - start
        result["created"] = written.created
        with scopes_disabled():
            result["contacts"] = Contact.objects.filter(org=org).count()
        # The rows as stored, for the floor; then rolled back, so the floor starts from
        # the same tables (and indexes) the import started from.
        stored = _stored_rows(org.pk, Party, Contact)
        transaction.set_rollback(True)

    # The floor: the same rows, values already prepared, inserted again on the driver's
    # cursor, in a transaction rolled back.
    floors = _floor(stored)
    result.update(floors)
    best = min(("executemany", "multirow"), key=lambda way: floors[way])
    result["floor"] = floors[best]
    result["floor_parties"] = floors[f"{best}_parties"]
    result["floor_way"] = best
    print(json.dumps(result))


def _stored_rows(org_id: int, party_model, contact_model) -> list[tuple[str, str, int, list]]:
    from django.db import connection

    def rows_of(model) -> tuple[str, str, int, list[tuple]]:
        table = connection.ops.quote_name(model._meta.db_table)
        columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {quoted} FROM {table} WHERE org_id = %s", [org_id])  # noqa: S608
            values = cursor.fetchall()
        return table, quoted, len(columns), values

    return [
        rows_of(party_model),
        rows_of(contact_model),
        rows_of(party_model.history.model),
        rows_of(contact_model.history.model),
    ]


def _floor(batches: list[tuple[str, str, int, list]]) -> dict[str, float]:
    """Insert the imported rows again, values already prepared, on the driver's cursor.

    Two ways, each in a transaction rolled back: `executemany` of a one-row INSERT, and
    multi-row `INSERT … VALUES (…), (…)` statements (what the import itself sends). The
    faster is the floor.
    """
    from django.db import connection, transaction

    placeholder = "?" if connection.vendor == "sqlite" else "%s"
    if connection.vendor == "sqlite":
        import sqlite3

        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    else:
        limit = 65_000
    result: dict[str, float] = {}
    for way in ("executemany", "multirow"):
        with transaction.atomic():
            raw = connection.connection.cursor()
            start = time.perf_counter()
            for index, (table, quoted, width, values) in enumerate(batches):
                one = "(" + ", ".join([placeholder] * width) + ")"
                if way == "executemany":
                    raw.executemany(f"INSERT INTO {table} ({quoted}) VALUES {one}", values)  # noqa: S608
                else:
                    size = max(1, min(1000, limit // width))
                    for at in range(0, len(values), size):
                        chunk = values[at : at + size]
                        sql = f"INSERT INTO {table} ({quoted}) VALUES " + ", ".join(  # noqa: S608
                            [one] * len(chunk)
                        )
                        raw.execute(sql, [v for row in chunk for v in row])
                if index == 0:
                    result[f"{way}_parties"] = time.perf_counter() - start
            result[way] = time.perf_counter() - start
            transaction.set_rollback(True)
    return result


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "--child":
    _child(int(sys.argv[2]))
