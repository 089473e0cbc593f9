"""URLs of the dashboard and the person page; included by analytics/urls.py."""

from django.urls import path

from guanxi.analytics import views_dashboard as views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("dashboard/customers/", views.dashboard_customers, name="dashboard_customers"),
    path("people/<int:user_id>/", views.person, name="person"),
]
