"""Server-rendered pages of the users app."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in landing page: who you are, where you belong, where to go next."""
    memberships = request.user.memberships.select_related("organization").order_by(
        "organization__name"
    )
    return render(request, "pages/home.html", {"memberships": memberships})
