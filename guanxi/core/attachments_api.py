"""The attachments API (B8): list, upload, download and delete the files of a record.

A record is named by its kind (`parties.party`, `parties.contact`, …: the registered
attachable types) and its id. The same checks as the pages apply: a record the caller
may not see is a 404; uploading or deleting needs the right to change the record.

No `from __future__ import annotations`: Ninja resolves the `File[...]`/`Form[...]`
annotations at import time.
"""

from datetime import datetime
from typing import Any

from django.http import FileResponse, HttpRequest
from django.urls import reverse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from guanxi.api.errors import AUTH_ERRORS, error_responses
from guanxi.core.attachments import (
    add_attachment,
    attachments_of,
    content_disposition,
    delete_attachment,
    get_attachment_for_user,
    parent_for_user,
)
from guanxi.core.models import Attachment
from guanxi.core.permissions import CHANGE

router = Router(tags=["attachments"])


class AttachmentOut(Schema):
    id: int
    record: str
    record_id: int
    name: str
    size: int
    mime_type: str
    description: str
    uploaded_by: str | None
    created_at: datetime
    download_url: str


class RecordQuery(Schema):
    record: str
    record_id: int


def _out(attachment: Attachment, record: str) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "record": record,
        "record_id": attachment.object_id,
        "name": attachment.original_name,
        "size": attachment.size,
        "mime_type": attachment.mime_type,
        "description": attachment.description,
        "uploaded_by": str(attachment.uploaded_by) if attachment.uploaded_by else None,
        "created_at": attachment.created_at,
        "download_url": reverse("api:download_attachment", args=[attachment.pk]),
    }


@router.get(
    "/attachments",
    response={200: list[AttachmentOut], **error_responses(*AUTH_ERRORS, 404, 422)},
)
def list_attachments(request: HttpRequest, query: Query[RecordQuery]) -> list[dict[str, Any]]:
    """The files attached to one record, newest first."""
    _kind, parent = parent_for_user(getattr(request, "auth", None), query.record, query.record_id)
    return [_out(a, query.record) for a in attachments_of(parent)]


@router.post(
    "/attachments",
    response={201: AttachmentOut, **error_responses(*AUTH_ERRORS, 400, 404, 409, 422)},
)
def upload_attachment(
    request: HttpRequest,
    file: File[UploadedFile],
    record: Form[str],
    record_id: Form[int],
    description: Form[str] = "",
) -> Status[dict[str, Any]]:
    """Attach a file (multipart field `file`) to a record.

    Refused with 400 when it is too large, of a type not allowed, or its content does not
    match its extension; nothing is stored then.
    """
    _kind, parent = parent_for_user(getattr(request, "auth", None), record, record_id, CHANGE)
    attachment = add_attachment(
        parent=parent, actor=request.user, upload=file, description=description
    )
    return Status(201, _out(attachment, record))


@router.get(
    "/attachments/{id}/download",
    response={200: None, **error_responses(*AUTH_ERRORS, 404)},
    url_name="download_attachment",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file, as an attachment download.",
                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def download_attachment(request: HttpRequest, id: int) -> FileResponse:
    """Download a file; its content type is the one checked at upload."""
    attachment, _parent = get_attachment_for_user(getattr(request, "auth", None), id)
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.mime_type)
    response["Content-Disposition"] = content_disposition(attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@router.delete("/attachments/{id}", response={204: None, **error_responses(*AUTH_ERRORS, 404)})
def remove_attachment(request: HttpRequest, id: int) -> Status[None]:
    """Delete a file (needs the right to change its record)."""
    attachment, _parent = get_attachment_for_user(getattr(request, "auth", None), id, CHANGE)
    delete_attachment(attachment=attachment, actor=request.user)
    return Status(204, None)
