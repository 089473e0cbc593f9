"""Calls of the attachments API for tests/api/test_schema.py: each answers as documented."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from guanxi.accounts.models import Membership
from guanxi.core.attachments import add_attachment
from tests.api.conftest import API
from tests.parties.list_helpers import make_party


class Upload:
    """A client whose POST sends a multipart form with one text file under `file`."""

    def __init__(self, client):
        self.client = client

    def post(self, url, body=None, content_type=None):
        body = dict(body or {})
        if isinstance(body.get("file"), bytes):
            body["file"] = SimpleUploadedFile("notes.txt", body["file"], "text/plain")
        return self.client.post(url, body)


def attachment_calls(admin_api, sales_api, org, other_org) -> list[tuple]:
    with scopes_disabled():
        boss = Membership.objects.filter(org=org, role__code="admin").first().user
        stranger = Membership.objects.filter(org=other_org).first().user
    party = make_party(org, boss, name="附件测试客户")
    theirs = make_party(other_org, stranger, name="别人的客户")
    existing = add_attachment(
        parent=party, actor=boss, upload=SimpleUploadedFile("a.txt", b"hello", "text/plain")
    )
    gone = add_attachment(
        parent=party, actor=boss, upload=SimpleUploadedFile("b.txt", b"bye", "text/plain")
    )
    upload = Upload(admin_api)
    record = {"record": "parties.party", "record_id": party.pk}
    listing = f"{API}/attachments?record=parties.party&record_id={party.pk}"
    return [
        ("get", "/attachments", admin_api, listing, None, 200),
        (
            "get",
            "/attachments",
            admin_api,
            f"{API}/attachments?record=parties.party&record_id={theirs.pk}",
            None,
            404,
        ),
        ("get", "/attachments", admin_api, f"{API}/attachments?record=x.y&record_id=1", None, 404),
        ("post", "/attachments", upload, f"{API}/attachments", {**record, "file": b"notes"}, 201),
        (
            "post",
            "/attachments",
            upload,
            f"{API}/attachments",
            {**record, "file": b"MZ\x90\x00\x03"},
            400,
        ),
        (
            "get",
            "/attachments/{id}/download",
            admin_api,
            f"{API}/attachments/{existing.pk}/download",
            None,
            200,
        ),
        (
            "get",
            "/attachments/{id}/download",
            admin_api,
            f"{API}/attachments/999999/download",
            None,
            404,
        ),
        ("delete", "/attachments/{id}", admin_api, f"{API}/attachments/{gone.pk}", None, 204),
        ("delete", "/attachments/{id}", admin_api, f"{API}/attachments/{gone.pk}", None, 404),
    ]
