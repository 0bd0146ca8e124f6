"""The page that loads the Vue app. Staff pages need a signed-in session; the patient
portal does not (the patient's token travels in the URL fragment, never to the server)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie

# The first path segment of every page of the app (frontend/src/router.ts).
APP_SECTIONS = (
    "wards",
    "critical",
    "patients",
    "library",
    "programs",
    "assignments",
    "settings",
    "about",
)


@never_cache
@ensure_csrf_cookie
@login_required
def app(request: HttpRequest, path: str = "") -> HttpResponse:
    return render(request, "app.html")


@never_cache
def portal(request: HttpRequest) -> HttpResponse:
    return render(request, "app.html")
