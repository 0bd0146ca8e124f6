"""Routes of the program builder and the patient portal (included by config/api_router.py)."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

router = SimpleRouter(trailing_slash=True)
# Library and programs register here; the portal adds its paths below.

urlpatterns: list = [
    *router.urls,
]

__all__ = ["path", "urlpatterns"]
