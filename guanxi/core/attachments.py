"""Attachments (B8): files on any record, checked on the way in, served only after an
access check on the record they belong to.

A kind of record accepts attachments once its app registers it with
`register_attachable` (usually from the app's `registrations` module). Whoever may see
the record may list and download its files; whoever may change it may add and delete
them. The permission object type comes from the model's `permission_type`.

An upload is refused unless its extension is on the allowlist *and* its content
matches (sniffed with `filetype`), so an ``.exe`` renamed ``.pdf`` is refused. The
stored file name is random (`core.models.attachment_path`); the user's name is kept
only in `original_name` and sent back in an RFC 5987 Content-Disposition header.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import filetype
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.exceptions import DomainError
from guanxi.core.models import Attachment
from guanxi.core.permissions import (
    VIEW,
    MembershipLike,
    get_visible_or_404,
    require_perm,
)
from guanxi.core.scoping import org_scope
from guanxi.core.selectors import permission_type_of

# --- what may be uploaded -----------------------------------------------------------------

_PDF = "application/pdf"
_ZIP = "application/zip"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Office 97-2003 compound file
_TEXT = "text"  # no binary signature: the content must look like text

# extension → the sniffed types its content may have.
ALLOWED_TYPES: dict[str, frozenset[str]] = {
    "pdf": frozenset({_PDF}),
    "jpg": frozenset({"image/jpeg"}),
    "jpeg": frozenset({"image/jpeg"}),
    "png": frozenset({"image/png"}),
    "gif": frozenset({"image/gif"}),
    "webp": frozenset({"image/webp"}),
    "bmp": frozenset({"image/bmp"}),
    "tif": frozenset({"image/tiff"}),
    "tiff": frozenset({"image/tiff"}),
    "heic": frozenset({"image/heic"}),
    "doc": frozenset({"application/msword"}),
    "xls": frozenset({"application/vnd.ms-excel"}),
    "ppt": frozenset({"application/vnd.ms-powerpoint"}),
    # Office Open XML files are zip archives; filetype names them only when the
    # telling entry sits in the first few kilobytes.
    "docx": frozenset(
        {_ZIP, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
    ),
    "xlsx": frozenset({_ZIP, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
    "pptx": frozenset(
        {_ZIP, "application/vnd.openxmlformats-officedocument.presentationml.presentation"}
    ),
    "odt": frozenset({_ZIP, "application/vnd.oasis.opendocument.text"}),
    "ods": frozenset({_ZIP, "application/vnd.oasis.opendocument.spreadsheet"}),
    "odp": frozenset({_ZIP, "application/vnd.oasis.opendocument.presentation"}),
    "rtf": frozenset({"application/rtf"}),
    "txt": frozenset({_TEXT}),
    "csv": frozenset({_TEXT}),
    # A zip whose entries make it look like an Office or OpenDocument file is still a zip.
    "zip": frozenset(
        {
            _ZIP,
            "application/epub+zip",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "application/vnd.oasis.opendocument.text",
            "application/vnd.oasis.opendocument.spreadsheet",
            "application/vnd.oasis.opendocument.presentation",
        }
    ),
    "rar": frozenset({"application/x-rar-compressed"}),
    "7z": frozenset({"application/x-7z-compressed"}),
    "gz": frozenset({"application/gzip"}),
    "mp3": frozenset({"audio/mpeg"}),
    "m4a": frozenset({"audio/mp4", "video/mp4"}),
    "wav": frozenset({"audio/x-wav"}),
    "amr": frozenset({"audio/amr"}),
    "mp4": frozenset({"video/mp4"}),
    "mov": frozenset({"video/quicktime"}),
}
_OLE_EXTENSIONS = frozenset({"doc", "xls", "ppt"})

# extension → the Content-Type the file is served with.
SERVED_TYPES: dict[str, str] = {
    "pdf": _PDF,
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "bmp": "image/bmp",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "heic": "image/heic",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "rtf": "application/rtf",
    "txt": "text/plain; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "zip": _ZIP,
    "rar": "application/vnd.rar",
    "7z": "application/x-7z-compressed",
    "gz": "application/gzip",
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "wav": "audio/wav",
    "amr": "audio/amr",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
}

SNIFF_BYTES = 8192


class AttachmentRefused(DomainError):
    """An upload was refused: too big, empty, or not a file type that is accepted."""

    status_code = 400
    code = "attachment_refused"
    default_message = gettext_lazy("This file cannot be attached.")


def max_upload_bytes() -> int:
    return int(getattr(settings, "GUANXI_MAX_UPLOAD_MB", 20)) * 1024 * 1024


def allowed_extensions() -> list[str]:
    return sorted(ALLOWED_TYPES)


def clean_file_name(name: str) -> str:
    """Return the user's file name without directories or control characters (≤ 255 chars)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if not base:
        return "file"
    if len(base) > 255:
        stem, ext = os.path.splitext(base)
        base = stem[: 255 - len(ext)] + ext
    return base


def extension_of(name: str) -> str:
    return os.path.splitext(name)[1].lower().lstrip(".")


def _looks_like_text(head: bytes) -> bool:
    return b"\x00" not in head


def check_upload(upload: UploadedFile) -> tuple[str, str]:
    """Return (clean file name, content type to serve) for an acceptable upload.

    Raise AttachmentRefused when the file is empty, larger than GUANXI_MAX_UPLOAD_MB, has
    an extension not on the allowlist, or content that does not match its extension.
    """
    name = clean_file_name(upload.name or "")
    size = upload.size or 0
    if size <= 0:
        raise AttachmentRefused(_("The file is empty."), field="file")
    limit = max_upload_bytes()
    if size > limit:
        raise AttachmentRefused(
            _("The file is too large: at most %(mb)d MB.") % {"mb": limit // (1024 * 1024)},
            field="file",
        )
    ext = extension_of(name)
    allowed = ALLOWED_TYPES.get(ext)
    if allowed is None:
        raise AttachmentRefused(
            _("Files of type “%(ext)s” cannot be attached. Accepted: %(list)s.")
            % {"ext": ext or "?", "list": ", ".join(allowed_extensions())},
            field="file",
        )
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    kind = filetype.guess(head)
    sniffed = kind.mime if kind is not None else None
    if _TEXT in allowed:
        ok = sniffed is None and _looks_like_text(head)
    elif ext in _OLE_EXTENSIONS:
        # Some Office 97-2003 files carry only the compound-file signature.
        ok = sniffed in allowed or (sniffed is None and head.startswith(_OLE_MAGIC))
    else:
        ok = sniffed in allowed
    if not ok:
        raise AttachmentRefused(
            _(
                "The content of “%(name)s” does not match its extension “.%(ext)s”; "
                "the file was not attached."
            )
            % {"name": name, "ext": ext},
            field="file",
        )
    return name, SERVED_TYPES[ext]


# --- which records accept attachments --------------------------------------------------

Getter = Callable[[MembershipLike | None, Any], models.Model]


@dataclass(frozen=True)
class AttachableType:
    key: str  # "app_label.model_name"
    model: type[models.Model]
    type_key: str  # the permission object type
    get_visible: Getter  # returns the visible record or raises Http404


_ATTACHABLE: dict[str, AttachableType] = {}


def model_key(model: type[models.Model] | models.Model) -> str:
    return str(model._meta.label_lower)


def register_attachable(
    model: type[models.Model], *, get_visible: Getter | None = None
) -> AttachableType:
    """Let records of `model` carry attachments.

    `get_visible(membership, pk)` returns the record when the member may see it and
    raises Http404 otherwise; by default the permission service decides with the
    model's `permission_type`.
    """
    type_key = permission_type_of(model)
    if type_key is None:
        raise ImproperlyConfigured(
            f"{model.__name__} needs a registered permission_type to carry attachments"
        )

    def default_getter(membership: MembershipLike | None, pk: Any) -> models.Model:
        return get_visible_or_404(model._default_manager.all(), membership, type_key, pk=pk)

    entry = AttachableType(
        key=model_key(model),
        model=model,
        type_key=type_key,
        get_visible=get_visible or default_getter,
    )
    _ATTACHABLE[entry.key] = entry
    return entry


def attachable_type(key: str) -> AttachableType:
    """Return the registered kind of record `key`; Http404 when it takes no attachments."""
    try:
        return _ATTACHABLE[key]
    except KeyError as exc:
        raise Http404 from exc


def parent_for_user(
    membership: MembershipLike | None, key: str, object_id: Any, action: str = VIEW
) -> tuple[AttachableType, models.Model]:
    """Return the record attachments hang on, checked for the member.

    Raise Http404 when the record is missing or invisible, PermissionDenied when it is
    visible but `action` (CHANGE for adding or deleting files) is not granted.
    """
    kind = attachable_type(key)
    parent = kind.get_visible(membership, object_id)
    if action != VIEW:
        require_perm(membership, action, kind.type_key)
    return kind, parent


def attachments_of(parent: models.Model) -> QuerySet[Attachment]:
    content_type = ContentType.objects.get_for_model(parent)
    with org_scope(parent.org_id):  # type: ignore[attr-defined]
        return Attachment.objects.filter(
            content_type=content_type, object_id=parent.pk
        ).select_related("uploaded_by")


def get_attachment_for_user(
    membership: MembershipLike | None, pk: Any, action: str = VIEW
) -> tuple[Attachment, models.Model]:
    """Return an attachment and its record when the member may see (or `action`) the record.

    Raise Http404 for a missing attachment, one of another organisation or one whose
    record the member may not see; PermissionDenied for a refused action.
    """
    if membership is None:
        raise Http404
    try:
        attachment = Attachment.objects.filter(org_id=membership.org_id).get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    content_type = ContentType.objects.get_for_id(attachment.content_type_id)
    key = f"{content_type.app_label}.{content_type.model}"
    _kind, parent = parent_for_user(membership, key, attachment.object_id, action)
    return attachment, parent


# --- writing ---------------------------------------------------------------------------


@transaction.atomic
def add_attachment(
    *, parent: models.Model, actor: Any, upload: UploadedFile, description: str = ""
) -> Attachment:
    """Store `upload` as an attachment of `parent`. Raise AttachmentRefused."""
    name, content_type_name = check_upload(upload)
    org_id = parent.org_id  # type: ignore[attr-defined]
    attachment = Attachment(
        org_id=org_id,
        content_type=ContentType.objects.get_for_model(parent),
        object_id=parent.pk,
        original_name=name,
        size=upload.size or 0,
        mime_type=content_type_name,
        description=(description or "").strip()[:200],
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    # The storage name comes from attachment_path (random); the user's name is not used.
    attachment.file.save(name, upload, save=False)
    stored = attachment.file.name or ""
    storage = attachment.file.storage
    try:
        with org_scope(org_id):
            attachment.save()
    except Exception:
        storage.delete(stored)
        raise
    return attachment


@transaction.atomic
def delete_attachment(*, attachment: Attachment, actor: Any) -> None:
    """Delete an attachment; its file goes once the deletion is committed."""
    name = attachment.file.name
    storage = attachment.file.storage
    with org_scope(attachment.org_id):
        attachment.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))


# --- serving -----------------------------------------------------------------------------


def content_disposition(filename: str) -> str:
    """Return an `attachment` Content-Disposition with an ASCII fallback and the UTF-8 name.

    RFC 6266 / RFC 5987: `filename*=UTF-8''…` carries the real (e.g. Chinese) name;
    `filename="…"` is for clients that ignore it.
    """
    ext = extension_of(filename)
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    fallback = "".join(ch for ch in fallback if ch.isprintable() and ch not in '"\\;')
    fallback = fallback.strip() or (f"download.{ext}" if ext else "download")
    if fallback.startswith(".") or fallback == f".{ext}":
        fallback = f"download{fallback}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
