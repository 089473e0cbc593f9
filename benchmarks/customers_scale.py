"""Customers at scale: list, search, 360 and API pages over a million customers.

1. A temporary GUANXI_DATA_DIR (SQLite, or `--database-url` for a throw-away PostgreSQL)
   is migrated; an organisation, an administrator and sales people (own visibility) are
   created. N customers (default 1,000,000) and M contacts (default 2 N) are inserted
   with the driver's `executemany` (SQLite; the search triggers are dropped during the
   load and the FTS5 tables rebuilt once after) or COPY (PostgreSQL), with realistic
   names, short names, index letters, owners, categories, cities, levels, phones and
   search text: the pinyin is computed for a few thousand name parts and reused. Then
   ANALYZE. The generation time is printed.
2. For an administrator (whole organisation) and a sales person (own visibility):
   - in-process server time: Django's test Client through the whole middleware
     stack, the median and p99 of `--inprocess-repeats` requests per target;
   - the raw-database floor: the bare SQL query producing the same 50 rows, timed
     on the DB-API cursor (median);
   - HTTP: gunicorn with the Procfile's options and the load generator (req/s, p50, p99);
   - the baseline: a bare Django view (`_rows_app.py`) rendering the same 50 rows.
3. Prints the table with the issue's targets: server time under 30 ms, req/s at least
   70 % of the bare view's.
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
from urllib.parse import quote

TITLE = "Customers at scale (1M customers, 2M contacts): list, search, 360, API vs bare SQL"
HERE = Path(__file__).resolve().parent
TARGET_MS = 30.0
TARGET_RATIO = 0.70
PASSWORD = "bench-Scale-2026!"  # noqa: S105  (throw-away database)


def add_arguments(parser) -> None:
    group = parser.add_argument_group("customers_scale")
    group.add_argument("--customers", type=int, default=1_000_000, help="customers generated")
    group.add_argument(
        "--contacts", type=int, default=None, help="contacts generated (default 2 × customers)"
    )
    group.add_argument(
        "--inprocess-repeats", type=int, default=30, help="in-process requests per target"
    )
    # --database-url (a throw-away PostgreSQL) and --keep come from http_pages.


def _child_run(mode: str, env: dict[str, str], payload: dict) -> dict:
    done = subprocess.run(
        [sys.executable, str(HERE / "customers_scale.py"), "--child", mode, json.dumps(payload)],
        cwd=HERE.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=7200,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(
            f"customers_scale {mode} failed:\n{done.stdout[-3000:]}{done.stderr[-5000:]}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def targets(info: dict, user: str) -> list[tuple[str, str, str]]:
    """(key, label, path) of what is measured for `user`."""
    city = quote(info["city"])
    return [
        ("list_level", "list level=key, by name", "/customers/?level=key&sort=name"),
        ("list_city", "list city, by created", f"/customers/?city={city}&sort=-created"),
        (
            "search_initials",
            f"search initials {info['initials']}",
            f"/customers/?q={info['initials']}",
        ),
        ("search_phone", f"search phone …{info['suffix']}", f"/customers/?q={info['suffix']}"),
        ("detail", "360 page", f"/customers/{info['party_' + user]}/"),
        ("api", "API list level=key", "/api/v1/parties?level=key&sort=name&limit=50"),
    ]


def run(options) -> None:
    import shutil

    from _loadgen import measure
    from _server import BENCHMARKS, guanxi_env, gunicorn, manage
    from http_pages import sign_in

    customers = int(options.customers)
    contacts = options.contacts if options.contacts is not None else 2 * customers
    database_url = getattr(options, "database_url", None)
    work = Path(tempfile.mkdtemp(prefix="guanxi-bench-scale-"))
    data_dir = work / "data"
    env = guanxi_env(data_dir, database_url)
    try:
        print(f"  migrating a throw-away database in {data_dir} …")
        manage("migrate", "--no-input", "-v0", env=env, timeout=900)
        manage("collectstatic", "--no-input", "-v0", env=env)
        print(f"  generating {customers:,} customers and {contacts:,} contacts …")
        info = _child_run("generate", env, {"customers": customers, "contacts": contacts})
        print(
            f"  generated in {info['seconds']:.1f}s (rows {info['insert_seconds']:.1f}s, "
            f"search index {info['index_seconds']:.1f}s, ANALYZE {info['analyze_seconds']:.1f}s); "
            f"{info['database']}"
        )
        users = {"admin": info["admin"], "sales": info["sales"]}
        print("  in-process server time and bare SQL floors …")
        inproc = _child_run(
            "inprocess",
            env,
            {
                "info": info,
                "repeats": options.inprocess_repeats,
                "targets": {u: targets(info, u) for u in users},
            },
        )

        http: dict[tuple[str, str], object] = {}
        with gunicorn(
            "guanxi.wsgi", env=env, log_path=work / "guanxi.log", ready_path="/accounts/login/"
        ) as port:
            for user, username in users.items():
                cookie = {"Cookie": sign_in(port, username, PASSWORD)}
                for key, label, path in targets(info, user):
                    http[(user, key)] = measure(
                        label, "127.0.0.1", port, path, headers=cookie, **_load(options)
                    )
        rows_env = {k: v for k, v in env.items() if k != "DJANGO_SETTINGS_MODULE"}
        rows_env["BENCH_ORG_ID"] = str(info["org_id"])
        with gunicorn(
            "_rows_app:application", env=rows_env, cwd=BENCHMARKS, log_path=work / "rows.log"
        ) as port:
            bare = measure("bare Django view, 50 rows", "127.0.0.1", port, "/", **_load(options))
        _report(info, inproc, http, bare, options, customers, contacts)
    finally:
        if getattr(options, "keep", False):
            print(f"  kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def _load(options) -> dict:
    return {
        "requests": options.requests,
        "concurrency": options.concurrency,
        "warmup": options.warmup,
        "max_seconds": options.max_seconds,
    }


def _report(info, inproc, http, bare, options, customers, contacts) -> None:
    from _report import print_table

    rows = []
    for user in ("admin", "sales"):
        for key, label, _path in targets(info, user):
            server = inproc[user][key]
            m = http[(user, key)]
            ratio = m.rps / bare.rps if bare.rps else 0.0
            met_time = server["p50"] < TARGET_MS
            met_rps = ratio >= TARGET_RATIO
            rows.append(
                [
                    user,
                    label,
                    f"{server['p50']:.1f}",
                    f"{server['p99']:.1f}",
                    f"{server['queries']}",
                    f"{server['sql_ms']:.1f}",
                    f"{server['floor']:.2f}",
                    f"{server['p50'] / server['floor']:.0f}×" if server["floor"] else "n/a",
                    f"{m.p50:.1f}",
                    f"{m.p99:.1f}",
                    f"{m.rps:,.0f}" + ("*" if m.stopped_early else ""),
                    f"{ratio:.2f}×",
                    ("yes" if met_time else "NO") + " / " + ("yes" if met_rps else "NO"),
                    str(m.errors) if m.errors else "",
                ]
            )
    print_table(
        [
            "user",
            "target",
            "srv p50",
            "srv p99",
            "SQL#",
            "SQL ms",
            "floor ms",
            "×floor",
            "http p50",
            "http p99",
            "req/s",
            "×bare",
            "<30ms / ≥0.7×",
            "err",
        ],
        rows,
        "llrrrrrrrrrrll",
    )
    print(
        f"  bare Django view rendering the same 50 rows (_rows_app.py): {bare.rps:,.0f} req/s, "
        f"p50 {bare.p50:.1f} ms, p99 {bare.p99:.1f} ms"
    )
    print(
        f"  {customers:,} customers, {contacts:,} contacts, {info['database']}; "
        f"srv = in-process server time (test Client, whole middleware stack, "
        f"{options.inprocess_repeats} requests), floor = bare SQL of the same rows on the "
        f"DB-API cursor (median), SQL# / SQL ms = queries of one request and their time; HTTP: {options.requests} "
        f"requests after {options.warmup} warm-up, {options.concurrency} connections, "
        f"≤{options.max_seconds:g}s each (* = time limit); {os.cpu_count()} CPUs"
    )
    print("  slowest query of each target (one request, ms):")
    for user in ("admin", "sales"):
        for key, label, _path in targets(info, user):
            for ms, sql, params in inproc[user][key]["slowest"][:1]:
                tail = sql[sql.find(" FROM ") :] if " FROM " in sql else sql
                print(f"    {user} {label}: {ms:.1f} ms  SELECT …{tail[:400]}  {params[:8]}")
    print(
        f"  targets: server p50 < {TARGET_MS:g} ms and req/s ≥ {TARGET_RATIO:.0%} of the bare view's"
    )


# --- the child processes (Django set up against the throw-away data directory) --------------

CITIES = ["上海", "北京", "广州", "深圳", "杭州", "南京", "成都", "武汉", "西安", "苏州",
          "天津", "重庆", "长沙", "郑州", "青岛", "厦门", "宁波", "合肥", "福州", "昆明"]  # fmt: skip
WORDS = (
    "华为中兴联想海尔美的格力长虹康佳创维小米腾讯阿里百度京东网易新浪搜狐金山用友浪潮东方宏远金鼎"
)
TRADES = ["贸易", "科技", "电子", "实业", "物流", "商贸", "网络", "信息技术", "机械", "化工",
          "建材", "食品", "医疗器械", "纺织", "汽车配件", "环保", "教育咨询", "印刷", "家具", "光电"]  # fmt: skip
FORMS = ["有限公司", "股份有限公司", "集团有限公司", "有限责任公司", "工作室", "商行"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红兰"
LEVELS = ["key"] * 5 + ["important"] * 15 + ["normal"] * 65 + ["low"] * 15
SOURCES = ["referral", "website", "exhibition", "advertising", "cold_call", "partner", ""]
SALES_PEOPLE = 20


def _setup() -> None:
    sys.path.insert(0, str(HERE.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings")
    import django

    django.setup()


def _pieces(text: str, *, person: bool = False) -> list[str]:
    from guanxi.core.pinyin import full_pinyin, initials

    return [text.lower(), full_pinyin(text, surname=person), initials(text, surname=person)]


def _generate(payload: dict) -> dict:
    import random
    from datetime import UTC, datetime, timedelta

    from django.db import connection, transaction
    from django_scopes import scopes_disabled

    from guanxi.accounts.models import Membership, Role, User
    from guanxi.accounts.services import create_organisation
    from guanxi.core.categories import add_category
    from guanxi.core.pinyin import index_letter
    from guanxi.parties.models import Contact, Party, PartyCategory

    started = time.perf_counter()
    n, m = payload["customers"], payload["contacts"]
    rng = random.Random(20261123)
    vendor = connection.vendor
    with scopes_disabled():
        org = create_organisation(name="Scale benchmark", actor=None)
        admin = User.objects.create(username="bench-admin")
        admin.set_password(PASSWORD)
        admin.save()
        Membership.objects.create(org=org, user=admin, role=Role.objects.get(org=org, code="admin"))
        sales_role = Role.objects.get(org=org, code="sales")
        owners = []
        for i in range(SALES_PEOPLE):
            user = User.objects.create(username=f"bench-sales{i}")
            user.set_password(PASSWORD)
            user.save()
            Membership.objects.create(org=org, user=user, role=sales_role)
            owners.append(user.pk)
        categories = [
            add_category(model=PartyCategory, org=org, name=name, extra={"tree": "customer"}).pk
            for name in ("华东", "华北", "华南", "西南", "华中", "海外", "渠道客户", "战略客户")
        ]
        # One real customer and contact made by the ORM: the template of every raw row.
        template_party = Party(org=org, name="模板客户有限公司", owner_id=owners[0])
        from guanxi.parties.services import contact_search_text, refresh_derived_fields

        refresh_derived_fields(template_party)
        template_party.save()
        template_contact = Contact(org=org, party=template_party, name="模板")
        template_contact.search_text = contact_search_text(template_contact)
        template_contact.save()

    def row_of(table: str, pk: int) -> tuple[list[str], list]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])  # noqa: S608
            columns = [d[0] for d in cursor.description]
            values = list(cursor.fetchone())
        for i, v in enumerate(values):
            if isinstance(v, dict | list):
                values[i] = json.dumps(v)
        return columns, values

    p_cols, p_template = row_of("parties_party", template_party.pk)
    c_cols, c_template = row_of("parties_contact", template_contact.pk)
    pi = {c: i for i, c in enumerate(p_cols)}
    ci = {c: i for i, c in enumerate(c_cols)}

    # Name parts with their pinyin, computed once: prefixes × trades × forms.
    prefixes = []
    for city in CITIES:
        for a in WORDS:
            for b in WORDS:
                if a != b:
                    prefixes.append(city + a + b)
    rng.shuffle(prefixes)
    prefixes = prefixes[: min(3000, max(100, n))]  # fewer for a small run
    prefix_info = [(p, *_pieces(p), index_letter(p, surname=False)) for p in prefixes]
    trade_info = [(t, *_pieces(t)) for t in TRADES]
    form_info = [(f, *_pieces(f)) for f in FORMS]
    people = sorted(
        {
            rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice([1, 2])))
            for _ in range(min(4000, max(100, m)))
        }
    )
    people_info = [(p, " ".join(dict.fromkeys(_pieces(p, person=True)))) for p in people]

    base_time = datetime(2026, 11, 1, tzinfo=UTC)
    first_party = template_party.pk + 1
    first_contact = template_contact.pk + 1
    # Contacts: the first customers get 2–3 each until m is used up.
    contacts_of: list[list[int]] = [[] for _ in range(n)]
    for k in range(m):
        contacts_of[k % n].append(k)

    def phone(kind: int, k: int) -> str:
        # 8 digits unique per k (48271 is coprime to 10⁸) but spread like real numbers:
        # no long runs of zeros for small k.
        return f"1{3 + kind}{(k * 7919) % 10}{(k * 48271 + 12345679) % 100_000_000:08d}"

    def party_rows(lo: int, hi: int):
        for k in range(lo, hi):
            p, _p_lower, p_full, p_init, letter = prefix_info[k % len(prefix_info)]
            t, _t_lower, t_full, t_init = trade_info[(k // len(prefix_info)) % len(trade_info)]
            f, _f_lower, f_full, f_init = form_info[(k // 7) % len(form_info)]
            name = p + t + f
            short = p + t
            city = p[:2]
            mobile = phone(0, k)
            contact_bits = []
            contact_phones = []
            for c in contacts_of[k]:
                _person, person_text = people_info[c % len(people_info)]
                contact_bits.append(person_text)
                contact_phones.append(phone(5, c))
            text = " ".join(
                [
                    short.lower(), p_full + t_full, p_init + t_init,
                    name.lower(), p_full + t_full + f_full, p_init + t_init + f_init,
                    mobile, city, *contact_bits, *contact_phones,
                ]
            )  # fmt: skip
            row = list(p_template)
            row[pi["id"]] = first_party + k
            row[pi["name"]] = name
            row[pi["short_name"]] = short
            row[pi["index_letter"]] = letter
            # Independent pseudo-random picks (no correlation between owner, level, name
            # and city: each sales person has key accounts and customers in every city).
            mix = (k * 2654435761 + 12345) % 4294967296
            row[pi["owner_id"]] = owners[(mix >> 8) % SALES_PEOPLE] if (mix >> 4) % 10 else None
            row[pi["category_id"]] = categories[(mix >> 12) % len(categories)] if k % 3 else None
            row[pi["level"]] = LEVELS[(mix >> 16) % len(LEVELS)]
            row[pi["source"]] = SOURCES[(mix >> 24) % len(SOURCES)]
            row[pi["city"]] = city
            row[pi["mobile"]] = mobile
            row[pi["search_text"]] = text
            created = base_time - timedelta(seconds=k * 37)
            row[pi["created_at"]] = created if vendor != "sqlite" else created.isoformat(" ")
            row[pi["updated_at"]] = row[pi["created_at"]]
            yield row

    def contact_rows(lo: int, hi: int):
        for c in range(lo, hi):
            person, person_text = people_info[c % len(people_info)]
            mobile = phone(5, c)
            row = list(c_template)
            row[ci["id"]] = first_contact + c
            row[ci["party_id"]] = first_party + c % n
            row[ci["name"]] = person
            row[ci["mobile"]] = mobile
            row[ci["is_primary"]] = c < n
            row[ci["search_text"]] = f"{person_text} {mobile}"
            yield row

    chunk = 50_000
    insert_started = time.perf_counter()
    if vendor == "sqlite":
        from guanxi.parties.filters import _sqlite_triggers

        raw = connection.connection
        raw.execute("PRAGMA synchronous = OFF")
        raw.execute("PRAGMA cache_size = -2000000")
        triggers = {}
        for fts, table in (
            ("parties_party_fts", "parties_party"),
            ("parties_contact_fts", "parties_contact"),
        ):
            triggers.update(_sqlite_triggers(fts, table))
        for name in triggers:
            raw.execute(f"DROP TRIGGER IF EXISTS {name}")
        for table, cols, rows, total in (
            ("parties_party", p_cols, party_rows, n),
            ("parties_contact", c_cols, contact_rows, m),
        ):
            sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"  # noqa: S608
            for lo in range(0, total, chunk):
                with transaction.atomic():
                    raw.executemany(sql, rows(lo, min(total, lo + chunk)))
        insert_seconds = time.perf_counter() - insert_started
        index_started = time.perf_counter()
        with transaction.atomic():
            for fts, table in (
                ("parties_party_fts", "parties_party"),
                ("parties_contact_fts", "parties_contact"),
            ):
                raw.execute(f"DELETE FROM {fts}")  # noqa: S608
                raw.execute(
                    f"INSERT INTO {fts}(rowid, search_text, org_id) "  # noqa: S608
                    f"SELECT id, search_text, org_id FROM {table}"
                )
            for sql in triggers.values():
                raw.execute(sql)
        index_seconds = time.perf_counter() - index_started
        analyze_started = time.perf_counter()
        raw.execute("ANALYZE")
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        with transaction.atomic(), connection.cursor() as cursor:
            pg = cursor.cursor
            for table, cols, rows, total in (
                ("parties_party", p_cols, party_rows, n),
                ("parties_contact", c_cols, contact_rows, m),
            ):
                with pg.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for lo in range(0, total, chunk):
                        for row in rows(lo, min(total, lo + chunk)):
                            copy.write_row(row)
                pg.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
                )
        insert_seconds = time.perf_counter() - insert_started
        index_seconds = 0.0  # the GIN and B-tree indexes are maintained during COPY
        analyze_started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    analyze_seconds = time.perf_counter() - analyze_started

    # What the targets look for: a sales person's customer with contacts, an initials
    # query and a phone suffix that exist.
    # The first generated customer that has an owner (and contacts: the first ones do).
    k = next(k for k in range(n) if ((k * 2654435761 + 12345) % 4294967296 >> 4) % 10)
    sales_party = first_party + k
    with connection.cursor() as cursor:
        cursor.execute("SELECT owner_id FROM parties_party WHERE id = %s", [sales_party])
        (sales_owner,) = cursor.fetchone()
    sales_username = f"bench-sales{owners.index(sales_owner)}"
    info = {
        "seconds": time.perf_counter() - started,
        "insert_seconds": insert_seconds,
        "index_seconds": index_seconds,
        "analyze_seconds": analyze_seconds,
        "database": f"{vendor} {connection.Database.sqlite_version if vendor == 'sqlite' else connection.pg_version}",
        "vendor": vendor,
        "org_id": org.pk,
        "admin": "bench-admin",
        "sales": sales_username,
        "sales_id": sales_owner,
        "party_admin": sales_party,
        "party_sales": sales_party,
        "initials": prefix_info[5][3][:3],
        "suffix": phone(0, n // 2)[-4:],
        "city": CITIES[3],
    }
    return info


def _floor_sql(info: dict, user: str, key: str) -> list[tuple[str, list]]:
    """The bare SQL producing the same rows as target `key` for `user`."""
    sqlite = info["vendor"] == "sqlite"
    columns = (
        "id, name, short_name, index_letter, kind, level, customer_type, city, mobile, phone, "
        "owner_id, category_id, created_at, last_contact_at, is_locked, is_restricted"
    )
    where = "org_id = %s AND is_customer AND deleted_at IS NULL"
    params: list = [info["org_id"]]
    if user == "sales":
        where += " AND owner_id = %s"
        params.append(info["sales_id"])
    order = "index_letter, short_name, id"
    if key in ("list_level", "api"):
        where += " AND level = 'key'"
    elif key == "list_city":
        where += " AND city LIKE %s"
        params.append(info["city"] + "%")
        order = "created_at DESC, id DESC"
    elif key in ("search_initials", "search_phone"):
        term = info["initials"] if key == "search_initials" else info["suffix"]
        if sqlite:
            where += " AND id IN (SELECT rowid FROM parties_party_fts WHERE search_text GLOB %s)"
            params.append(f"*{term}*")
        else:
            where += " AND search_text LIKE %s"
            params.append(f"%{term}%")
    elif key == "detail":
        party = info["party_" + user]
        return [
            ("SELECT * FROM parties_party WHERE id = %s AND org_id = %s", [party, info["org_id"]]),
            (
                "SELECT * FROM parties_contact WHERE party_id = %s AND deleted_at IS NULL "
                "ORDER BY is_primary DESC, name, id",
                [party],
            ),
        ]
    sql = f"SELECT {columns} FROM parties_party WHERE {where} ORDER BY {order} LIMIT 50"  # noqa: S608
    return [(sql, params)]


def _inprocess(payload: dict) -> dict:
    from django.db import connection
    from django.test import Client
    from django_scopes import scopes_disabled

    from guanxi.accounts.models import User

    info, repeats = payload["info"], payload["repeats"]
    sqlite = info["vendor"] == "sqlite"
    result: dict[str, dict] = {}
    for user, user_targets in payload["targets"].items():
        with scopes_disabled():
            account = User.objects.get(username=info[user])
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(account)
        result[user] = {}
        for key, _label, path in user_targets:
            queries: list[tuple[float, str, object]] = []

            def record(execute, sql, params, many, context, queries=queries):
                mark = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    queries.append(((time.perf_counter() - mark) * 1000, sql, params))

            client.get(path)  # warm-up (caches, prepared templates)
            with connection.execute_wrapper(record):
                response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{user} {path}: HTTP {response.status_code}")
            times = []
            for _ in range(repeats):
                mark = time.perf_counter()
                client.get(path)
                times.append((time.perf_counter() - mark) * 1000)
            times.sort()
            # The floor: the bare SQL on the DB-API cursor (after one warm-up run).
            statements = _floor_sql(info, user, key)
            raw = connection.connection.cursor()
            floors = []
            for attempt in range(repeats + 1):
                mark = time.perf_counter()
                for sql, params in statements:
                    raw.execute(sql.replace("%s", "?") if sqlite else sql, params)
                    raw.fetchall()
                if attempt:
                    floors.append((time.perf_counter() - mark) * 1000)
            result[user][key] = {
                "p50": statistics.median(times),
                "p99": times[min(len(times) - 1, round(0.99 * len(times)) - 1)],
                "floor": statistics.median(floors),
                "queries": len(queries),
                "sql_ms": sum(q[0] for q in queries),
                "slowest": [
                    [ms, sql, [str(p) for p in (params or [])]]
                    for ms, sql, params in sorted(queries, key=lambda q: q[0], reverse=True)[:2]
                ],
            }
    return result


def _explain(payload: dict) -> None:
    """Print the plan of a statement (a helper for the README: --child explain '{"sql":…}')."""
    from django.db import connection

    with connection.cursor() as cursor:
        prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
        cursor.execute(prefix + payload["sql"], payload.get("params", []))
        for row in cursor.fetchall():
            print(row)


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "--child":
    _setup()
    mode, argument = sys.argv[2], json.loads(sys.argv[3])
    if mode == "generate":
        print(json.dumps(_generate(argument)))
    elif mode == "inprocess":
        print(json.dumps(_inprocess(argument)))
    elif mode == "explain":
        _explain(argument)
