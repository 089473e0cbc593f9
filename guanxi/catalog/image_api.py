"""Upload and remove a product's picture through the API (multipart).

No `from __future__ import annotations`: Ninja resolves the `File[...]`/`Form[...]`
parameter annotations at import time.
"""

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile

from guanxi.catalog.api import WRITE_ERRORS, ProductOut, _one, _product, _renamed
from guanxi.catalog.models import Product
from guanxi.catalog.services import update_product
from guanxi.core.permissions import CHANGE

router = Router(tags=["catalog"])


class VersionQuery(Schema):
    version: int


@router.post("/products/{id}/image", response={200: ProductOut, **WRITE_ERRORS})
def upload_product_image(
    request: HttpRequest, id: int, image: File[UploadedFile], version: Form[int]
) -> Product:
    """Set the product's picture (multipart field `image`: JPEG, PNG, GIF or WebP, at most
    5 MB and 40 megapixels, checked by opening it). `version` is the product's current
    version: an old one answers 409 `stale_edit`. A refused file answers 422 on `image`
    and changes nothing."""
    product = _product(request, id, CHANGE)
    try:
        update_product(
            product=product, actor=request.user, data={"image": image}, expected_version=version
        )
    except ValidationError as error:
        raise _renamed(error) from error
    return _one(request.auth, product)  # type: ignore[attr-defined]


@router.delete("/products/{id}/image", response={200: ProductOut, **WRITE_ERRORS})
def delete_product_image(request: HttpRequest, id: int, query: Query[VersionQuery]) -> Product:
    """Remove the product's picture (`version` as on upload)."""
    product = _product(request, id, CHANGE)
    update_product(
        product=product, actor=request.user, data={"image": ""}, expected_version=query.version
    )
    return _one(request.auth, product)  # type: ignore[attr-defined]
