"""URLs of behavioural types; included by analytics/urls.py."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
