from django.urls import include, path

from guanxi.core import views

app_name = "core"

urlpatterns = [
    path("recycle-bin/", views.recycle_bin, name="recycle_bin"),
    path(
        "recycle-bin/<str:model_key>/<int:pk>/restore/",
        views.recycle_bin_restore,
        name="recycle_bin_restore",
    ),
    path("attachments/", include("guanxi.core.attachment_urls")),
    path("", include("guanxi.core.fields_urls")),
]
