"""The exchange API: imports, export, duplicates, merge, pool and handover over HTTP."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scope

from guanxi.parties.models import ImportJob, Party
from guanxi.parties.services import set_party_lock
from tests.factories import make_member, make_org
from tests.parties.exchange_helpers import (  # noqa: F401 - english is a fixture
    HEADERS_ZH,
    csv_bytes,
    english,
    in_english,
    party,
)

pytestmark = pytest.mark.usefixtures("english")

API = "/api/v1"
GOOD = [
    "上海华为贸易有限公司",
    "13800138000",
    "info@huawei-sh.cn",
    "上海",
    "重要",
    "张伟",
    "13900139000",
]


@pytest.fixture
def api(admin_client):
    return in_english(admin_client)


def _upload(api, rows, **data):
    file = SimpleUploadedFile("customers.csv", csv_bytes(rows), "text/csv")
    return api.post(f"{API}/imports", {"file": file, **data})


def test_import_over_the_api(api, org, django_capture_on_commit_callbacks):
    # upload: mapped automatically and checked at once
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(api, [HEADERS_ZH, GOOD])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["columns"][:2] == ["name", "mobile"]
    job_id = body["id"]

    response = api.get(f"{API}/imports/{job_id}")
    assert response.json()["status"] == "checked"
    assert response.json()["created_count"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{API}/imports/{job_id}/run")
    assert response.status_code == 202
    body = api.get(f"{API}/imports/{job_id}").json()
    assert (body["status"], body["created_count"]) == ("done", 1)
    with scope(org=org.pk):
        assert Party.objects.count() == 1


def test_import_errors_are_reported_with_rows(api, org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job_id = _upload(api, [HEADERS_ZH, GOOD, ["北京", "12345", "", "", "", "", ""]]).json()[
            "id"
        ]

    body = api.get(f"{API}/imports/{job_id}").json()

    assert body["error_rows"] == 1
    assert [(p["row"], p["column"], p["kind"]) for p in body["problems"]] == [(3, "手机", "error")]
    response = api.post(f"{API}/imports/{job_id}/run")
    assert response.status_code == 409
    assert response.json()["code"] == "import_refused"


def test_mapping_over_the_api(api, org, django_capture_on_commit_callbacks):
    job_id = _upload(api, [["foo", "bar"], ["Acme", "x"]]).json()["id"]
    assert api.get(f"{API}/imports/{job_id}").json()["status"] == "uploaded"

    response = api.put(
        f"{API}/imports/{job_id}/mapping",
        {"columns": ["", "mobile"]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "columns"

    with django_capture_on_commit_callbacks(execute=True):
        response = api.put(
            f"{API}/imports/{job_id}/mapping",
            {"columns": ["name", ""], "duplicate_policy": "create"},
            content_type="application/json",
        )
    assert response.status_code == 200
    assert api.get(f"{API}/imports/{job_id}").json()["status"] == "checked"


def test_disguised_upload_is_refused(api, org):
    file = SimpleUploadedFile("customers.csv", b"MZ\x90\x00\x00binary", "text/csv")
    response = api.post(f"{API}/imports", {"file": file})
    assert response.status_code == 400
    assert response.json()["code"] == "import_file"
    with scope(org=org.pk):
        assert ImportJob.objects.count() == 0


def test_another_organisations_import_is_not_found(api):
    other = make_org("Other")
    with scope(org=other.pk):
        job = ImportJob.objects.create(org=other, original_name="x.csv")
    assert api.get(f"{API}/imports/{job.pk}").status_code == 404
    assert api.post(f"{API}/imports/{job.pk}/run").status_code == 404


def test_export_over_the_api(api, org, admin_member):
    party(org, admin_member, name="=evil", level="key")
    party(org, admin_member, name="B", level="low")

    response = api.get(f"{API}/exports/parties", {"format": "csv", "level": "key"})

    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8")
    assert "'=evil" in text
    assert ",B," not in text


def test_export_needs_permission(client, org):
    from tests.conftest import login

    login(client, make_member(org, "service", username="svc"))  # service: view, change
    assert client.get(f"{API}/exports/parties").status_code == 403


def test_duplicates_and_merge_over_the_api(api, org, admin_member):
    keep = party(org, admin_member, name="A", mobile="13800138000")
    duplicate = party(org, admin_member, name="B", mobile="138 0013 8000")

    body = api.get(f"{API}/duplicates", {"kind": "phone"}).json()
    assert body["total"] == 1
    assert {p["id"] for p in body["items"][0]["parties"]} == {keep.pk, duplicate.pk}

    response = api.post(
        f"{API}/merges",
        {
            "keep_id": keep.pk,
            "duplicate_id": duplicate.pk,
            "keep_version": keep.version,
            "duplicate_version": duplicate.version,
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["party"]["id"] == keep.pk


def test_merging_a_locked_customer_answers_409(api, org, admin_member):
    keep = party(org, admin_member, name="A")
    duplicate = set_party_lock(party=party(org, admin_member, name="B"), actor=None, locked=True)

    response = api.post(
        f"{API}/merges",
        {
            "keep_id": keep.pk,
            "duplicate_id": duplicate.pk,
            "keep_version": keep.version,
            "duplicate_version": duplicate.version,
        },
        content_type="application/json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "party_locked"


def test_pool_claim_and_release_over_the_api(sales_client, org, sales_member, admin_member):
    api = in_english(sales_client)
    customer = party(org, admin_member, name="Pooled")
    with scope(org=org.pk):
        Party.objects.filter(pk=customer.pk).update(owner=None)

    assert api.get(f"{API}/pool").json()["total"] == 1
    response = api.post(f"{API}/pool/{customer.pk}/claim")
    assert response.status_code == 200
    assert response.json()["owner_id"] == sales_member.user_id
    assert api.post(f"{API}/pool/{customer.pk}/claim").status_code == 404
    response = api.post(f"{API}/pool/{customer.pk}/release")
    assert response.status_code == 200
    assert response.json()["owner_id"] is None


def test_handover_over_the_api(api, org, admin_member, sales_member, sales_client):
    party(org, sales_member, name="C")

    response = api.post(
        f"{API}/handovers",
        {"from_user_id": sales_member.user_id, "to_user_id": admin_member.user_id},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json()["moved"]["customers"] == 1
    assert (
        sales_client.post(
            f"{API}/handovers",
            {"from_user_id": admin_member.user_id, "to_user_id": sales_member.user_id},
            content_type="application/json",
        ).status_code
        == 403
    )


def test_pool_settings_over_the_api(api, sales_client):
    response = api.put(
        f"{API}/pool/settings",
        {"pool_after_days": 15, "pool_claim_limit": 50},
        content_type="application/json",
    )
    assert response.json() == {"pool_after_days": 15, "pool_claim_limit": 50}
    assert sales_client.get(f"{API}/pool/settings").json()["pool_after_days"] == 15
    assert (
        sales_client.put(
            f"{API}/pool/settings",
            {"pool_after_days": 1, "pool_claim_limit": 1},
            content_type="application/json",
        ).status_code
        == 403
    )
