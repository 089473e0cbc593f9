"""Attachments (B8): upload checks, access-checked download, delete."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django_scopes import scope

from guanxi.core.attachments import (
    AttachmentRefused,
    add_attachment,
    check_upload,
    clean_file_name,
    content_disposition,
    register_attachable,
)
from guanxi.core.models import Attachment, Organisation
from tests.conftest import login
from tests.factories import make_member
from tests.parties.record_helpers import make_contact, make_party

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2048
HTMX = {"HX-Request": "true"}


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "hello")
    return buffer.getvalue()


def _upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def _stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "attachments"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _attachments(org) -> list[Attachment]:
    with scope(org=org.pk):
        return list(Attachment.objects.order_by("id"))


@pytest.fixture
def party(org, admin_member):
    return make_party(org, admin_member.user, name="上海申达贸易有限公司")


def _upload_url(party) -> str:
    return reverse("core:attachment_upload", args=["parties.party", party.pk])


# --- what is accepted ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "served_as"),
    [
        ("合同.pdf", PDF, "application/pdf"),
        ("photo.PNG", PNG, "image/png"),
        (
            "报价.docx",
            _docx(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("old.xls", OLE, "application/vnd.ms-excel"),
        ("notes.txt", "会议纪要\n第二行".encode(), "text/plain; charset=utf-8"),
        ("list.csv", "姓名,电话\n王芳,13912345678\n".encode("gb18030"), "text/csv; charset=utf-8"),
        ("bundle.zip", _zip(), "application/zip"),
        ("renamed-docx.zip", _docx(), "application/zip"),
    ],
)
def test_allowed_files_pass_the_check(name, content, served_as):
    assert check_upload(_upload(name, content))[1] == served_as


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("invoice.pdf", EXE),  # an executable renamed .pdf
        ("photo.png", PDF),
        ("notes.txt", EXE),
        ("notes.txt", PNG),
        ("report.docx", PDF),
        ("old.doc", PDF),
        ("page.html", b"<html><script>alert(1)</script></html>"),
        ("image.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
        ("run.exe", EXE),
        ("noextension", PDF),
        ("empty.pdf", b""),
    ],
)
def test_disguised_or_unknown_files_are_refused(name, content):
    with pytest.raises(AttachmentRefused):
        check_upload(_upload(name, content))


def test_file_names_lose_directories_and_control_characters():
    assert clean_file_name("../../etc/passwd.pdf") == "passwd.pdf"
    assert clean_file_name("C:\\Users\\王\\合同.pdf") == "合同.pdf"
    assert clean_file_name("a\x00b\r\n.pdf") == "ab.pdf"
    assert clean_file_name("") == "file"
    long = clean_file_name("名" * 300 + ".pdf")
    assert (len(long), long[-4:]) == (255, ".pdf")


def test_content_disposition_carries_the_utf8_name_safely():
    header = content_disposition('合同 "最终版";v2.pdf')

    assert header.startswith('attachment; filename="')
    assert (
        "filename*=UTF-8''%E5%90%88%E5%90%8C%20%22%E6%9C%80%E7%BB%88%E7%89%88%22%3Bv2.pdf" in header
    )
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback == "v2.pdf" or fallback.endswith(".pdf")
    assert ";" not in fallback
    assert "\n" not in header


def test_a_model_without_a_permission_type_cannot_take_attachments():
    with pytest.raises(ImproperlyConfigured):
        register_attachable(Organisation)


# --- upload through the page ---------------------------------------------------------------


def test_upload_stores_a_random_name_and_lists_the_file(admin_client, org, admin_member, party):
    response = admin_client.post(
        _upload_url(party),
        {"file": _upload("合同.pdf", PDF), "description": "2026 年框架合同"},
        headers=HTMX,
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "合同.pdf" in html
    assert "2026 年框架合同" in html
    [attachment] = _attachments(org)
    assert (attachment.original_name, attachment.size, attachment.mime_type) == (
        "合同.pdf",
        len(PDF),
        "application/pdf",
    )
    assert attachment.uploaded_by == admin_member.user
    stored_name = os.path.basename(attachment.file.name)
    assert "合同" not in attachment.file.name
    assert len(stored_name) == 32
    assert "." not in stored_name


def test_non_htmx_upload_redirects_to_the_panel(admin_client, org, party):
    response = admin_client.post(_upload_url(party), {"file": _upload("a.pdf", PDF)})

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "core:attachment_panel", args=["parties.party", party.pk]
    )


def test_disguised_upload_is_refused_and_nothing_is_stored(admin_client, org, party):
    before = _stored_files()

    response = admin_client.post(
        _upload_url(party), {"file": _upload("invoice.pdf", EXE)}, headers=HTMX
    )

    assert response.status_code == 200
    assert 'data-field="file"' in response.content.decode()
    assert _attachments(org) == []
    assert _stored_files() == before


def test_oversized_upload_is_refused_and_nothing_is_stored(admin_client, org, party, settings):
    settings.GUANXI_MAX_UPLOAD_MB = 1
    before = _stored_files()
    big = PDF + b"0" * (1024 * 1024)

    response = admin_client.post(
        _upload_url(party), {"file": _upload("big.pdf", big)}, headers=HTMX
    )

    assert response.status_code == 200
    assert "1 MB" in response.content.decode()
    assert _attachments(org) == []
    assert _stored_files() == before


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(admin_client, org, party, settings):
    settings.GUANXI_MAX_UPLOAD_MB = 1
    huge = PDF + b"0" * (3 * 1024 * 1024)

    response = admin_client.post(
        _upload_url(party), {"file": _upload("huge.pdf", huge)}, headers=HTMX
    )

    assert response.status_code == 200
    assert 'data-testid="attachment-errors"' in response.content.decode()
    assert _attachments(org) == []


def test_contacts_take_attachments_too(admin_client, org, party):
    contact = make_contact(party)

    response = admin_client.post(
        reverse("core:attachment_upload", args=["parties.contact", contact.pk]),
        {"file": _upload("名片.png", PNG)},
        headers=HTMX,
    )

    assert "名片.png" in response.content.decode()
    [attachment] = _attachments(org)
    assert (attachment.object_id, attachment.content_type.model) == (contact.pk, "contact")


def test_records_that_take_no_attachments_are_404(admin_client, org, admin_member):
    for key in ("accounts.user", "core.organisation", "nonsense", "parties.partytag"):
        url = reverse("core:attachment_panel", args=[key, admin_member.user.pk])
        assert admin_client.get(url).status_code == 404, key


# --- download ------------------------------------------------------------------------------------


def _attach(party, name="合同.pdf", content=PDF, actor=None) -> Attachment:
    with scope(org=party.org_id):
        return add_attachment(parent=party, actor=actor, upload=_upload(name, content))


def test_download_sends_the_file_with_safe_headers(admin_client, party):
    attachment = _attach(party)

    response = admin_client.get(reverse("core:attachment_download", args=[attachment.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"download.pdf\"; filename*=UTF-8''%E5%90%88%E5%90%8C.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_download_of_an_ascii_name_keeps_it(admin_client, party):
    attachment = _attach(party, name="quote v2.pdf")

    response = admin_client.get(reverse("core:attachment_download", args=[attachment.pk]))

    assert response["Content-Disposition"] == (
        "attachment; filename=\"quote v2.pdf\"; filename*=UTF-8''quote%20v2.pdf"
    )


def test_another_organisation_cannot_download_list_or_delete(client, other_org, party):
    attachment = _attach(party)
    login(client, make_member(other_org, "admin", username="outsider"))

    assert client.get(reverse("core:attachment_download", args=[attachment.pk])).status_code == 404
    assert client.post(reverse("core:attachment_delete", args=[attachment.pk])).status_code == 404
    panel = reverse("core:attachment_panel", args=["parties.party", party.pk])
    assert client.get(panel).status_code == 404
    assert client.post(_upload_url(party), {"file": _upload("a.pdf", PDF)}).status_code == 404
    assert len(_attachments(party.org)) == 1


def test_a_rep_who_cannot_see_the_customer_cannot_download(org, party, sales_member):
    attachment = _attach(party)
    client = login(Client(), sales_member)

    assert client.get(reverse("core:attachment_download", args=[attachment.pk])).status_code == 404


def test_files_of_a_deleted_customer_are_hidden(admin_client, org, party):
    attachment = _attach(party)
    admin_client.post(reverse("parties:party_delete", args=[party.pk]))

    assert (
        admin_client.get(reverse("core:attachment_download", args=[attachment.pk])).status_code
        == 404
    )


def test_readonly_member_downloads_but_may_not_add_or_delete(org, party, readonly_member):
    attachment = _attach(party)
    client = login(Client(), readonly_member)

    panel = client.get(reverse("core:attachment_panel", args=["parties.party", party.pk]))
    assert 'data-testid="attachment-upload-form"' not in panel.content.decode()
    assert client.get(reverse("core:attachment_download", args=[attachment.pk])).status_code == 200
    assert client.post(_upload_url(party), {"file": _upload("a.pdf", PDF)}).status_code == 403
    assert client.post(reverse("core:attachment_delete", args=[attachment.pk])).status_code == 403
    assert len(_attachments(org)) == 1


# --- delete ---------------------------------------------------------------------------------------


def test_delete_removes_the_row_and_then_the_file(
    admin_client, org, party, django_capture_on_commit_callbacks
):
    attachment = _attach(party)
    path = Path(attachment.file.path)
    assert path.exists() is True

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("core:attachment_delete", args=[attachment.pk]), headers=HTMX
        )

    assert response.status_code == 200
    assert 'data-testid="no-attachments"' in response.content.decode()
    assert _attachments(org) == []
    assert path.exists() is False
