"""URLs of behavioural types (/analysis/types/); included by analytics/urls.py."""

from django.urls import path

from guanxi.analytics.behaviour import views

urlpatterns = [
    path("", views.type_list, name="behaviour_list"),
    path("customers/<int:party_pk>/", views.party_tab, name="behaviour_party_tab"),
    path("<slug:key>/", views.type_customers, name="behaviour_type"),
]
