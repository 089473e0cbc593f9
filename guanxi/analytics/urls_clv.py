"""URLs of the lifetime-value model page (under /analysis/); included by analytics/urls.py."""

from django.urls import URLPattern, path

from guanxi.analytics import views_clv as views

urlpatterns: list[URLPattern] = [
    path("clv/", views.clv_model, name="clv"),
    path("clv/refit/", views.clv_refit, name="clv_refit"),
]
