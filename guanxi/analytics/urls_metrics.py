"""URLs of the customer metrics (under /analysis/); included by analytics/urls.py."""

from django.urls import URLPattern, path

from guanxi.analytics import views_metrics as views

urlpatterns: list[URLPattern] = [
    path("metrics/", views.metrics_list, name="metrics"),
    path("metrics/refresh/", views.refresh, name="metrics_refresh"),
    path("metrics/runs/<int:run_id>/", views.run_status, name="metrics_run"),
    path("metrics/settings/", views.settings_page, name="metrics_settings"),
    path("metrics/customer/<int:party_id>/", views.party_tab, name="metrics_party_tab"),
    path("churn/", views.churn_list, name="churn"),
    path("churn/plan-visits/", views.plan_visits, name="churn_plan_visits"),
]
