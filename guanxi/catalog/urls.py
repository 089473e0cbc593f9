"""URLs of the products area (mounted at /products/)."""

from django.urls import path

from guanxi.catalog import exchange_views, list_views, picker_views, record_views

app_name = "catalog"

urlpatterns = [
    # the list, its category tree and bulk actions
    path("", list_views.product_list, name="product_list"),
    path("bulk/", list_views.product_bulk, name="product_bulk"),
    path("categories/add/", list_views.category_add, name="category_add"),
    path("categories/<int:pk>/rename/", list_views.category_rename, name="category_rename"),
    path("categories/<int:pk>/move/", list_views.category_move, name="category_move"),
    path("categories/<int:pk>/delete/", list_views.category_delete, name="category_delete"),
    path("brands/", list_views.brand_list, name="brand_list"),
    path("brands/<int:pk>/rename/", list_views.brand_rename, name="brand_rename"),
    path("brands/<int:pk>/delete/", list_views.brand_delete, name="brand_delete"),
    # the picker other apps' line editors use
    path("search/", picker_views.product_search, name="product_search"),
    # one product
    path("new/", record_views.product_create, name="product_create"),
    path("<int:pk>/", record_views.product_detail, name="product_detail"),
    path("<int:pk>/edit/", record_views.product_edit, name="product_edit"),
    path("<int:pk>/image/", record_views.product_image, name="product_image"),
    path("<int:pk>/void/", record_views.product_void, name="product_void"),
    path("<int:pk>/restore/", record_views.product_restore, name="product_restore"),
    path("<int:pk>/delete/", record_views.product_delete, name="product_delete"),
    path("<int:pk>/tabs/details/", record_views.product_details_tab, name="product_details_tab"),
    path(
        "<int:pk>/tabs/components/",
        record_views.product_components_tab,
        name="product_components_tab",
    ),
    path("<int:pk>/tabs/history/", record_views.product_history_tab, name="product_history_tab"),
    path(
        "<int:pk>/history/<int:history_id>/restore/",
        record_views.product_history_restore,
        name="product_history_restore",
    ),
    path("<int:pk>/components/add/", record_views.component_add, name="component_add"),
    path(
        "<int:pk>/components/<int:line_id>/quantity/",
        record_views.component_quantity,
        name="component_quantity",
    ),
    path(
        "<int:pk>/components/<int:line_id>/remove/",
        record_views.component_remove,
        name="component_remove",
    ),
    # import and export (D3)
    path("import/", exchange_views.import_start, name="import_start"),
    path("import/template.csv", exchange_views.import_template, name="import_template"),
    path("import/history/", exchange_views.import_list, name="import_list"),
    path("import/<int:pk>/", exchange_views.import_detail, name="import_detail"),
    path("import/<int:pk>/mapping/", exchange_views.import_mapping, name="import_mapping"),
    path("import/<int:pk>/progress/", exchange_views.import_progress, name="import_progress"),
    path("import/<int:pk>/check/", exchange_views.import_check, name="import_check"),
    path("import/<int:pk>/run/", exchange_views.import_run, name="import_run"),
    path("export/", exchange_views.export, name="export"),
]
