"""Report designer pages: list, designer (run, save, save as, stale edit), a saved
report's result and drill-down, sharing, delete, exports read back, schedules."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from guanxi.analytics.reports import services
from guanxi.analytics.reports.models import SavedReport
from guanxi.analytics.reports.registry import report_objects
from tests.analytics.reports_fixtures import *  # noqa: F403
from tests.conftest import login

pytestmark = pytest.mark.django_db

BY_CUSTOMER = {
    "object": "sales_lines",
    "group_by": [{"field": "customer"}],
    "aggregates": [{"func": "sum", "field": "net"}],
    "sort": [{"field": "sum__net", "desc": True}],
    "chart": "bar",
}


def _save(member, definition=None, **header):
    header.setdefault("name", "按客户销售")
    return services.create_report(member, definition=definition or BY_CUSTOMER, data=header)


def test_list_seeds_ready_made_reports_once(admin_client, org, admin_member):
    page = admin_client.get("/analysis/reports/")
    assert page.status_code == 200
    with scope(org=org.pk):
        keys = set(SavedReport.objects.values_list("builtin_key", flat=True))
    assert {
        "customers",
        "contacts",
        "opportunities",
        "sales",
        "sales_by_customer",
        "sales_by_person",
        "sales_by_product",
        "expenses",
    } <= keys
    assert "Sales statistics by customer" in page.content.decode()
    admin_client.get("/analysis/reports/")
    with scope(org=org.pk):
        assert SavedReport.objects.exclude(builtin_key="").count() == len(keys - {""})


def test_list_query_count_does_not_grow(admin_client, org, admin_member):
    admin_client.get("/analysis/reports/")
    for n in range(3):
        _save(admin_member, name=f"报表 {n}")
    with CaptureQueriesContext(connection) as few:
        admin_client.get("/analysis/reports/")
    for n in range(3, 15):
        _save(admin_member, name=f"报表 {n}")
    with CaptureQueriesContext(connection) as many:
        assert admin_client.get("/analysis/reports/").status_code == 200
    assert len(many) == len(few)


def test_designer_opens_for_every_object(admin_client, admin_member):
    for obj in report_objects():
        page = admin_client.get(f"/analysis/reports/new/?object={obj.key}")
        assert page.status_code == 200, obj.key
        assert 'data-testid="column-list"' in page.content.decode()


def test_unknown_object_is_404(admin_client, admin_member):
    assert admin_client.get("/analysis/reports/new/?object=passwords").status_code == 404


def _designer_post(**extra):
    data = {
        "object": "sales_lines",
        "group_1": "customer",
        "group_1_period": "",
        "aggregates": ["sum:net", "count"],
        "sort_field": "sum__net",
        "sort_desc": "on",
        "chart": "bar",
        "name": "按客户",
        "sharing": "private",
        "action": "run",
    }
    data.update(extra)
    return data


def test_run_previews_without_saving(admin_client, org, admin_member, sales_data):
    page = admin_client.post("/analysis/reports/new/", _designer_post())
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="preview"' in body
    assert "广州珠江电器" in body
    assert "400.00" in body
    assert "500.00" in body
    assert 'data-testid="chart-report-preview"' in body
    with scope(org=org.pk):
        assert not SavedReport.objects.filter(builtin_key="").exists()


def test_save_then_detail_with_chart_and_drill(admin_client, org, admin_member, sales_data):
    response = admin_client.post("/analysis/reports/new/", _designer_post(action="save"))
    assert response.status_code == 302
    with scope(org=org.pk):
        report = SavedReport.objects.get(name="按客户")
    assert report.owner_id == admin_member.user_id
    page = admin_client.get(f"/analysis/reports/{report.pk}/")
    body = page.content.decode()
    assert "广州珠江电器" in body
    options = json.loads(
        body.split('id="report-chart-options" type="application/json">')[1].split("</script>")[0]
    )
    item = options["series"][0]["data"][0]
    assert item["name"] == "广州珠江电器"
    assert item["value"] == 400.0
    drill = admin_client.get(item["url"])
    assert drill.status_code == 200
    rows = drill.content.decode()
    assert rows.count('data-testid="report-row"') == 2  # 珠江's two lines
    assert "上海华联" not in rows


def test_bad_input_gets_field_errors_and_saves_nothing(admin_client, org, admin_member):
    page = admin_client.post(
        "/analysis/reports/new/",
        _designer_post(
            action="save",
            name="",
            filter_field=["net", "owner__password"],
            filter_op=["gt", "eq"],
            filter_value=["abc", "x"],
            filter_value2=["", ""],
        ),
    )
    assert page.status_code == 422
    body = page.content.decode()
    assert 'data-testid="error-name"' in body
    assert 'data-testid="error-filters"' in body
    assert "is not a number" in body
    assert "There is no column" in body
    with scope(org=org.pk):
        assert not SavedReport.objects.filter(builtin_key="").exists()


def test_stale_edit_is_refused(admin_client, org, admin_member, sales_data):
    report = _save(admin_member)
    form = _designer_post(action="save", name="新名字", version=str(report.version))
    with scope(org=org.pk):
        services.update_report(
            admin_member,
            report=report,
            definition=BY_CUSTOMER,
            data={"name": "别人改了"},
            expected_version=report.version,
        )
    page = admin_client.post(f"/analysis/reports/{report.pk}/edit/", form)
    assert page.status_code == 422
    assert 'data-testid="error-all"' in page.content.decode()
    with scope(org=org.pk):
        assert SavedReport.objects.get(pk=report.pk).name == "别人改了"


def test_edit_and_save_as(admin_client, org, admin_member, sales_data):
    report = _save(admin_member)
    response = admin_client.post(
        f"/analysis/reports/{report.pk}/edit/",
        _designer_post(action="save", name="改名", version=str(report.version)),
    )
    assert response.status_code == 302
    response = admin_client.post(
        f"/analysis/reports/{report.pk}/edit/", _designer_post(action="save_as", name="副本")
    )
    assert response.status_code == 302
    with scope(org=org.pk):
        assert set(SavedReport.objects.filter(builtin_key="").values_list("name", flat=True)) == {
            "改名",
            "副本",
        }


def test_sharing(client, org, admin_member, sales_member, other_member, team, sales_data):
    private = _save(admin_member, name="私有")
    shared = _save(admin_member, name="全公司", sharing="org")
    other_client = login(client, other_member)
    assert other_client.get(f"/analysis/reports/{private.pk}/").status_code == 404
    assert other_client.get(f"/analysis/reports/{shared.pk}/").status_code == 200
    team_report = _save(sales_member, name="团队", sharing="team")
    assert (
        other_client.get(f"/analysis/reports/{team_report.pk}/").status_code == 404
    )  # not in the team
    # other members may not change a shared report
    assert other_client.post(f"/analysis/reports/{shared.pk}/delete/").status_code == 403


def test_shared_report_shows_each_member_their_own_rows(
    client, org, admin_member, sales_member, sales_data
):
    shared = _save(admin_member, name="全公司", sharing="org")
    page = login(client, sales_member).get(f"/analysis/reports/{shared.pk}/").content.decode()
    assert "上海华联贸易有限公司" in page
    assert "广州珠江电器" not in page


def test_delete_moves_to_recycle_bin(admin_client, org, admin_member):
    report = _save(admin_member)
    assert admin_client.post(f"/analysis/reports/{report.pk}/delete/").status_code == 302
    with scope(org=org.pk):
        assert not SavedReport.objects.filter(pk=report.pk).exists()
        assert SavedReport.all_objects.get(pk=report.pk).deleted_at is not None
    assert admin_client.get(f"/analysis/reports/{report.pk}/").status_code == 404


def test_export_csv_and_xlsx(client, org, admin_member, sales_member, sales_data):
    report = _save(admin_member, sharing="org")
    admin = login(client, admin_member)
    response = admin.get(f"/analysis/reports/{report.pk}/export/csv/")
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        ["Customer", "Sum of Net sales"],
        ["广州珠江电器", "400.00"],
        ["上海华联贸易有限公司", "100.00"],
        ["Total", "500.00"],
    ]
    response = admin.get(f"/analysis/reports/{report.pk}/export/xlsx/")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == ["Customer", "Sum of Net sales"]
    assert values[1][0] == "广州珠江电器"
    assert Decimal(str(values[1][1])) == Decimal("400")
    assert values[-1][0] == "Total"
    assert Decimal(str(values[-1][1])) == Decimal("500")
    assert admin.get(f"/analysis/reports/{report.pk}/export/pdf/").status_code == 404


def test_export_needs_export_permission(client, org, admin_member, sales_member, sales_data):
    # sales reps may view stock documents but not export them (the role's defaults)
    report = _save(admin_member, sharing="org")
    assert (
        login(client, sales_member).get(f"/analysis/reports/{report.pk}/export/csv/").status_code
        == 403
    )
    customers = _save(
        admin_member, {"object": "customers", "columns": ["name"]}, sharing="org", name="客户"
    )
    response = login(client, sales_member).get(f"/analysis/reports/{customers.pk}/export/csv/")
    assert response.status_code == 200
    assert response.content.decode("utf-8-sig").splitlines()[1:] == [
        "上海华联贸易有限公司",
        "Total",
    ]


def test_csv_guards_against_formulas(admin_client, org, admin_member):
    from tests.activities.factories import make_party

    make_party(org, admin_member.user, name="=HYPERLINK(1)")
    report = _save(admin_member, {"object": "customers", "columns": ["name"]})
    body = admin_client.get(f"/analysis/reports/{report.pk}/export/csv/").content.decode(
        "utf-8-sig"
    )
    assert "'=HYPERLINK(1)" in body


def test_filter_row_follows_the_column_type(admin_client, admin_member):
    row = admin_client.get(
        "/analysis/reports/filter-row/?object=sales_lines&filter_field=date&filter_op=between"
    ).content.decode()
    assert 'type="date"' in row
    assert 'data-testid="filter-value2"' in row
    row = admin_client.get(
        "/analysis/reports/filter-row/?object=expenses&filter_field=expense_category"
    ).content.decode()
    assert '<select name="filter_value"' in row
    assert "Travel" in row
    row = admin_client.get(
        "/analysis/reports/filter-row/?object=sales_lines&filter_field=net&filter_op=gt"
    ).content.decode()
    assert 'type="number"' in row


def test_readonly_without_analysis_is_forbidden(client, org, admin_member):
    from tests.factories import make_member

    with scope(org=org.pk):
        from guanxi.accounts.models import Role

        role = Role.objects.get(code="readonly")
        role.permissions = {"analytics": []}
        role.save()
    member = make_member(org, "readonly")
    assert login(client, member).get("/analysis/reports/").status_code == 403


def test_schedule_page_and_bad_input(admin_client, org, admin_member, sales_data):
    report = _save(admin_member)
    assert admin_client.get(f"/analysis/reports/{report.pk}/schedules/").status_code == 200
    bad = admin_client.post(
        f"/analysis/reports/{report.pk}/schedules/",
        {"frequency": "hourly", "time": "25:00", "recipients": ["999999"]},
    )
    assert bad.status_code == 422
    body = bad.content.decode()
    for name in ("frequency", "time", "recipients"):
        assert f'data-testid="error-{name}"' in body
    good = admin_client.post(
        f"/analysis/reports/{report.pk}/schedules/",
        {
            "frequency": "weekly",
            "time": "08:00",
            "weekday": "0",
            "file_format": "csv",
            "recipients": [str(admin_member.pk)],
        },
    )
    assert good.status_code == 302
    page = admin_client.get(f"/analysis/reports/{report.pk}/schedules/").content.decode()
    assert page.count('data-testid="schedule-row"') == 1


def test_team_report_is_seen_by_the_team(client, org, team, sales_member, sales_data):
    from tests.factories import make_member

    teammate = make_member(org, "sales", team=team, username="teammate")
    report = _save(sales_member, name="团队报表", sharing="team")
    assert report.team_id == team.pk
    assert login(client, teammate).get(f"/analysis/reports/{report.pk}/").status_code == 200


def test_team_sharing_needs_a_team(org, admin_member):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        _save(admin_member, sharing="team")
    assert "sharing" in caught.value.message_dict


def test_detail_page_queries_do_not_grow_with_groups(admin_client, org, admin_member, sales_data):
    from tests.activities.factories import make_party

    report = _save(
        admin_member, {"object": "customers", "group_by": [{"field": "name"}], "chart": "pie"}
    )
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(f"/analysis/reports/{report.pk}/").status_code == 200
    for n in range(12):
        make_party(org, admin_member.user, name=f"新客户{n}")
    with CaptureQueriesContext(connection) as many:
        page = admin_client.get(f"/analysis/reports/{report.pk}/")
    assert page.content.decode().count('data-testid="report-row"') == 15
    assert len(many) == len(few)
