"""Server-rendered pages of the program builder (included by config/urls.py)."""

from __future__ import annotations

from django.urls import path

from careboard.builder import handouts

app_name = "builder"
urlpatterns = [
    path("<uuid:assignment_id>/", handouts.handout, name="handout"),
]
