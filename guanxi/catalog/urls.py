"""URLs of the products area (mounted at /products/)."""

from django.urls import path

from guanxi.catalog import picker_views

app_name = "catalog"

urlpatterns = [
    # the picker other apps' line editors use
    path("search/", picker_views.product_search, name="product_search"),
]
