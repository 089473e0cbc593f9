"""URLs of one part of the analytics area; included by analytics/urls.py."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
