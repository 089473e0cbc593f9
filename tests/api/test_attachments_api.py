from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scope

from guanxi.core.models import Attachment
from tests.api.conftest import API
from tests.parties.list_helpers import make_party


def upload(client, party, content=b"hello", name="notes.txt", record="parties.party"):
    return client.post(
        f"{API}/attachments",
        {
            "record": record,
            "record_id": party.pk,
            "file": SimpleUploadedFile(name, content, "text/plain"),
        },
    )


def test_upload_list_download_delete(admin_api, admin_member, org):
    party = make_party(org, admin_member.user)
    response = upload(admin_api, party, name="报价说明.txt")
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "报价说明.txt"

    listed = admin_api.get(f"{API}/attachments?record=parties.party&record_id={party.pk}").json()
    assert [a["id"] for a in listed] == [body["id"]]

    download = admin_api.get(body["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"hello"
    assert "filename*=UTF-8''" in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"

    assert admin_api.delete(f"{API}/attachments/{body['id']}").status_code == 204
    with scope(org=org.pk):
        assert Attachment.objects.count() == 0


def test_disguised_upload_is_refused_and_nothing_stored(admin_api, admin_member, org):
    party = make_party(org, admin_member.user)
    response = upload(admin_api, party, content=b"MZ\x90\x00\x03\x00", name="report.pdf")
    assert response.status_code == 400
    assert response.json()["code"] == "attachment_refused"
    with scope(org=org.pk):
        assert Attachment.objects.count() == 0


def test_other_organisations_records_and_files_are_404(admin_api, other_admin_member, other_org):
    theirs = make_party(other_org, other_admin_member.user)
    assert upload(admin_api, theirs).status_code == 404
    with scope(org=other_org.pk):
        from guanxi.core.attachments import add_attachment

        file = add_attachment(
            parent=theirs, actor=None, upload=SimpleUploadedFile("x.txt", b"x", "text/plain")
        )
    assert admin_api.get(f"{API}/attachments/{file.pk}/download").status_code == 404
    assert admin_api.delete(f"{API}/attachments/{file.pk}").status_code == 404


def test_reader_may_list_but_not_upload(org, admin_member, readonly_member):
    from tests.api.conftest import issue_token, token_client

    party = make_party(org, admin_member.user)
    reader = token_client(issue_token(readonly_member))
    assert (
        reader.get(f"{API}/attachments?record=parties.party&record_id={party.pk}").status_code
        == 200
    )
    assert upload(reader, party).status_code == 403
