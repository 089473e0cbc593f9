"""Attachment URLs (B8), included by guanxi.core.urls into the `core` namespace."""

from django.urls import path

from guanxi.core import attachment_views

urlpatterns = [
    path(
        "<str:model_key>/<int:object_id>/",
        attachment_views.attachment_panel,
        name="attachment_panel",
    ),
    path(
        "<str:model_key>/<int:object_id>/upload/",
        attachment_views.attachment_upload,
        name="attachment_upload",
    ),
    path("<int:pk>/download/", attachment_views.attachment_download, name="attachment_download"),
    path("<int:pk>/delete/", attachment_views.attachment_delete, name="attachment_delete"),
]
