"""Catch-all for unknown API paths, so that even with DEBUG on they answer problem details."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from careboard.core.problems import problem_response


def api_not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    return problem_response(404, detail="No API resource at this path.")
