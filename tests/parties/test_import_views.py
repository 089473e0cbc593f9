"""The import pages: upload, mapping, dry-run report, progress, run, history; permissions."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scope

from guanxi.parties.models import ImportJob, Party
from tests.conftest import login
from tests.factories import make_member, make_org
from tests.parties.exchange_helpers import (  # noqa: F401 - english is a fixture
    HEADERS_ZH,
    csv_bytes,
    english,
    in_english,
    new_job,
)

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def admin_client(admin_client):
    return in_english(admin_client)


@pytest.fixture
def sales_client(sales_client):
    return in_english(sales_client)


GOOD = [
    "上海华为贸易有限公司",
    "13800138000",
    "info@huawei-sh.cn",
    "上海",
    "重要",
    "张伟",
    "13900139000",
]
BAD = ["北京某某有限公司", "12345", "", "北京", "", "", ""]


def _upload(client, rows, name="customers.csv", encoding="utf-8"):
    data = csv_bytes(rows, encoding)
    return client.post(
        reverse("parties:import_start"), {"file": SimpleUploadedFile(name, data, "text/csv")}
    )


def _mapping_post(job, **extra):
    data = {f"col_{i}": key for i, key in enumerate(job.mapping["columns"])}
    data.update(
        {
            "duplicate_policy": "skip",
            "match_on": ["phone", "email", "name"],
            "create_categories": "on",
        }
    )
    data.update(extra)
    return data


def _job(org):
    with scope(org=org.pk):
        return ImportJob.objects.latest("id")


def test_whole_flow_upload_map_check_run(admin_client, org, django_capture_on_commit_callbacks):
    # upload
    response = _upload(admin_client, [HEADERS_ZH, GOOD], encoding="gbk")
    job = _job(org)
    assert response.status_code == 302
    assert response["Location"] == reverse("parties:import_mapping", args=[job.pk])

    # the mapping page shows the recognised columns
    response = admin_client.get(response["Location"])
    assert response.status_code == 200
    assert response.context["recognised"] == 7
    assert "上海华为贸易有限公司" in response.content.decode()

    # map → the dry run runs (immediate task backend) → the report
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("parties:import_mapping", args=[job.pk]), _mapping_post(job)
        )
    assert response["Location"] == reverse("parties:import_progress", args=[job.pk])
    response = admin_client.get(response["Location"])
    assert response["Location"] == reverse("parties:import_check", args=[job.pk])
    response = admin_client.get(response["Location"])
    assert response.status_code == 200
    assert response.context["can_run"] is True
    with scope(org=org.pk):
        assert Party.objects.count() == 0

    # run
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("parties:import_run", args=[job.pk]))
    response = admin_client.get(response["Location"], follow=True)
    assert response.status_code == 200
    assert b'data-testid="import-done"' in response.content
    with scope(org=org.pk):
        assert Party.objects.count() == 1
        assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE


def test_dry_run_page_lists_bad_rows_and_offers_no_import(
    admin_client, org, django_capture_on_commit_callbacks
):
    _upload(admin_client, [HEADERS_ZH, GOOD, BAD])
    job = _job(org)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("parties:import_mapping", args=[job.pk]), _mapping_post(job))

    response = admin_client.get(reverse("parties:import_check", args=[job.pk]))

    content = response.content.decode()
    assert response.context["can_run"] is False
    assert 'data-testid="import-error-row" data-row="3"' in content
    assert "12345" in content
    assert 'data-testid="import-run"' not in content
    # and the run is refused when posted anyway
    response = admin_client.post(reverse("parties:import_run", args=[job.pk]))
    assert response.status_code == 302
    assert _job(org).status == ImportJob.Status.CHECKED
    with scope(org=org.pk):
        assert Party.objects.count() == 0


def test_progress_partial_polls_and_redirects_when_done(admin_client, org, admin_member):
    job = new_job(org, admin_member, csv_bytes([HEADERS_ZH, GOOD]))
    with scope(org=org.pk):
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.MAPPED, processed_rows=1, total_rows=2
        )

    response = admin_client.get(
        reverse("parties:import_progress", args=[job.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert 'hx-trigger="every 1s"' in content
    assert "50%" in content
    assert "<html" not in content

    with scope(org=org.pk):
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.CHECKED)
    response = admin_client.get(
        reverse("parties:import_progress", args=[job.pk]), headers={"HX-Request": "true"}
    )
    assert response["HX-Redirect"] == reverse("parties:import_check", args=[job.pk])


def test_bad_upload_shows_a_field_error(admin_client, org):
    response = admin_client.post(
        reverse("parties:import_start"),
        {"file": SimpleUploadedFile("evil.csv", b"MZ\x90\x00binary", "text/csv")},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "This is not a text (CSV) file. Save it from Excel as “CSV (comma delimited)”."
    ]
    with scope(org=org.pk):
        assert ImportJob.objects.count() == 0


def test_mapping_without_name_shows_an_error(admin_client, org, admin_member):
    job = new_job(org, admin_member, csv_bytes([HEADERS_ZH, GOOD]))
    response = admin_client.post(
        reverse("parties:import_mapping", args=[job.pk]), _mapping_post(job, col_0="")
    )
    assert response.status_code == 200
    assert "Choose the column that holds the customer name." in response.content.decode()


def test_readonly_member_may_not_import(client, org):
    login(client, make_member(org, "readonly", username="reader"))
    assert client.get(reverse("parties:import_start")).status_code == 403


def test_sales_may_not_choose_merge_without_change(client, org):
    # A custom role with add but not change on customers.
    from guanxi.accounts.models import Role

    with scope(org=org.pk):
        role = Role.objects.create(org=org, name="Importer", permissions={"party": ["view", "add"]})
    member = make_member(org, "sales", username="importer")
    with scope(org=org.pk):
        member.role = role
        member.save()
    login(client, member)
    job = new_job(org, member, csv_bytes([HEADERS_ZH, GOOD]))

    response = client.post(
        reverse("parties:import_mapping", args=[job.pk]),
        _mapping_post(job, duplicate_policy="merge"),
    )

    assert response.status_code == 403


def test_another_members_job_is_not_found(sales_client, org, admin_member):
    job = new_job(org, admin_member, csv_bytes([HEADERS_ZH, GOOD]))
    for name in ("import_mapping", "import_check", "import_progress", "import_detail"):
        assert sales_client.get(reverse(f"parties:{name}", args=[job.pk])).status_code == 404


def test_another_organisations_job_is_not_found(admin_client):
    other = make_org("Other")
    other_admin = make_member(other, "admin", username="other-admin")
    job = new_job(other, other_admin, csv_bytes([HEADERS_ZH, GOOD]))
    assert admin_client.get(reverse("parties:import_detail", args=[job.pk])).status_code == 404


def test_history_and_template(admin_client, org, admin_member):
    new_job(org, admin_member, csv_bytes([HEADERS_ZH, GOOD]), name="春季展会.csv")

    response = admin_client.get(reverse("parties:import_list"))
    assert "春季展会.csv" in response.content.decode()

    response = admin_client.get(reverse("parties:import_template"))
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert b"Name" in response.content


def test_html_in_cells_is_escaped_in_the_report(
    admin_client, org, django_capture_on_commit_callbacks
):
    _upload(admin_client, [["客户名称", "手机"], ["<script>alert(1)</script>", "<b>x</b>"]])
    job = _job(org)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("parties:import_mapping", args=[job.pk]), _mapping_post(job))

    content = admin_client.get(reverse("parties:import_check", args=[job.pk])).content.decode()

    assert "<b>x</b>" not in content
    assert "&lt;b&gt;x&lt;/b&gt;" in content
