"""The report designer's API: objects and columns, saved reports (CRUD with version),
running saved and ad-hoc definitions as the caller, exports, errors."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.analytics.reports_fixtures import *  # noqa: F403
from tests.api.conftest import API

pytestmark = pytest.mark.django_db

R = f"{API}/analytics/reports"
BY_OWNER = {
    "object": "sales_lines",
    "group_by": [{"field": "owner"}],
    "aggregates": [{"func": "sum", "field": "net"}, {"func": "count"}],
    "sort": [{"field": "sum__net", "desc": True}],
    "chart": "bar",
}


def _create(api, definition=None, **fields):
    body = {"name": "按业务员", "sharing": "org", "definition": definition or BY_OWNER, **fields}
    response = api.post(R, body, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


def test_objects_list_columns_and_operators(admin_api):
    response = admin_api.get(f"{R}/objects")
    assert response.status_code == 200
    objects = {o["key"]: o for o in response.json()}
    assert {
        "customers",
        "contacts",
        "opportunities",
        "orders",
        "order_lines",
        "activities",
        "expenses",
        "sales_lines",
    } <= set(objects)
    net = next(c for c in objects["sales_lines"]["columns"] if c["key"] == "net")
    assert net["type"] == "money"
    assert "between" in net["operators"]
    category = next(c for c in objects["expenses"]["columns"] if c["key"] == "expense_category")
    assert {"value": "travel", "label": "Travel"} in category["choices"]


def test_crud_with_version(admin_api, sales_data):
    created = _create(admin_api)
    assert created["object"] == "sales_lines"
    assert created["version"] == 1
    assert created["may_change"]
    listed = admin_api.get(R).json()
    assert any(r["id"] == created["id"] for r in listed)
    assert any(r["builtin_key"] == "sales_by_product" for r in listed)
    body = {"name": "改名", "sharing": "private", "definition": BY_OWNER, "version": 1}
    changed = admin_api.put(f"{R}/{created['id']}", body, content_type="application/json")
    assert changed.status_code == 200
    assert changed.json()["version"] == 2
    stale = admin_api.put(f"{R}/{created['id']}", body, content_type="application/json")
    assert stale.status_code == 409
    assert admin_api.delete(f"{R}/{created['id']}").status_code == 204
    assert admin_api.get(f"{R}/{created['id']}").status_code == 404


def test_bad_definition_is_422_with_fields(admin_api):
    body = {
        "name": "",
        "definition": {
            "object": "customers",
            "columns": ["name", "owner__password"],
            "filters": [{"field": "credit_limit", "op": "gt", "value": "x"}],
        },
    }
    response = admin_api.post(R, body, content_type="application/json")
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"name", "columns", "filters"} <= fields
    response = admin_api.post(
        f"{R}/run",
        {"definition": {"object": "customers", "columns": ["x"]}},
        content_type="application/json",
    )
    assert response.status_code == 422
    response = admin_api.post(
        R,
        {
            "name": "x",
            "definition": {"object": "customers", "filters": [{"field": "name", "op": "like"}]},
        },
        content_type="application/json",
    )
    assert response.status_code == 422


def test_run_saved_report_as_each_caller(admin_api, sales_api, sales_data):
    created = _create(admin_api)
    mine = admin_api.post(f"{R}/{created['id']}/run", {}, content_type="application/json").json()
    assert [h["key"] for h in mine["headers"]] == ["g__owner", "sum__net", "count"]
    assert [row[1:] for row in mine["rows"]] == [["400.00", 2], ["100.00", 2]]
    assert mine["totals"] == [None, "500.00", 4]
    theirs = sales_api.post(f"{R}/{created['id']}/run", {}, content_type="application/json").json()
    assert [row[1:] for row in theirs["rows"]] == [["100.00", 2]]
    assert theirs["totals"] == [None, "100.00", 2]


def test_run_adhoc_with_paging(admin_api, sales_data):
    body = {
        "definition": {
            "object": "sales_lines",
            "columns": ["document", "net"],
            "sort": [{"field": "net"}],
        },
        "limit": 3,
    }
    first = admin_api.post(f"{R}/run", body, content_type="application/json").json()
    assert len(first["rows"]) == 3
    assert first["next_offset"] == 3
    assert first["total_count"] == 4
    rest = admin_api.post(f"{R}/run", {**body, "offset": 3}, content_type="application/json").json()
    assert [r[1] for r in rest["rows"]] == ["300.00"]
    assert rest["next_offset"] is None
    assert (
        admin_api.post(
            f"{R}/run", {**body, "limit": 5000}, content_type="application/json"
        ).status_code
        == 422
    )


def test_private_report_of_another_is_404(admin_api, sales_api, sales_data):
    created = _create(admin_api, sharing="private")
    assert sales_api.get(f"{R}/{created['id']}").status_code == 404
    assert (
        sales_api.post(f"{R}/{created['id']}/run", {}, content_type="application/json").status_code
        == 404
    )
    shared = _create(admin_api)
    body = {"name": "偷改", "definition": BY_OWNER, "version": 1}
    assert (
        sales_api.put(f"{R}/{shared['id']}", body, content_type="application/json").status_code
        == 403
    )


def test_export(admin_api, sales_api, sales_data):
    created = _create(admin_api)
    response = admin_api.get(f"{R}/{created['id']}/export?format=csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[-1] == ["Total", "500.00", "4"]
    assert admin_api.get(f"{R}/{created['id']}/export?format=xlsx").status_code == 200
    assert admin_api.get(f"{R}/{created['id']}/export?format=pdf").status_code == 422
    assert sales_api.get(f"{R}/{created['id']}/export?format=csv").status_code == 403


def test_list_query_count_is_flat(admin_api, sales_data):
    _create(admin_api)
    admin_api.get(R)
    with CaptureQueriesContext(connection) as few:
        admin_api.get(R)
    for n in range(10):
        _create(admin_api, name=f"报表{n}")
    with CaptureQueriesContext(connection) as many:
        admin_api.get(R)
    assert len(many) == len(few)
