"""Attachment pages (B8): the panel of a record's files, upload, download and delete.

Every view checks the record the file belongs to: a record (or file) the member may
not see is a 404; adding or deleting needs the right to change the record.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from guanxi.core.attachments import (
    AttachmentRefused,
    add_attachment,
    allowed_extensions,
    attachable_type,
    attachments_of,
    content_disposition,
    delete_attachment,
    get_attachment_for_user,
    max_upload_bytes,
    model_key,
    parent_for_user,
)
from guanxi.core.permissions import CHANGE, has_perm
from guanxi.web.forms import StyledFormMixin

# Room for the multipart envelope and the description around the file itself.
_ENVELOPE_BYTES = 64 * 1024


class AttachmentForm(StyledFormMixin, forms.Form):
    file = forms.FileField(label=gettext_lazy("File"))
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False)


def _panel_context(
    request: HttpRequest,
    parent: Any,
    type_key: str,
    form: AttachmentForm | None = None,
    upload_error: str = "",
) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    return {
        "parent": parent,
        "parent_key": model_key(parent),
        "attachments": list(attachments_of(parent)),
        "can_change": has_perm(membership, CHANGE, type_key),
        "form": form or AttachmentForm(),
        "accept": ",".join(f".{ext}" for ext in allowed_extensions()),
        "max_mb": max_upload_bytes() // (1024 * 1024),
        "upload_error": upload_error,
    }


def _render_panel(
    request: HttpRequest,
    parent: Any,
    type_key: str,
    form: AttachmentForm | None = None,
    upload_error: str = "",
) -> HttpResponse:
    htmx = getattr(request, "htmx", None)
    template = "core/attachments/panel.html"
    if htmx and not htmx.boosted:
        template += "#panel"
    context = _panel_context(request, parent, type_key, form, upload_error)
    return render(request, template, context)


def _back(parent: Any) -> HttpResponse:
    return redirect(reverse("core:attachment_panel", args=[model_key(parent), parent.pk]))


@login_required
@require_GET
def attachment_panel(request: HttpRequest, model_key: str, object_id: int) -> HttpResponse:
    membership = getattr(request, "membership", None)
    kind, parent = parent_for_user(membership, model_key, object_id)
    return _render_panel(request, parent, kind.type_key)


@login_required
@require_POST
def attachment_upload(request: HttpRequest, model_key: str, object_id: int) -> HttpResponse:
    membership = getattr(request, "membership", None)
    kind, parent = parent_for_user(membership, model_key, object_id, CHANGE)
    limit = max_upload_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit + _ENVELOPE_BYTES:
        # Refuse before reading (and spooling to disk) a body that cannot be accepted.
        error = _("The file is too large: at most %(mb)d MB.") % {"mb": limit // (1024 * 1024)}
        return _render_panel(request, parent, kind.type_key, upload_error=error)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment = add_attachment(
                parent=parent,
                actor=request.user,
                upload=form.cleaned_data["file"],
                description=form.cleaned_data["description"],
            )
        except AttachmentRefused as error:
            form.add_error("file", str(error.message))
        else:
            messages.success(
                request, _("“%(name)s” has been attached.") % {"name": attachment.original_name}
            )
            if getattr(request, "htmx", None):
                return _render_panel(request, parent, kind.type_key)
            return _back(parent)
    return _render_panel(request, parent, kind.type_key, form)


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    membership = getattr(request, "membership", None)
    attachment, _parent = get_attachment_for_user(membership, pk)
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.mime_type)
    response["Content-Disposition"] = content_disposition(attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    # Even if a browser were to render it, the file may run no script and load nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def attachment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    membership = getattr(request, "membership", None)
    attachment, parent = get_attachment_for_user(membership, pk, CHANGE)
    name = attachment.original_name
    kind_key = attachable_type(model_key(parent)).type_key
    delete_attachment(attachment=attachment, actor=request.user)
    messages.success(request, _("“%(name)s” has been deleted.") % {"name": name})
    if getattr(request, "htmx", None):
        return _render_panel(request, parent, kind_key)
    return _back(parent)
