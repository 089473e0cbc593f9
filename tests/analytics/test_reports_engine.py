"""The report engine on hand-computed data (see reports_fixtures): filters per type,
grouping with totals, date grouping, whitelisting and visibility."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from guanxi.analytics.reports.definition import check_definition
from guanxi.analytics.reports.engine import drill_filters, run
from guanxi.core.models import CustomField
from tests.analytics.reports_fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db

D = Decimal


def _run(org, member, data, **kwargs):
    with scope(org=org.pk):
        return run(check_definition(data, org.pk), member, **kwargs)


def _cells(result):
    return [row.cells for row in result.rows]


def test_sales_by_customer_with_totals(org, admin_member, sales_data):
    result = _run(
        org,
        admin_member,
        {
            "object": "sales_lines",
            "group_by": [{"field": "customer"}],
            "aggregates": [
                {"func": "sum", "field": "net"},
                {"func": "sum", "field": "gross_profit"},
                {"func": "count"},
            ],
            "sort": [{"field": "sum__net", "desc": True}],
        },
    )
    assert _cells(result) == [
        ["广州珠江电器", D("400.00"), D("190.00"), 2],
        ["上海华联贸易有限公司", D("100.00"), D("40.00"), 2],
    ]
    assert result.totals == [None, D("500.00"), D("230.00"), 4]
    assert result.total_count == 4


def test_date_grouping_by_month_quarter_year(org, admin_member, sales_data):
    def by(period):
        return _cells(
            _run(
                org,
                admin_member,
                {
                    "object": "sales_lines",
                    "group_by": [{"field": "date", "period": period}],
                    "aggregates": [{"func": "sum", "field": "net"}],
                },
            )
        )

    assert by("month") == [["2026-01", D("200.00")], ["2026-02", D("300.00")]]
    assert by("quarter") == [["2026-Q1", D("500.00")]]
    assert by("year") == [["2026", D("500.00")]]


def test_two_groups(org, admin_member, sales_member, other_member, sales_data):
    result = _run(
        org,
        admin_member,
        {
            "object": "sales_lines",
            "group_by": [{"field": "date", "period": "month"}, {"field": "product"}],
            "aggregates": [{"func": "sum", "field": "quantity"}],
        },
    )
    assert _cells(result) == [
        ["2026-01", "打印机", D("2.000")],
        ["2026-02", "墨盒", D("3.000")],
        ["2026-02", "打印机", D("0.000")],
    ]


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({"field": "net", "op": "gt", "value": "150"}, {"200.00", "300.00"}),
        ({"field": "net", "op": "between", "value": ["100", "200"]}, {"200.00", "100.00"}),
        ({"field": "net", "op": "lt", "value": 0}, {"-100.00"}),
        ({"field": "date", "op": "gte", "value": "2026-02-06"}, {"-100.00"}),
        (
            {"field": "date", "op": "between", "value": ["2026-02-01", "2026-02-28"]},
            {"100.00", "300.00", "-100.00"},
        ),
        ({"field": "customer", "op": "contains", "value": "珠江"}, {"100.00", "300.00"}),
        ({"field": "product", "op": "eq", "value": "墨盒"}, {"300.00"}),
        ({"field": "product", "op": "ne", "value": "墨盒"}, {"200.00", "100.00", "-100.00"}),
        ({"field": "product", "op": "in", "value": ["墨盒", "不存在"]}, {"300.00"}),
        ({"field": "kind", "op": "eq", "value": "sales_return"}, {"-100.00"}),
        (
            {"field": "customer_province", "op": "isnull", "value": False},
            {"200.00", "100.00", "300.00", "-100.00"},
        ),
    ],
)
def test_filters_per_type(org, admin_member, sales_data, flt, expected):
    result = _run(
        org, admin_member, {"object": "sales_lines", "columns": ["net"], "filters": [flt]}
    )
    assert {str(cells[0]) for cells in _cells(result)} == expected


def test_text_isnull_matches_empty_text(org, admin_member, sales_data):
    result = _run(
        org,
        admin_member,
        {
            "object": "customers",
            "columns": ["name"],
            "filters": [{"field": "city", "op": "isnull", "value": True}],
        },
    )
    assert len(result.rows) == 3


def test_choice_labels_and_filter(org, admin_member, sales_data):
    result = _run(
        org,
        admin_member,
        {
            "object": "expenses",
            "group_by": [{"field": "owner"}, {"field": "expense_category"}],
            "aggregates": [{"func": "sum", "field": "amount"}],
        },
    )
    rows = {(r[1], r[2]) for r in _cells(result)}
    assert rows == {("Travel", D("100.00")), ("Gifts", D("50.00")), ("Travel", D("30.00"))}
    assert result.totals[-1] == D("180.00")
    only_gifts = _run(
        org,
        admin_member,
        {
            "object": "expenses",
            "columns": ["amount"],
            "filters": [{"field": "expense_category", "op": "eq", "value": "gift"}],
        },
    )
    assert _cells(only_gifts) == [[D("50.00")]]


def test_visibility_sales_member_sees_own_rows(org, sales_member, sales_data):
    result = _run(
        org,
        sales_member,
        {
            "object": "sales_lines",
            "group_by": [{"field": "customer"}],
            "aggregates": [{"func": "sum", "field": "net"}],
        },
    )
    assert _cells(result) == [["上海华联贸易有限公司", D("100.00")]]
    assert result.totals[-1] == D("100.00")
    customers = _run(org, sales_member, {"object": "customers", "columns": ["name"]})
    assert _cells(customers) == [["上海华联贸易有限公司"]]
    expenses = _run(org, sales_member, {"object": "expenses", "columns": ["amount"]})
    assert sorted(c[0] for c in _cells(expenses)) == [D("50.00"), D("100.00")]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"object": "customers", "columns": ["password"]}, "columns"),
        ({"object": "customers", "columns": ["owner__password"]}, "columns"),
        ({"object": "nope", "columns": ["name"]}, "object"),
        (
            {
                "object": "customers",
                "columns": ["name"],
                "filters": [{"field": "owner__password", "op": "eq", "value": "x"}],
            },
            "filters",
        ),
        (
            {
                "object": "customers",
                "columns": ["name"],
                "filters": [{"field": "credit_limit", "op": "gt", "value": "abc"}],
            },
            "filters",
        ),
        (
            {
                "object": "customers",
                "columns": ["name"],
                "filters": [{"field": "created_at", "op": "gt", "value": "31/12/2025"}],
            },
            "filters",
        ),
        (
            {
                "object": "customers",
                "columns": ["name"],
                "filters": [{"field": "level", "op": "eq", "value": "emperor"}],
            },
            "filters",
        ),
        (
            {
                "object": "customers",
                "columns": ["name"],
                "filters": [{"field": "name", "op": "gt", "value": "a"}],
            },
            "filters",
        ),
        (
            {
                "object": "customers",
                "columns": ["name"],
                "filters": [{"field": "credit_limit", "op": "between", "value": ["9", "1"]}],
            },
            "filters",
        ),
        ({"object": "customers", "group_by": [{"field": "name", "period": "month"}]}, "group_by"),
        (
            {
                "object": "customers",
                "group_by": [{"field": "level"}],
                "aggregates": [{"func": "sum", "field": "name"}],
            },
            "aggregates",
        ),
        ({"object": "customers", "columns": ["name"], "sort": [{"field": "province"}]}, "sort"),
        ({"object": "customers", "columns": ["name"], "chart": "bar"}, "chart"),
        ({"object": "customers", "columns": []}, "columns"),
        ({"object": "customers", "columns": "name"}, "columns"),
    ],
)
def test_bad_definitions_get_field_errors(org, data, field):
    with pytest.raises(ValidationError) as caught:
        check_definition(data, org.pk)
    assert field in caught.value.message_dict


def test_unknown_field_runs_no_query(org):
    with CaptureQueriesContext(connection) as queries, pytest.raises(ValidationError):
        check_definition(
            {"object": "orders", "columns": ["number", "party__owner__password"]}, org.pk
        )
    assert not [q for q in queries.captured_queries if "sales_order" in q["sql"]]


def test_custom_field_columns(org, admin_member, sales_data):
    with scope(org=org.pk):
        CustomField.objects.create(
            org=org,
            target="party",
            key="region",
            label="大区",
            field_type="choice",
            choices=["华东", "华南"],
        )
        CustomField.objects.create(
            org=org, target="party", key="staff", label="员工数", field_type="number"
        )
        for party, region, staff in (
            (sales_data.hualian, "华东", "120"),
            (sales_data.zhujiang, "华南", "30"),
        ):
            party.custom_data = {"region": region, "staff": staff}
            party.save()
    result = _run(
        org,
        admin_member,
        {
            "object": "customers",
            "group_by": [{"field": "cf_region"}],
            "aggregates": [{"func": "sum", "field": "cf_staff"}],
            "filters": [{"field": "cf_staff", "op": "gte", "value": "10"}],
        },
    )
    assert [(r[0], Decimal(str(r[1]))) for r in _cells(result)] == [
        ("华东", D("120")),
        ("华南", D("30")),
    ]


def test_paging_detail_rows(org, admin_member, sales_data):
    data = {"object": "sales_lines", "columns": ["document", "net"], "sort": [{"field": "net"}]}
    first = _run(org, admin_member, data, limit=3)
    assert first.has_more
    assert first.next_offset == 3
    rest = _run(org, admin_member, data, offset=3, limit=3)
    assert not rest.has_more
    assert [c[1] for c in _cells(first) + _cells(rest)] == [
        D("-100.00"),
        D("100.00"),
        D("200.00"),
        D("300.00"),
    ]
    assert first.totals == [None, D("500.00")]


def test_drill_filters_select_the_group(org, admin_member, sales_data):
    data = {
        "object": "sales_lines",
        "group_by": [{"field": "date", "period": "month"}, {"field": "customer"}],
        "aggregates": [{"func": "sum", "field": "net"}],
    }
    definition = check_definition(data, org.pk)
    with scope(org=org.pk):
        result = run(definition, admin_member)
        row = next(
            r
            for r in result.rows
            if r.cells[0] == "2026-02" and r.cells[1] == "上海华联贸易有限公司"
        )
        narrowed = run(
            check_definition(
                {
                    "object": "sales_lines",
                    "columns": ["net"],
                    "filters": drill_filters(definition, row.raw),
                },
                org.pk,
            ),
            admin_member,
        )
    assert _cells(narrowed) == [[D("-100.00")]]


def test_grouped_report_runs_in_two_queries(org, admin_member, sales_data):
    definition = check_definition(
        {
            "object": "sales_lines",
            "group_by": [{"field": "owner"}],
            "aggregates": [{"func": "sum", "field": "net"}],
        },
        org.pk,
    )
    with scope(org=org.pk), CaptureQueriesContext(connection) as queries:
        run(definition, admin_member)
    assert len(queries) == 2  # the grouped rows and the totals row


def test_every_object_runs_with_every_column(org, admin_member, sales_data):
    from guanxi.analytics.reports.registry import columns_for, report_objects

    for obj in report_objects():
        keys = [c.key for c in columns_for(obj, org.pk)]
        result = _run(org, admin_member, {"object": obj.key, "columns": keys})
        assert len(result.headers) == len(keys)


def test_customer_metrics_columns(org, admin_member, sales_data):
    import datetime as dt

    from django.utils import timezone

    from guanxi.analytics.models import CustomerMetrics

    segments = [
        value for value, _label in CustomerMetrics._meta.get_field("rfm_segment").choices if value
    ]
    with scope(org=org.pk):
        for party, segment, monetary in (
            (sales_data.hualian, segments[0], "100.00"),
            (sales_data.zhujiang, segments[0], "400.00"),
            (sales_data.boss, segments[1], "0.00"),
        ):
            CustomerMetrics.objects.create(
                org=org,
                party=party,
                computed_at=timezone.now(),
                rfm_segment=segment,
                monetary=Decimal(monetary),
                last_purchase=dt.date(2026, 2, 20),
            )
    result = _run(
        org,
        admin_member,
        {
            "object": "customers",
            "group_by": [{"field": "metrics_rfm_segment"}],
            "aggregates": [{"func": "sum", "field": "metrics_monetary"}, {"func": "count"}],
            "filters": [{"field": "metrics_last_purchase", "op": "gte", "value": "2026-01-01"}],
            "sort": [{"field": "sum__metrics_monetary", "desc": True}],
        },
    )
    labels = dict(CustomerMetrics._meta.get_field("rfm_segment").choices)
    assert _cells(result) == [
        [str(labels[segments[0]]), D("500.00"), 2],
        [str(labels[segments[1]]), D("0.00"), 1],
    ]
