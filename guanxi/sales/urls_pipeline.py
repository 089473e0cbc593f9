"""URLs of the sales pipeline: leads, opportunities, the kanban, targets, the overview and
the sales settings (names in the "sales" namespace)."""

from django.urls import path

from guanxi.sales import settings_views

urlpatterns: list = [
    path("settings/", settings_views.sales_settings_page, name="settings"),
]
