"""Routes of the program builder and the patient portal (included by config/api_router.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from careboard.builder.api import assignment_views, portal_views, views

router = SimpleRouter(trailing_slash=True)
# Library and programs register here; the portal adds its paths below.
router.register("exercises", views.ExerciseViewSet, basename="exercise")
router.register("programs", views.ProgramViewSet, basename="program")
router.register("assignments", assignment_views.AssignmentViewSet, basename="assignment")

urlpatterns: list[URLPattern | URLResolver] = [
    # One item of a program (the builder's granular edits).
    path(
        "programs/<uuid:program_id>/sessions/<uuid:session_id>/items/",
        views.ProgramItemsView.as_view(),
        name="program-session-items",
    ),
    path(
        "programs/<uuid:program_id>/sessions/<uuid:session_id>/items/<uuid:item_id>/",
        views.ProgramItemView.as_view(),
        name="program-session-item",
    ),
    # Assignments and the patient portal.
    path(
        "programs/<uuid:program_id>/assign/",
        assignment_views.ProgramAssignView.as_view(),
        name="program-assign",
    ),
    path("portal/today/", portal_views.PortalTodayView.as_view(), name="portal-today"),
    path("portal/program/", portal_views.PortalProgramView.as_view(), name="portal-program"),
    path("portal/logs/", portal_views.PortalLogsView.as_view(), name="portal-logs"),
    *router.urls,
]

__all__ = ["path", "urlpatterns"]
