"""URLs of the stock app."""

from django.urls import path  # noqa: F401

app_name = "stock"

urlpatterns: list = []
