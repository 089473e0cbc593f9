"""Top-level URLs: the shell, accounts, settings and the API."""

from django.urls import include, path

from guanxi.api.api import api

urlpatterns = [
    path("", include("guanxi.web.urls")),
    path("accounts/", include("guanxi.accounts.urls")),
    path("core/", include("guanxi.core.urls")),
    path("customers/", include("guanxi.parties.urls")),
    path("activities/", include("guanxi.activities.urls")),
    path("products/", include("guanxi.catalog.urls")),
    path("sales/", include("guanxi.sales.urls")),
    path("stock/", include("guanxi.stock.urls")),
    path("finance/", include("guanxi.finance.urls")),
    path("analysis/", include("guanxi.analytics.urls")),
    path("api/v1/", api.urls),
]

handler500 = "guanxi.web.views.server_error"
