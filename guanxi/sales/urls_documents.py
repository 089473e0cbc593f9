"""URLs of the sales documents."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
