"""URLs of the customers area. Each part of the area keeps its own module."""

from django.urls import include, path

app_name = "parties"

urlpatterns = [
    # lists, categories, A–Z, groups and segments, bulk actions
    path("", include("guanxi.parties.urls_list")),
    # add/edit, the 360° page, contacts, lock, restricted records, history
    path("", include("guanxi.parties.urls_records")),
    # import, export, duplicates and merge, the shared pool and handover
    path("", include("guanxi.parties.urls_exchange")),
]
