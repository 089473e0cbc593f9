"""URLs of the money area (mounted at /finance/)."""

from django.urls import path

from guanxi.finance import query_views, report_views, reset_views, views

app_name = "finance"

urlpatterns = [
    # receipts and payments (C9)
    path("money/", views.money_list, name="money_list"),
    path("money/new/", views.money_create, name="money_create"),
    path("money/<int:pk>/", views.money_detail, name="money_detail"),
    path("money/<int:pk>/edit/", views.money_edit, name="money_edit"),
    path("money/<int:pk>/post/", views.money_post, name="money_post"),
    path("money/<int:pk>/reverse/", views.money_reverse, name="money_reverse"),
    path("money/<int:pk>/delete/", views.money_delete, name="money_delete"),
    path("money/<int:pk>/allocate/", views.money_allocate, name="money_allocate"),
    path("money/pickers/parties/", views.party_options, name="party_options"),
    path("money/pickers/allocations/", views.allocation_rows_view, name="allocation_rows"),
    # receivables and payables
    path("receivables/", report_views.summary, {"book": "receivable"}, name="receivables"),
    path("payables/", report_views.summary, {"book": "payable"}, name="payables"),
    path("accounts/<str:book>/<int:party_pk>/", report_views.party_account, name="party_account"),
    path(
        "accounts/<str:book>/<int:party_pk>/statement/",
        report_views.party_statement,
        name="party_statement",
    ),
    path("accounts/<str:book>/<int:party_pk>/tab/", report_views.party_tab, name="party_tab"),
    # the query centre (C10)
    path("query/sales/", query_views.ledger_view, {"ledger": "sales"}, name="sales_ledger"),
    path(
        "query/purchases/",
        query_views.ledger_view,
        {"ledger": "purchases"},
        name="purchase_ledger",
    ),
    path("query/<str:ledger>/", query_views.ledger_view, name="ledger"),
    path(
        "query/<str:ledger>/export/<str:file_format>/",
        query_views.ledger_export,
        name="ledger_export",
    ),
    path("prices/", query_views.price_history, name="price_history"),
    path("prices/customers/<int:party_pk>/", query_views.party_price_tab, name="party_price_tab"),
    path(
        "prices/products/<int:product_pk>/",
        query_views.product_price_tab,
        name="product_price_tab",
    ),
    # data initialisation (A4)
    path("settings/clear-sales-and-stock/", reset_views.data_reset, name="data_reset"),
]
