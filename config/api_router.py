"""Every REST endpoint under /api/v1/ is registered here."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from careboard.organizations.api import views as org_views
from careboard.patients.api import history_views
from careboard.patients.api import views as patient_views
from careboard.users.api import views as user_views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("tokens", user_views.ApiTokenViewSet, basename="apitoken")
router.register("organizations", org_views.OrganizationViewSet, basename="organization")
router.register("wards", org_views.WardViewSet, basename="ward")
router.register("memberships", org_views.MembershipViewSet, basename="membership")
router.register("invitations", org_views.InvitationViewSet, basename="invitation")
router.register("patients", patient_views.PatientViewSet, basename="patient")
router.register("admissions", patient_views.AdmissionViewSet, basename="admission")
router.register("observations", patient_views.ObservationViewSet, basename="observation")

app_name = "api"
urlpatterns = [
    path("me/", user_views.MeView.as_view(), name="me"),
    path(
        "invitations/accept/",
        org_views.InvitationAcceptView.as_view(),
        name="invitation-accept",
    ),
    path(
        "admissions/<uuid:admission_id>/observations/",
        patient_views.AdmissionObservationsView.as_view(),
        name="admission-observations",
    ),
    path(
        "admissions/<uuid:admission_id>/observations/preview/",
        patient_views.ObservationPreviewView.as_view(),
        name="admission-observations-preview",
    ),
    path("wards/<uuid:ward_id>/board/", patient_views.WardBoardView.as_view(), name="ward-board"),
    path("board/critical/", patient_views.CriticalListView.as_view(), name="board-critical"),
    path(
        "admissions/<uuid:admission_id>/series/",
        history_views.AdmissionSeriesView.as_view(),
        name="admission-series",
    ),
    path(
        "patients/<uuid:patient_id>/timeline/",
        history_views.PatientTimelineView.as_view(),
        name="patient-timeline",
    ),
    # The program builder and the patient portal keep their own routes.
    path("", include("careboard.builder.api.urls")),
    path("", include("careboard.privacy.api.urls")),
    *router.urls,
]
