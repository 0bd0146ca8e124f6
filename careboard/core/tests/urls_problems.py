"""The project's URLs plus API views that fail on purpose (412, 429, 500)."""

from __future__ import annotations

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from careboard.core.problems import PreconditionFailed
from config.urls import urlpatterns as project_urlpatterns


class Crash(APIView):
    permission_classes = ()

    def get(self, request: Request) -> Response:
        raise RuntimeError(f"boom: {request.query_params.get('name')}")


class Stale(APIView):
    permission_classes = ()

    def put(self, request: Request) -> Response:
        raise PreconditionFailed()


class OncePerDay(AnonRateThrottle):
    rate = "1/day"


class Throttled(APIView):
    permission_classes = ()
    throttle_classes = (OncePerDay,)

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


urlpatterns = [
    path("api/test/crash/", Crash.as_view()),
    path("api/test/stale/", Stale.as_view()),
    path("api/test/throttled/", Throttled.as_view()),
    *project_urlpatterns,
]
