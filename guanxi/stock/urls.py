"""URLs of the stock area (mounted at /stock/)."""

from django.urls import path

from guanxi.stock import document_views, views

app_name = "stock"

urlpatterns = [
    # stock documents (C8)
    path("", document_views.document_list, name="document_list"),
    path("documents/new/", document_views.document_create, name="document_create"),
    path("documents/<int:pk>/", document_views.document_detail, name="document_detail"),
    path("documents/<int:pk>/edit/", document_views.document_edit, name="document_edit"),
    path("documents/<int:pk>/post/", document_views.document_post, name="document_post"),
    path("documents/<int:pk>/reverse/", document_views.document_reverse, name="document_reverse"),
    path("documents/<int:pk>/correct/", document_views.document_correct, name="document_correct"),
    path("documents/<int:pk>/delete/", document_views.document_delete, name="document_delete"),
    path(
        "documents/<int:pk>/return/",
        document_views.return_from_document,
        name="return_from_document",
    ),
    path(
        "from-order/<int:order_pk>/",
        document_views.delivery_from_order,
        name="delivery_from_order",
    ),
    path(
        "from-purchase-order/<int:po_pk>/",
        document_views.receipt_from_purchase_order,
        name="receipt_from_purchase_order",
    ),
    # stock on hand, ledgers, serial numbers, reorder suggestions (D4, D6)
    path("on-hand/", views.stock_on_hand, name="stock_on_hand"),
    path("ageing/", views.stock_ageing, name="stock_ageing"),
    path("products/<int:pk>/ledger/", views.product_ledger, name="product_ledger"),
    path("products/<int:pk>/panel/", views.product_stock_panel, name="product_stock_panel"),
    path("serials/", views.serial_list, name="serial_list"),
    path("serials/<int:pk>/", views.serial_detail, name="serial_detail"),
    path("reorder/", views.reorder_suggestions, name="reorder_suggestions"),
    # warehouses
    path("warehouses/", views.warehouse_list, name="warehouse_list"),
    path("warehouses/new/", views.warehouse_create, name="warehouse_create"),
    path("warehouses/<int:pk>/edit/", views.warehouse_edit, name="warehouse_edit"),
    # panels other pages load
    path(
        "customers/<int:party_pk>/documents/",
        views.party_documents_panel,
        name="party_documents_panel",
    ),
]
