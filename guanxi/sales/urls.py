"""URLs of the sales app: the pipeline (leads, opportunities, targets) and the
documents (quotes, orders, purchase orders) live in their own modules."""

from django.urls import include, path

app_name = "sales"

urlpatterns = [
    path("", include("guanxi.sales.urls_pipeline")),
    path("", include("guanxi.sales.urls_documents")),
]
