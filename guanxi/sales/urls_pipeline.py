"""URLs of the sales pipeline."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
