"""URLs of the analytics area (/analysis/): each part keeps its own module."""

from django.urls import include, path

app_name = "analytics"

urlpatterns = [
    path("", include("guanxi.analytics.urls_dashboard")),
    path("", include("guanxi.analytics.urls_sales")),
    path("", include("guanxi.analytics.urls_metrics")),
    path("", include("guanxi.analytics.urls_clv")),
    path("basket/", include("guanxi.analytics.basket.urls")),
    path("reports/", include("guanxi.analytics.reports.urls")),
    path("types/", include("guanxi.analytics.behaviour.urls")),
]
