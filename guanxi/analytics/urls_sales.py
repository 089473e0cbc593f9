"""URLs of the sales analysis pages (trend and composition, Pareto, funnel); included by
analytics/urls.py."""

from django.urls import URLPattern, path

from guanxi.analytics import views_sales as views

urlpatterns: list[URLPattern] = [
    path("sales/", views.sales_analysis, name="sales"),
    path("pareto/", views.pareto_page, name="pareto"),
    path("funnel/", views.funnel_page, name="funnel"),
]
