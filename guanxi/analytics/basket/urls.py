"""URLs of the basket analysis (/analysis/basket/, namespace "analytics")."""

from django.urls import URLPattern, path

from guanxi.analytics.basket import views

urlpatterns: list[URLPattern] = [
    path("", views.basket_rules, name="basket_rules"),
    path("mine/", views.basket_mine, name="basket_mine"),
    path("runs/<int:pk>/", views.basket_run_status, name="basket_run_status"),
    path("settings/", views.basket_settings, name="basket_settings"),
    path("suggestions/", views.basket_suggestions, name="basket_suggestions"),
    path("customers/<int:party_pk>/", views.basket_party_tab, name="basket_party_tab"),
]
