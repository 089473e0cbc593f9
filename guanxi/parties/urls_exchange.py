"""Import, export, duplicates and merge, the shared pool and handover."""

from django.urls import path

from guanxi.parties import exchange_views as views

urlpatterns = [
    # import (B15)
    path("import/", views.import_start, name="import_start"),
    path("import/template.csv", views.import_template, name="import_template"),
    path("import/history/", views.import_list, name="import_list"),
    path("import/<int:pk>/", views.import_detail, name="import_detail"),
    path("import/<int:pk>/mapping/", views.import_mapping, name="import_mapping"),
    path("import/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("import/<int:pk>/check/", views.import_check, name="import_check"),
    path("import/<int:pk>/run/", views.import_run, name="import_run"),
    # export (B15)
    path("export/", views.export, name="export"),
    # duplicates and merge (B16)
    path("duplicates/", views.duplicates, name="duplicates"),
    path("merge/", views.merge, name="merge"),
    # the shared pool (K1) and handover
    path("pool/", views.pool_list, name="pool"),
    path("pool/<int:pk>/claim/", views.pool_claim, name="pool_claim"),
    path("pool/<int:pk>/release/", views.pool_release, name="pool_release"),
    path("pool/settings/", views.pool_settings, name="pool_settings"),
    path("pool/report/", views.pool_report, name="pool_report"),
    path("handover/", views.handover, name="handover"),
]
