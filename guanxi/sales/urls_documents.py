"""URLs of the sales documents: quotes, orders and pre-orders, purchase orders."""

from django.urls import path

from guanxi.sales import documents_views as views

urlpatterns = [
    # quotes (报价单)
    path("quotes/", views.quote_list, name="quote_list"),
    path("quotes/new/", views.quote_create, name="quote_create"),
    path(
        "quotes/from-opportunity/<int:opportunity_pk>/",
        views.quote_from_opportunity,
        name="quote_from_opportunity",
    ),
    path("quotes/<int:pk>/", views.quote_detail, name="quote_detail"),
    path("quotes/<int:pk>/edit/", views.quote_edit, name="quote_edit"),
    path("quotes/<int:pk>/status/", views.quote_status, name="quote_status"),
    path("quotes/<int:pk>/convert/", views.quote_convert, name="quote_convert"),
    path("quotes/<int:pk>/send/", views.quote_send, name="quote_send"),
    path("quotes/<int:pk>/delete/", views.quote_delete, name="quote_delete"),
    # orders and pre-orders (订单 / 合同, 预订单)
    path("orders/", views.order_list, name="order_list"),
    path("orders/new/", views.order_create, name="order_create"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/edit/", views.order_edit, name="order_edit"),
    path("orders/<int:pk>/confirm/", views.order_confirm, name="order_confirm"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path("orders/<int:pk>/split/", views.order_split, name="order_split"),
    path("orders/<int:pk>/lock/", views.order_lock, name="order_lock"),
    path("orders/<int:pk>/delete/", views.order_delete, name="order_delete"),
    # purchase orders (采购订单)
    path("purchase-orders/", views.purchase_order_list, name="purchase_order_list"),
    path("purchase-orders/new/", views.purchase_order_create, name="purchase_order_create"),
    path("purchase-orders/<int:pk>/", views.purchase_order_detail, name="purchase_order_detail"),
    path("purchase-orders/<int:pk>/edit/", views.purchase_order_edit, name="purchase_order_edit"),
    path(
        "purchase-orders/<int:pk>/<str:action>/",
        views.purchase_order_action,
        name="purchase_order_action",
    ),
    # print view and PDF of any of them
    path("documents/<str:kind>/<int:pk>/print/", views.document_print, name="document_print"),
    path("documents/<str:kind>/<int:pk>/pdf/", views.document_pdf, name="document_pdf"),
    # the line editor and pickers
    path("documents/price-preview/", views.price_preview, name="document_price_preview"),
    path("documents/party-options/", views.party_options, name="document_party_options"),
    path("documents/contact-options/", views.contact_options, name="document_contact_options"),
    # tabs of the customer / supplier page
    path("parties/<int:party_pk>/quotes/", views.party_quotes_tab, name="party_quotes_tab"),
    path("parties/<int:party_pk>/orders/", views.party_orders_tab, name="party_orders_tab"),
    path(
        "parties/<int:party_pk>/purchase-orders/",
        views.party_purchase_orders_tab,
        name="party_purchase_orders_tab",
    ),
]
