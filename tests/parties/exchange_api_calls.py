"""Calls of the exchange API for tests/api/test_schema.py: each answers as documented.

Run in order: later calls depend on the rows earlier ones create or change. The import
is uploaded as multipart (through `Multipart`), and the export answers a file, which
the schema test checks against the documented media types.
"""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scope, scopes_disabled

from guanxi.accounts.models import Membership
from guanxi.parties.importing import run_check, save_mapping, start_import
from guanxi.parties.models import ImportJob, Party
from guanxi.parties.services import set_party_lock
from tests.api.conftest import API
from tests.parties.exchange_helpers import csv_bytes
from tests.parties.list_helpers import make_party


class Multipart:
    """A client whose POST sends its body as a multipart form (file uploads)."""

    def __init__(self, client):
        self.client = client

    def post(self, url, body=None, content_type=None):
        body = dict(body or {})
        for key, value in body.items():
            if isinstance(value, bytes):
                body[key] = SimpleUploadedFile(f"{key}.csv", value, "text/csv")
        return self.client.post(url, body)


def exchange_calls(admin_api, sales_api, org, other_org) -> list[tuple]:
    with scopes_disabled():
        sales = Membership.objects.filter(org=org, role__code="sales").first().user
        boss = Membership.objects.filter(org=org, role__code="admin").first().user
    keep = make_party(org, sales, name="合并保留", mobile="13700137000")
    duplicate = make_party(org, sales, name="合并去除", mobile="137 0013 7000")
    locked = make_party(org, sales, name="锁定的重复", mobile="13700137000")
    set_party_lock(party=locked, actor=None, locked=True)
    pooled = make_party(org, boss, name="公海里的客户")
    with scope(org=org.pk):
        Party.objects.filter(pk=pooled.pk).update(owner=None)
        keep.refresh_from_db()
        duplicate.refresh_from_db()
        locked.refresh_from_db()
    good = csv_bytes([["客户名称", "手机"], ["接口导入客户", "13600136000"]])
    bad = csv_bytes([["客户名称", "手机"], ["接口导入客户", "12345"]])
    # A checked job, ready to run (the dry run of an upload runs after commit).
    ready = start_import(
        org=org, actor=boss, upload=SimpleUploadedFile("ready.csv", good), language="en"
    )
    ready = run_check(
        save_mapping(
            job=ready,
            actor=boss,
            columns=["name", "mobile"],
            policy="skip",
            match_on=["phone"],
            create_categories=True,
        )
    )
    second = start_import(
        org=org, actor=boss, upload=SimpleUploadedFile("second.csv", good), language="en"
    )
    with scope(org=other_org.pk):
        theirs = ImportJob.objects.create(org=other_org, original_name="theirs.csv")
    upload = Multipart(admin_api)
    merge = {
        "keep_id": keep.pk,
        "duplicate_id": duplicate.pk,
        "keep_version": keep.version,
        "duplicate_version": duplicate.version,
    }
    merge_locked = {
        "keep_id": keep.pk,
        "duplicate_id": locked.pk,
        "keep_version": keep.version,
        "duplicate_version": locked.version,
    }
    mapping = {"columns": ["name", "mobile"], "duplicate_policy": "merge"}
    return [
        ("get", "/imports/columns", admin_api, f"{API}/imports/columns", None, 200),
        ("post", "/imports", upload, f"{API}/imports", {"file": good}, 201),
        ("post", "/imports", upload, f"{API}/imports", {"file": b"MZ\x90\x00bin"}, 400),
        ("get", "/imports/{id}", admin_api, f"{API}/imports/{ready.pk}", None, 200),
        ("get", "/imports/{id}", admin_api, f"{API}/imports/{theirs.pk}", None, 404),
        (
            "put",
            "/imports/{id}/mapping",
            admin_api,
            f"{API}/imports/{second.pk}/mapping",
            {"columns": ["", "mobile"]},
            400,
        ),
        ("post", "/imports", upload, f"{API}/imports", {"file": bad}, 201),
        (
            "put",
            "/imports/{id}/mapping",
            admin_api,
            f"{API}/imports/{second.pk}/mapping",
            mapping,
            200,
        ),
        ("post", "/imports/{id}/run", admin_api, f"{API}/imports/{second.pk}/run", None, 409),
        ("post", "/imports/{id}/run", admin_api, f"{API}/imports/{ready.pk}/run", None, 202),
        ("get", "/exports/parties", admin_api, f"{API}/exports/parties?format=csv", None, 200),
        ("get", "/exports/parties", admin_api, f"{API}/exports/parties?format=vcf", None, 200),
        ("get", "/exports/parties", admin_api, f"{API}/exports/parties?format=pdf", None, 422),
        ("get", "/duplicates", admin_api, f"{API}/duplicates?kind=phone", None, 200),
        ("get", "/duplicates", admin_api, f"{API}/duplicates?kind=fax", None, 422),
        ("post", "/merges", admin_api, f"{API}/merges", merge_locked, 409),
        ("post", "/merges", admin_api, f"{API}/merges", merge, 200),
        ("get", "/pool", sales_api, f"{API}/pool", None, 200),
        ("post", "/pool/{id}/claim", sales_api, f"{API}/pool/{pooled.pk}/claim", None, 200),
        ("post", "/pool/{id}/claim", sales_api, f"{API}/pool/{pooled.pk}/claim", None, 404),
        ("post", "/pool/{id}/release", sales_api, f"{API}/pool/{pooled.pk}/release", None, 200),
        ("post", "/pool/{id}/release", admin_api, f"{API}/pool/{pooled.pk}/release", None, 409),
        ("get", "/pool/settings", sales_api, f"{API}/pool/settings", None, 200),
        (
            "put",
            "/pool/settings",
            admin_api,
            f"{API}/pool/settings",
            {"pool_after_days": 20, "pool_claim_limit": 100},
            200,
        ),
        (
            "put",
            "/pool/settings",
            sales_api,
            f"{API}/pool/settings",
            {"pool_after_days": 20, "pool_claim_limit": 100},
            403,
        ),
        ("get", "/handovers/steps", admin_api, f"{API}/handovers/steps", None, 200),
        (
            "post",
            "/handovers",
            admin_api,
            f"{API}/handovers",
            {"from_user_id": sales.pk, "to_user_id": boss.pk, "steps": ["customers"]},
            200,
        ),
        (
            "post",
            "/handovers",
            admin_api,
            f"{API}/handovers",
            {"from_user_id": sales.pk, "to_user_id": sales.pk},
            400,
        ),
        (
            "post",
            "/handovers",
            sales_api,
            f"{API}/handovers",
            {"from_user_id": sales.pk, "to_user_id": boss.pk},
            403,
        ),
    ]
