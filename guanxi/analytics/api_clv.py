"""API of one part of the analytics area; mounted by guanxi/api/api.py."""

from ninja import Router

router = Router(tags=["analytics"])
