"""The baseline of `customers_scale`: a bare Django view rendering the same 50 customer rows.

Like `minimal_app.py` (settings in code, no middleware, no sessions, no i18n), but with
the database configured (the benchmark's SQLite file or DATABASE_URL) and a template:
the view runs the bare SQL of the customer list (level = key, name order, 50 rows) on
Django's cursor and renders the rows as an HTML table. What guanxi's list page adds on
top of this (middleware, permissions, the filter set, keyset paging, the page layout) is
what the req/s ratio measures. Not part of the product; not a workload.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.template import Context, Engine
from django.urls import path

if os.environ.get("DATABASE_URL"):
    DATABASE = dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)
else:
    DATABASE = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(Path(os.environ["GUANXI_DATA_DIR"]) / "guanxi.sqlite3"),
    }

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="benchmark-only-not-secret",  # noqa: S106
        ALLOWED_HOSTS=["127.0.0.1", "localhost", "[::1]"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[],
        MIDDLEWARE=[],
        DATABASES={"default": DATABASE},
        USE_I18N=False,
        USE_TZ=True,
        DEFAULT_CHARSET="utf-8",
    )

ORG_ID = int(os.environ.get("BENCH_ORG_ID", "1"))

# The same rows as the list page's first page (level = key, sorted by name).
SQL = (
    "SELECT id, short_name, index_letter, level, city, mobile, owner_id, created_at "
    "FROM parties_party WHERE org_id = %s AND is_customer AND deleted_at IS NULL "
    "AND level = 'key' ORDER BY index_letter, short_name, id LIMIT 50"
)

TEMPLATE = Engine().from_string(
    '<!doctype html>\n<html lang="zh-Hans"><head><meta charset="utf-8"><title>客户</title>'
    "</head><body><table><thead><tr><th>名称</th><th>级别</th><th>城市</th><th>手机</th>"
    "<th>负责人</th><th>创建</th></tr></thead><tbody>"
    '{% for r in rows %}<tr><td><a href="/customers/{{ r.0 }}/">{{ r.1 }}</a></td>'
    "<td>{{ r.3 }}</td><td>{{ r.4 }}</td><td>{{ r.5 }}</td><td>{{ r.6 }}</td>"
    "<td>{{ r.7 }}</td></tr>{% endfor %}</tbody></table></body></html>\n"
)


def index(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(SQL, [ORG_ID])
        rows = cursor.fetchall()
    return HttpResponse(TEMPLATE.render(Context({"rows": rows})))


urlpatterns = [path("", index)]

application = get_wsgi_application()
