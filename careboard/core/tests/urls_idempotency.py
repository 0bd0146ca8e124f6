"""The project's URLs plus a create endpoint made idempotent, for the mechanism's tests."""

from __future__ import annotations

from django.urls import path
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careboard.core.idempotency import idempotent
from careboard.organizations.models import Organization, Ward
from config.urls import urlpatterns as project_urlpatterns


class CreateWard(APIView):
    @idempotent
    def post(self, request: Request) -> Response:
        name = request.data.get("name")
        if not name:
            return Response({"name": ["required"]}, status=status.HTTP_400_BAD_REQUEST)
        # Numbered, so that the same body twice makes two wards (names are unique).
        ward = Ward.objects.create(
            organization=Organization.objects.get(), name=f"{name} #{Ward.objects.count() + 1}"
        )
        return Response({"id": str(ward.pk), "name": ward.name}, status=status.HTTP_201_CREATED)


urlpatterns = [path("api/test/wards/", CreateWard.as_view()), *project_urlpatterns]
